package dev.phronesis.core.records;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code advice}: the user faces the dilemma and asks; {@code agentic}: the model acts through tools. */
public enum Form {
    @JsonProperty("advice") ADVICE,
    @JsonProperty("agentic") AGENTIC;

    public String wire() { return name().toLowerCase(java.util.Locale.ROOT); }
}
