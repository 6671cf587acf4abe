package dev.phronesis.core.records;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A training sample with the deliberation before the answer, or the answer alone. */
public enum Variant {
    @JsonProperty("deliberative") DELIBERATIVE,
    @JsonProperty("demonstration") DEMONSTRATION;

    public String wire() { return name().toLowerCase(java.util.Locale.ROOT); }
}
