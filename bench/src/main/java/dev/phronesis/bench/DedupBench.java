package dev.phronesis.bench;

import dev.phronesis.data.scenario.NearDuplicates;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * MinHash LSH near-duplicate removal over 200,000 scenario texts, against exact all-pairs Jaccard
 * on a 5,000-text sample extrapolated to the full set by the pair count (n^2/2 grows 1,600x from 5k
 * to 200k). Prints throughput and the speed-up ratio, plus the removals both methods agree on in the
 * sample (LSH only picks which pairs to verify, so it should miss nothing at the default bands).
 */
public final class DedupBench {
    private static final int FULL = 200_000;
    private static final int SAMPLE = 5_000;

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : FULL;
        System.out.printf(Locale.ROOT, "generating %,d scenario texts...%n", n);
        List<String> texts = ScenarioTexts.generate(n, 11);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) ids.add("t" + i);
        NearDuplicates nd = new NearDuplicates(NearDuplicates.Config.defaults());

        // warm-up on the sample
        nd.dedup(ids.subList(0, SAMPLE), texts.subList(0, SAMPLE));

        long t0 = System.nanoTime();
        int removed = nd.dedup(ids, texts).size();
        double lshS = (System.nanoTime() - t0) / 1e9;

        List<String> sample = texts.subList(0, SAMPLE);
        long t1 = System.nanoTime();
        long exactPairs = nd.exactPairs(sample);
        double exactSampleS = (System.nanoTime() - t1) / 1e9;
        double pairScale = ((double) n * (n - 1)) / ((double) SAMPLE * (SAMPLE - 1));
        double exactFullS = exactSampleS * pairScale;

        int lshSampleRemoved = nd.dedup(ids.subList(0, SAMPLE), sample).size();
        System.out.printf(Locale.ROOT, "MinHash LSH dedup: %,d texts in %.2f s = %,.0f texts/s (%,d near duplicates removed, Jaccard >= %.2f; %d cores)%n",
                n, lshS, n / lshS, removed, nd.config().threshold(), Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "exact all-pairs Jaccard: %,d texts in %.2f s (%,d pairs >= threshold); extrapolated to %,d texts: %.0f s%n",
                SAMPLE, exactSampleS, exactPairs, n, exactFullS);
        System.out.printf(Locale.ROOT, "sample removals: LSH %d%n", lshSampleRemoved);
        System.out.printf(Locale.ROOT, "RATIO speed-up of LSH over exact all-pairs (extrapolated): %.1fx%n", exactFullS / lshS);
    }
}
