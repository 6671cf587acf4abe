package dev.phronesis.core.constitution;

import dev.phronesis.core.UserError;

import java.util.Objects;

/**
 * Which constitution an artifact was made under, carried as a typed field from scenarios through
 * deliberations, samples, suites, eval results and reports.
 *
 * @param hash   the full SHA-256 of the constitution's canonical content ({@link Constitution#hash()})
 * @param source where it is loaded from: {@code builtin:NAME} or a file path
 */
public record ConstitutionRef(String id, String version, String hash, String source) {
    /** Hex digits of the hash people see. */
    public static final int SHORT_HASH = 12;

    @com.fasterxml.jackson.annotation.JsonCreator(mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.PROPERTIES)
    public ConstitutionRef {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(hash, "hash");
        source = source == null ? "" : source;
    }

    /** {@code id@version#hash12}, how reports and messages name it. */
    public String display() { return id + "@" + version + "#" + hash.substring(0, Math.min(SHORT_HASH, hash.length())); }

    /** Artifacts written before references were typed name the constitution by its source ({@code builtin:general}, a path). */
    @com.fasterxml.jackson.annotation.JsonCreator(mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.DELEGATING)
    static ConstitutionRef fromSource(String source) { return resolve(source); }

    /** The reference of {@code builtin:NAME} or a file, loading it for its hash. */
    public static ConstitutionRef resolve(String source) { return ConstitutionLoader.resolve(source).reference(); }

    /**
     * Loads the constitution this names and refuses, in one line naming {@code where}, a file whose
     * content no longer hashes to what the artifact recorded.
     */
    public Constitution load(String where) {
        if (source.isBlank()) throw new UserError(where + ": names constitution " + display() + " but not where to load it from");
        Constitution c = ConstitutionLoader.resolve(source);
        check(c, where);
        return c;
    }

    /** Refuses {@code c} unless it is the constitution this names (same content hash). */
    public void check(Constitution c, String where) {
        if (!c.hash().equals(hash)) {
            throw new UserError(where + ": made under constitution " + display() + " but " + (c.source().isBlank() ? "the one given" : c.source())
                    + " is " + c.ref() + " (its content changed); use the constitution it was made with, or rebuild it");
        }
    }
}
