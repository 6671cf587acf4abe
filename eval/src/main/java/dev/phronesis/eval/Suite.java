package dev.phronesis.eval;

import dev.phronesis.core.constitution.ConstitutionRef;

import java.util.List;
import java.util.Objects;

/**
 * A versioned eval suite, loaded and validated by {@link Suites}.
 *
 * @param constitution the constitution that defines the modes and the judge's rubric; eval loads it from its source and refuses
 *                     a file whose content no longer has the recorded hash
 * @param hash         SHA-256 (hex) over the suite file and every file it reads; recorded in each run
 * @param source       where the suite was loaded from (for messages)
 */
public record Suite(String id, String version, SuiteKind kind, String description, ConstitutionRef constitution,
                    ScoringRules scoring, List<EvalItem> items, String hash, String source) {
    /** A suite naming its constitution by {@code builtin:NAME} or a path (loaded here for its hash); blank means builtin:general. */
    public Suite(String id, String version, SuiteKind kind, String description, String constitution,
                 ScoringRules scoring, List<EvalItem> items, String hash, String source) {
        this(id, version, kind, description, ConstitutionRef.resolve(constitution == null || constitution.isBlank() ? DEFAULT_CONSTITUTION : constitution),
                scoring, items, hash, source);
    }

    /** What a suite that names no constitution is judged by. */
    public static final String DEFAULT_CONSTITUTION = "builtin:general";

    public Suite {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        items = List.copyOf(items);
        scoring = scoring == null ? ScoringRules.defaults() : scoring;
        Objects.requireNonNull(constitution, "constitution");
        description = description == null ? "" : description;
        version = version == null ? "1" : version;
    }

    /** {@code id@version}, how reports name a suite. */
    public String ref() { return id + "@" + version; }
}
