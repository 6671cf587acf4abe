package dev.phronesis.data.distill;

import java.util.Locale;

/**
 * How much reasoning a teacher writes. {@code compact} names the sender population, the 2–3 factors that
 * decide the case and the decision in about 60 words (for the organism's tiny word-level student with a
 * 128–256 token context); {@code full} walks every principle, heuristic and factor (for real models).
 */
public enum Verbosity {
    COMPACT, FULL;

    public String wire() { return name().toLowerCase(Locale.ROOT); }

    public static Verbosity parse(String s) {
        for (Verbosity v : values()) if (v.wire().equalsIgnoreCase(s.trim())) return v;
        throw new dev.phronesis.core.UserError("verbosity: '" + s + "' is not one of compact, full");
    }
}
