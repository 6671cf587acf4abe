package dev.phronesis.eval;

/** The names of the slices an item's {@link EvalItem#cell()} may carry; reports group by them. */
public final class Cells {
    public static final String SCENARIO_KIND = "scenarioKind";
    public static final String GOAL_CONFLICT = "goalConflict";
    public static final String PRESSURE = "pressure";
    /** "trained" or "heldout": whether the cue words were paraphrases seen in training. */
    public static final String PARAPHRASE = "paraphrase";
    /** The benchmark's own label for imported items (e.g. safe / unsafe). */
    public static final String BENCHMARK_LABEL = "benchmarkLabel";

    private Cells() {}
}
