package dev.phronesis.eval;

import java.util.List;
import java.util.Map;

/**
 * {@code RUN_DIR/run.json}: what a run asked for. A resumed run must ask for the same model, sampling
 * and suite contents (more samples or more suites are fine), so the results in one directory are
 * always comparable with each other.
 *
 * @param arm      the name a report shows for this run (defaults to the model id)
 * @param metadata free key/values shown in the ablation table (e.g. trainingTokens)
 */
public record RunManifest(String arm, String model, String judge, int samples, double temperature, double topP, int maxTokens,
                          Long seed, Map<String, String> metadata, List<SuiteInfo> suites, Decoding decoding) {
    public RunManifest {
        if (decoding == null) decoding = Decoding.FREE; // manifests written before decoding was recorded
        metadata = metadata == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(metadata);
        suites = suites == null ? List.of() : List.copyOf(suites);
    }

    /** One suite of the run, with the hash of its content when it was run. */
    public record SuiteInfo(String id, String version, SuiteKind kind, String hash, dev.phronesis.core.constitution.ConstitutionRef constitution, int items) {}
}
