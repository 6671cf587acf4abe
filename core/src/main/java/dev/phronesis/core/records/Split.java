package dev.phronesis.core.records;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Which use a scenario is for. Whole families are held out: {@code heldout} means an unseen kind, not an unseen sentence. */
public enum Split {
    @JsonProperty("train") TRAIN,
    @JsonProperty("dev") DEV,
    @JsonProperty("heldout") HELDOUT;

    public String wire() { return name().toLowerCase(java.util.Locale.ROOT); }
}
