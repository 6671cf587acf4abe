package dev.phronesis.core.records;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.phronesis.core.UserError;

import java.util.Arrays;
import java.util.Locale;

/**
 * The quality gates, in the order they run: cheap deterministic checks first, so the judge (the only
 * gate that costs money) never sees a sample that an earlier gate rejected.
 */
public enum GateName {
    SCHEMA, CALCULATOR, LENGTH, CONTAMINATION, SELF_CONSISTENCY, JUDGE;

    @JsonValue public String wire() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    /** The wire name, so a gate printed in a message or a funnel table reads as in the files. */
    @Override public String toString() { return wire(); }

    /** Reads a wire name as written in a verdict file (Jackson); unknown names are a {@link UserError}. */
    @JsonCreator public static GateName fromWire(String s) { return parse(s); }

    public static GateName parse(String s) {
        for (GateName g : values()) if (g.wire().equals(s.trim().toLowerCase(Locale.ROOT))) return g;
        throw new UserError("unknown gate '" + s + "'; gates are " + Arrays.stream(values()).map(GateName::wire).toList());
    }
}
