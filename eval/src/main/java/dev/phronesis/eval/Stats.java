package dev.phronesis.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The statistics every report uses: Wilson score intervals for rates, the pooled two-proportion z
 * test for differences, and a seeded percentile bootstrap interval for a difference of rates.
 */
public final class Stats {
    /** The standard normal quantile for a two-sided 95% interval. */
    public static final double Z95 = 1.959963984540054;
    /** Bootstrap resamples: enough for stable 2.5/97.5 percentiles (Efron & Tibshirani suggest >= 1,000). */
    public static final int BOOTSTRAP_REPS = 2000;
    /** Fixed seed so the same results give the same report. */
    public static final long BOOTSTRAP_SEED = 20261125L;

    private Stats() {}

    /**
     * A rate k/n with its 95% Wilson interval; for n = 0 the rate is NaN and the interval [0, 1].
     */
    public record Rate(int k, int n, double p, double lo, double hi) {
        public Rate {
            if (n < 0 || k < 0 || k > n) throw new IllegalArgumentException("need 0 <= k <= n, got k=" + k + " n=" + n);
        }
    }

    public static Rate wilson(int k, int n) {
        if (n == 0) return new Rate(0, 0, Double.NaN, 0, 1);
        double p = (double) k / n;
        double z2 = Z95 * Z95;
        double denom = 1 + z2 / n;
        double centre = (p + z2 / (2.0 * n)) / denom;
        double half = Z95 * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denom;
        // clamp rounding at the edges: at k=0 the lower bound is exactly 0, at k=n the upper exactly 1
        return new Rate(k, n, p, k == 0 ? 0 : Math.max(0, centre - half), k == n ? 1 : Math.min(1, centre + half));
    }

    /**
     * A difference of two rates (a - b) with the pooled two-proportion z test and a bootstrap 95% interval.
     *
     * @param pValue two-sided; 1 when the test is undefined (either n is 0 or the pooled rate is 0 or 1)
     */
    public record Difference(Rate a, Rate b, double diff, double z, double pValue, double lo, double hi) {}

    public static Difference compare(int ka, int na, int kb, int nb) { return compare(ka, na, kb, nb, BOOTSTRAP_SEED); }

    public static Difference compare(int ka, int na, int kb, int nb, long seed) {
        Rate a = wilson(ka, na);
        Rate b = wilson(kb, nb);
        if (na == 0 || nb == 0) return new Difference(a, b, Double.NaN, 0, 1, Double.NaN, Double.NaN);
        double diff = a.p() - b.p();
        double pooled = (double) (ka + kb) / (na + nb);
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / na + 1.0 / nb));
        double z = se == 0 ? 0 : diff / se;
        double pValue = se == 0 ? 1 : 2 * (1 - normalCdf(Math.abs(z)));
        double[] ci = bootstrapDiff(ka, na, kb, nb, BOOTSTRAP_REPS, seed);
        return new Difference(a, b, diff, z, Math.min(1, Math.max(0, pValue)), ci[0], ci[1]);
    }

    /**
     * The mean of a few replicate values (seeds: the unit of replication) with its 95% Student-t interval,
     * mean ± t(0.975, n - 1) · s / √n; for one value the interval is [NaN, NaN].
     */
    public record Mean(int n, double mean, double lo, double hi) {}

    public static Mean meanInterval(double[] xs) {
        int n = xs.length;
        if (n == 0) return new Mean(0, Double.NaN, Double.NaN, Double.NaN);
        double mean = Arrays.stream(xs).average().orElseThrow();
        if (n == 1) return new Mean(1, mean, Double.NaN, Double.NaN);
        double ss = 0;
        for (double x : xs) ss += (x - mean) * (x - mean);
        double half = new org.apache.commons.math3.distribution.TDistribution(n - 1).inverseCumulativeProbability(0.975) * Math.sqrt(ss / (n - 1) / n);
        return new Mean(n, mean, mean - half, mean + half);
    }

    /** Percentile bootstrap 95% interval of p_a - p_b, resampling each arm's 0/1 outcomes with replacement. */
    public static double[] bootstrapDiff(int ka, int na, int kb, int nb, int reps, long seed) {
        if (na == 0 || nb == 0) return new double[]{Double.NaN, Double.NaN};
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] d = new double[reps];
        for (int r = 0; r < reps; r++) d[r] = (double) resample(rnd, ka, na) / na - (double) resample(rnd, kb, nb) / nb;
        Arrays.sort(d);
        return new double[]{percentile(d, 0.025), percentile(d, 0.975)};
    }

    /** Successes among n draws with replacement from n outcomes of which k are successes. */
    private static int resample(SplittableRandom rnd, int k, int n) {
        int hits = 0;
        for (int i = 0; i < n; i++) if (rnd.nextInt(n) < k) hits++;
        return hits;
    }

    /** Linear interpolation between order statistics (type 7, R's default). */
    static double percentile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /** Standard normal CDF via the complementary error function (fractional error below 1.2e-7; Numerical Recipes' erfc). */
    public static double normalCdf(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2));
    }

    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /**
     * Cohen's kappa of two raters' categories (coded 0..k-1), (p_o - p_e) / (1 - p_e); NaN when p_e = 1 (both raters
     * used one and the same category throughout, so chance agreement is total and kappa is undefined) or n = 0.
     */
    public static double kappa(int[] a, int[] b, int k) {
        int n = a.length;
        if (n == 0 || b.length != n) return Double.NaN;
        int[] ra = new int[k], rb = new int[k];
        int agree = 0;
        for (int i = 0; i < n; i++) { ra[a[i]]++; rb[b[i]]++; if (a[i] == b[i]) agree++; }
        double po = (double) agree / n;
        double pe = 0;
        for (int c = 0; c < k; c++) pe += ((double) ra[c] / n) * ((double) rb[c] / n);
        return pe >= 1 ? Double.NaN : (po - pe) / (1 - pe);
    }

    /**
     * Percentile bootstrap 95% interval of Cohen's kappa, resampling the n labelled pairs with replacement; resamples
     * where kappa is undefined are left out, and the interval is [NaN, NaN] when fewer than half are defined.
     */
    public static double[] bootstrapKappa(int[] a, int[] b, int k, int reps, long seed) {
        int n = a.length;
        if (n == 0) return new double[]{Double.NaN, Double.NaN};
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] ks = new double[reps];
        int defined = 0;
        int[] xa = new int[n], xb = new int[n];
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < n; i++) { int j = rnd.nextInt(n); xa[i] = a[j]; xb[i] = b[j]; }
            double x = kappa(xa, xb, k);
            if (!Double.isNaN(x)) ks[defined++] = x;
        }
        if (defined < reps / 2) return new double[]{Double.NaN, Double.NaN};
        double[] d = Arrays.copyOf(ks, defined);
        Arrays.sort(d);
        return new double[]{percentile(d, 0.025), percentile(d, 0.975)};
    }
}
