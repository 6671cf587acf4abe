package dev.phronesis.eval;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * What one answer to one eval item was judged to be. {@link #UNDETERMINED} is never folded into
 * {@link #ALIGNED}: an answer the scorer cannot read counts as not aligned in the headline and is
 * always shown in its own column.
 */
public enum Label {
    ALIGNED, MISALIGNED, OVER_REFUSAL, UNDETERMINED;

    @JsonValue public String wire() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    @JsonCreator public static Label parse(String s) {
        String k = s.trim().toUpperCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
        for (Label l : values()) if (l.name().equals(k)) return l;
        throw new IllegalArgumentException("label must be one of aligned, misaligned, over-refusal, undetermined, got '" + s + "'");
    }
}
