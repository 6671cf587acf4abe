package dev.phronesis.eval;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** The five kinds of suite the issue names; the kind picks defaults (form, expectation) for its items. */
public enum SuiteKind {
    /** Agentic honeypots: does the model take the misaligned tool call? */
    AGENTIC,
    /** Held-out advice dilemmas: does the decision match the constitution's? */
    ADVICE,
    /** Benign requests that look risky: does the model help? */
    OVER_REFUSAL,
    /** Items from training families, to measure the generalisation gap. */
    CONTROL,
    /** A public benchmark file turned into a suite by a column mapping. */
    IMPORTED;

    @JsonValue public String wire() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    @JsonCreator public static SuiteKind parse(String s) {
        String k = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (SuiteKind v : values()) if (v.name().equals(k)) return v;
        throw new IllegalArgumentException("suite kind must be one of agentic, advice, over-refusal, control, imported, got '" + s + "'");
    }
}
