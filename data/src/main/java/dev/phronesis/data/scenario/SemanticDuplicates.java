package dev.phronesis.data.scenario;

import dev.phronesis.data.scenario.NearDuplicates.Collision;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Semantic dedup by embedding cosine similarity: all pairs (exact, no approximate index; fine up to
 * tens of thousands of texts), the first of each near-identical group kept.
 */
public final class SemanticDuplicates {
    private final double threshold;

    public SemanticDuplicates(double threshold) {
        if (!(threshold > 0 && threshold <= 1)) throw new IllegalArgumentException("cosine threshold must be within (0, 1], got " + threshold);
        this.threshold = threshold;
    }

    public double threshold() { return threshold; }

    /** Within one list, in input order. */
    public List<Collision> dedup(List<String> ids, float[][] vectors) {
        List<Collision> out = new ArrayList<>();
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            final int fi = i;
            int[] keptArr = kept.stream().mapToInt(Integer::intValue).toArray();
            double[] sims = new double[keptArr.length];
            IntStream.range(0, keptArr.length).parallel().forEach(j -> sims[j] = Vectors.dot(vectors[fi], vectors[keptArr[j]]));
            int best = -1;
            for (int j = 0; j < sims.length; j++) if (sims[j] >= threshold && (best < 0 || sims[j] > sims[best])) best = j;
            if (best >= 0) out.add(new Collision(ids.get(i), ids.get(keptArr[best]), sims[best], "embedding"));
            else kept.add(i);
        }
        return out;
    }

    /** Train items too close to any protected (dev/held-out) item; symmetric, so one pass covers both directions. */
    public List<Collision> crossSplit(List<String> trainIds, float[][] train, List<String> protectedIds, float[][] prot) {
        List<Collision> out = new ArrayList<>();
        Collision[] found = new Collision[trainIds.size()];
        IntStream.range(0, trainIds.size()).parallel().forEach(i -> {
            int best = -1;
            double bestSim = threshold;
            for (int j = 0; j < prot.length; j++) {
                double s = Vectors.dot(train[i], prot[j]);
                if (s >= bestSim) { bestSim = s; best = j; }
            }
            if (best >= 0) found[i] = new Collision(trainIds.get(i), protectedIds.get(best), bestSim, "embedding-cross-split");
        });
        for (Collision c : found) if (c != null) out.add(c);
        return out;
    }
}
