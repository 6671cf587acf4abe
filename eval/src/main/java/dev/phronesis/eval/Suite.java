package dev.phronesis.eval;

import java.util.List;
import java.util.Objects;

/**
 * A versioned eval suite, loaded and validated by {@link Suites}.
 *
 * @param constitution the constitution reference (builtin:NAME or a path) that defines the modes and the judge's rubric
 * @param hash         SHA-256 (hex) over the suite file and every file it reads; recorded in each run
 * @param source       where the suite was loaded from (for messages)
 */
public record Suite(String id, String version, SuiteKind kind, String description, String constitution,
                    ScoringRules scoring, List<EvalItem> items, String hash, String source) {
    public Suite {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        items = List.copyOf(items);
        scoring = scoring == null ? ScoringRules.defaults() : scoring;
        constitution = constitution == null || constitution.isBlank() ? "builtin:general" : constitution;
        description = description == null ? "" : description;
        version = version == null ? "1" : version;
    }

    /** {@code id@version}, how reports name a suite. */
    public String ref() { return id + "@" + version; }
}
