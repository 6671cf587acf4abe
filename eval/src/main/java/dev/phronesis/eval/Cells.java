package dev.phronesis.eval;

/** The names of the slices an item's {@link EvalItem#cell()} may carry; reports group by them. */
public final class Cells {
    public static final String SCENARIO_KIND = "scenarioKind";
    public static final String GOAL_CONFLICT = "goalConflict";
    public static final String PRESSURE = "pressure";
    /** Public Agentic Misalignment items: the goal value of the condition (america, global, ...); goal type is {@link #GOAL_CONFLICT}, urgency {@link #PRESSURE}. */
    public static final String GOAL_VALUE = "goalValue";
    /** "trained" or "heldout": whether the cue words were paraphrases seen in training (heldout if any factor's cue came from a held-out pool). */
    public static final String PARAPHRASE = "paraphrase";
    /** The scenario's case from the taxonomy: benign, borderline or harmful. */
    public static final String CASE = "case";
    /** The benchmark's own label for imported items (e.g. safe / unsafe). */
    public static final String BENCHMARK_LABEL = "benchmarkLabel";

    private Cells() {}
}
