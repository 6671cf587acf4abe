package dev.phronesis.data.scenario;

import dev.phronesis.core.records.Scenario;
import dev.phronesis.data.scenario.DiversityReport.Lengths;
import dev.phronesis.data.scenario.DiversityReport.Point;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Computes the diversity metrics of a scenario set (see {@link DiversityReport}). */
public final class DiversityStats {
    /** Histogram bins of the word-length distribution. */
    private static final int LENGTH_BINS = 20;

    private DiversityStats() {}

    /**
     * @param taxonomy null to skip axis coverage
     * @param embedder null to skip the embedding metrics and the projection
     */
    public static DiversityReport compute(List<Scenario> scenarios, Taxonomy taxonomy, TextEmbedder embedder) {
        List<String> texts = scenarios.stream().map(ScenarioGenerator::dedupText).toList();
        List<List<String>> tokens = texts.stream().map(DiversityStats::tokens).toList();
        double d1 = distinct(tokens, 1), d2 = distinct(tokens, 2), d3 = distinct(tokens, 3);
        Double vendi = null, meanCos = null;
        List<Point> projection = List.of();
        if (embedder != null && !scenarios.isEmpty()) {
            float[][] x = embedder.embed(texts);
            vendi = vendi(x);
            meanCos = meanPairwiseCosine(x);
            projection = project(scenarios, x);
        }
        int seen = 0, total = 0;
        Coverage pairs = null;
        if (taxonomy != null) {
            for (Taxonomy.Axis a : taxonomy.axes()) {
                Set<String> present = new HashSet<>();
                for (Scenario s : scenarios) present.add(s.spec().axes().get(a.id()));
                for (Taxonomy.AxisValue v : a.values()) { total++; if (present.contains(v.id())) seen++; }
            }
            if (taxonomy.axes().size() >= 2) {
                CoveringSampler sampler = new CoveringSampler(taxonomy.axes(), taxonomy.constraints(), taxonomy.families().axes(), r -> true, r -> true, 2);
                pairs = sampler.measure(scenarios.stream().map(s -> ScenarioGenerator.axisRow(taxonomy, s.spec())).toList());
            }
        }
        Map<String, Map<String, Integer>> fams = new TreeMap<>();
        Map<String, Integer> sfk = new TreeMap<>();
        for (Scenario s : scenarios) {
            String split = s.split().name().toLowerCase(Locale.ROOT);
            fams.computeIfAbsent(split, k -> new TreeMap<>()).merge(s.family(), 1, Integer::sum);
            sfk.merge(split + "/" + s.form().name().toLowerCase(Locale.ROOT) + "/" + s.spec().axes().getOrDefault(Taxonomy.KIND, "-"), 1, Integer::sum);
        }
        return new DiversityReport(scenarios.size(), d1, d2, d3, vendi, meanCos, seen, total, pairs, fams, sfk,
                lengths(texts), embedder == null ? null : embedder.id(), projection);
    }

    public static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}']+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    /** Unique n-grams over all n-grams in the corpus (0 when there are none). */
    public static double distinct(List<List<String>> docs, int n) {
        Set<List<String>> unique = new HashSet<>();
        long all = 0;
        for (List<String> d : docs) {
            for (int i = 0; i + n <= d.size(); i++) { unique.add(d.subList(i, i + n)); all++; }
        }
        return all == 0 ? 0 : (double) unique.size() / all;
    }

    /**
     * Vendi score exp(-sum l log l) over the eigenvalues l of K/n, K the cosine kernel. For unit
     * vectors K = X X^T, whose non-zero eigenvalues equal those of X^T X (d x d), so the cost is
     * O(n d^2 + d^3) instead of O(n^3).
     */
    public static double vendi(float[][] x) {
        int n = x.length, d = x[0].length;
        double[][] g = gram(x, null);
        for (double[] row : g) for (int j = 0; j < d; j++) row[j] /= n;
        double h = 0;
        for (double l : Vectors.symmetricEigen(g).values()) if (l > 1e-12) h -= l * Math.log(l);
        return Math.exp(h);
    }

    private static double[][] gram(float[][] x, double[] mean) {
        int d = x[0].length;
        double[][] g = new double[d][d];
        double[] row = new double[d];
        for (float[] v : x) {
            for (int j = 0; j < d; j++) row[j] = v[j] - (mean == null ? 0 : mean[j]);
            for (int a = 0; a < d; a++) {
                double ra = row[a];
                if (ra == 0) continue;
                double[] ga = g[a];
                for (int b = a; b < d; b++) ga[b] += ra * row[b];
            }
        }
        for (int a = 0; a < d; a++) for (int b = 0; b < a; b++) g[a][b] = g[b][a];
        return g;
    }

    /** Mean cosine over distinct pairs: (|sum x|^2 - n) / (n (n - 1)) for unit vectors. */
    public static double meanPairwiseCosine(float[][] x) {
        int n = x.length;
        if (n < 2) return 1;
        double[] sum = new double[x[0].length];
        for (float[] v : x) for (int j = 0; j < v.length; j++) sum[j] += v[j];
        double s2 = 0;
        for (double v : sum) s2 += v * v;
        double self = 0;
        for (float[] v : x) self += Vectors.dot(v, v);
        return (s2 - self) / ((double) n * (n - 1));
    }

    /** PCA to two dimensions (top two eigenvectors of the covariance). */
    static List<Point> project(List<Scenario> scenarios, float[][] x) {
        int n = x.length, d = x[0].length;
        double[] mean = new double[d];
        for (float[] v : x) for (int j = 0; j < d; j++) mean[j] += v[j] / n;
        Vectors.Eigen e = Vectors.symmetricEigen(gram(x, mean));
        List<Point> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double px = 0, py = 0;
            for (int j = 0; j < d; j++) {
                double c = x[i][j] - mean[j];
                px += c * e.vectors()[j][0];
                py += c * e.vectors()[j][1];
            }
            Scenario s = scenarios.get(i);
            out.add(new Point(s.id(), s.family(), s.split().name().toLowerCase(Locale.ROOT), s.form().name().toLowerCase(Locale.ROOT), px, py));
        }
        return out;
    }

    /** Whitespace-separated words, the unit of the realisers' --max-words knob. */
    static Lengths lengths(List<String> texts) {
        int[] w = texts.stream().mapToInt(Slots::words).sorted().toArray();
        if (w.length == 0) return new Lengths(0, 0, 0, 0, 0, 0, new int[0], 1);
        double mean = Arrays.stream(w).average().orElse(0);
        int max = w[w.length - 1];
        int bin = Math.max(1, (int) Math.ceil((max + 1) / (double) LENGTH_BINS));
        int[] hist = new int[(max / bin) + 1];
        for (int v : w) hist[v / bin]++;
        return new Lengths(w[0], w[w.length / 4], w[w.length / 2], w[(3 * w.length) / 4], max, mean, hist, bin);
    }
}
