package dev.phronesis.data.scenario;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code phronesis scenarios stats} measures about a set of scenarios.
 *
 * @param distinct1         unique unigrams / all unigrams (likewise 2, 3); higher = more varied surface
 * @param vendi             embedding Vendi score: the effective number of distinct scenarios (1..n); null without embeddings
 * @param meanCosine        mean pairwise cosine of the embeddings (lower = more diverse); null without embeddings
 * @param pairCoverage      axis-value pairs covered against the taxonomy's allowed pairs; null without a taxonomy
 * @param familiesPerSplit  split -> family -> count
 * @param projection        a 2-D PCA projection of the embeddings (empty without embeddings)
 */
public record DiversityReport(int scenarios, double distinct1, double distinct2, double distinct3, Double vendi, Double meanCosine,
                              int axisValuesSeen, int axisValuesTotal, Coverage pairCoverage,
                              Map<String, Map<String, Integer>> familiesPerSplit, Map<String, Integer> bySplitFormKind,
                              Lengths words, String embedder, List<Point> projection) {

    /** Word counts of the text the user/agent reads. */
    public record Lengths(int min, int p25, int median, int p75, int max, double mean, int[] histogram, int binWidth) {}

    public record Point(String id, String family, String split, String form, double x, double y) {}

    public String table() {
        StringBuilder b = new StringBuilder();
        row(b, "scenarios", Integer.toString(scenarios));
        row(b, "distinct-1 / 2 / 3", f3(distinct1) + " / " + f3(distinct2) + " / " + f3(distinct3));
        row(b, "embedding Vendi score", vendi == null ? "(no embeddings)" : String.format(Locale.ROOT, "%.1f of %d (%.1f%%)", vendi, scenarios, 100 * vendi / Math.max(1, scenarios)));
        row(b, "mean pairwise cosine", meanCosine == null ? "(no embeddings)" : f3(meanCosine));
        row(b, "axis values covered", axisValuesTotal == 0 ? "(no taxonomy)" : axisValuesSeen + " of " + axisValuesTotal);
        row(b, "axis-value pairs covered", pairCoverage == null ? "(no taxonomy)"
                : String.format(Locale.ROOT, "%d of %d allowed (%.1f%%; allowed pairs that several constraints together rule out count as missing)",
                        pairCoverage.covered(), pairCoverage.allowed(), 100.0 * pairCoverage.covered() / Math.max(1, pairCoverage.allowed())));
        row(b, "words (min/p25/median/p75/max)", words.min() + " / " + words.p25() + " / " + words.median() + " / " + words.p75() + " / " + words.max()
                + String.format(Locale.ROOT, "  (mean %.1f)", words.mean()));
        for (var e : familiesPerSplit.entrySet()) {
            int total = e.getValue().values().stream().mapToInt(Integer::intValue).sum();
            row(b, "families in " + e.getKey(), e.getValue().size() + " families, " + total + " scenarios");
        }
        b.append('\n');
        b.append(String.format(Locale.ROOT, "%-34s %s%n", "split/form/kind", "count"));
        for (var e : bySplitFormKind.entrySet()) b.append(String.format(Locale.ROOT, "%-34s %d%n", e.getKey(), e.getValue()));
        return b.toString();
    }

    private static void row(StringBuilder b, String k, String v) { b.append(String.format(Locale.ROOT, "%-34s %s%n", k, v)); }

    static String f3(double d) { return String.format(Locale.ROOT, "%.3f", d); }
}
