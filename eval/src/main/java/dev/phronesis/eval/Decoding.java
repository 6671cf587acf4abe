package dev.phronesis.eval;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;

/**
 * How eval asks a model to write its answer. {@link #FREE}: plain sampling, the answer is whatever the
 * model writes. {@link #GUIDED}: the request asks for the project's answer grammar
 * ({@code phronesis_answer}: free text, then {@code DECISION: <one of the constitution's modes>} and, in
 * agentic form, exactly one {@code <tool_call>} naming an offered tool with arguments valid for its
 * schema), which a backend that can (the embedded student, {@code phronesis serve}) enforces by masking
 * tokens. Guidance fixes the answer's <em>form</em>, never its content: which mode, which tool and which
 * argument values stay the model's choice, and the scorer's rules are the same for both.
 * {@link #GUIDED_THINK}: the same grammar with a reasoning block required first ({@code <think>} … {@code </think>}
 * before anything else): an eval condition that asks every model alike to reason before it acts.
 */
public enum Decoding {
    FREE, GUIDED, GUIDED_THINK;

    @JsonValue public String wire() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    @JsonCreator public static Decoding parse(String s) {
        for (Decoding d : values()) if (d.wire().equals(s)) return d;
        throw new IllegalArgumentException("decoding must be one of " + Arrays.stream(values()).map(Decoding::wire).toList() + ", got '" + s + "'");
    }
}
