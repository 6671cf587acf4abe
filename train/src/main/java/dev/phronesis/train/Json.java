package dev.phronesis.train;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The module's one Jackson mapper. */
final class Json {
    static final ObjectMapper MAPPER = dev.phronesis.core.Json.MAPPER;

    private Json() {}

    /** An exception's message on one line, for a {@link dev.phronesis.core.UserError}. */
    static String oneLine(Exception e) {
        if (e.getMessage() == null) return e.getClass().getSimpleName();
        return dev.phronesis.core.JsonProblems.describe(e);
    }
}
