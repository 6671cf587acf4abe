package dev.phronesis.data.scenario;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Near-duplicate detection by MinHash signatures over word shingles and locality-sensitive hashing
 * by bands. Candidates that share a band are verified with the exact Jaccard similarity of their
 * shingle sets, so the threshold means what it says; LSH only decides which pairs are looked at.
 * Signatures are computed in parallel; bucket insertion is sequential so "first one wins" is
 * deterministic in input order. The one MinHash LSH of the project: scenario dedup and the cross-split
 * guard here, and the distillation contamination gate's index of eval and held-out prompts
 * ({@link #references}).
 */
public final class NearDuplicates {

    /**
     * @param shingleWords words per shingle
     * @param permutations MinHash functions; must be divisible by {@code bands}
     * @param bands        LSH bands; more bands find lower-similarity pairs (threshold about (1/b)^(1/r))
     * @param threshold    Jaccard similarity at or above which two texts are near duplicates
     */
    public record Config(int shingleWords, int permutations, int bands, double threshold) {
        public Config {
            if (shingleWords < 1 || shingleWords > MAX_SHINGLE_WORDS) throw new IllegalArgumentException("shingleWords must be within [1, " + MAX_SHINGLE_WORDS + "], got " + shingleWords);
            if (permutations < 8 || permutations > 1024) throw new IllegalArgumentException("permutations must be within [8, 1024], got " + permutations);
            if (bands < 1 || permutations % bands != 0) throw new IllegalArgumentException("bands must divide permutations (" + permutations + "), got " + bands);
            if (!(threshold > 0 && threshold <= 1)) throw new IllegalArgumentException("threshold must be within (0, 1], got " + threshold);
        }

        /** 3-word shingles, 128 permutations in 32 bands of 4 rows (candidate pairs from Jaccard ~0.4 up), verified at 0.8. */
        public static Config defaults() { return new Config(3, 128, 32, 0.8); }

        public Config withThreshold(double t) { return new Config(shingleWords, permutations, bands, t); }

        /** The defaults with {@code words}-word shingles. */
        public static Config shingles(int words) { Config d = defaults(); return new Config(words, d.permutations(), d.bands(), d.threshold()); }
    }

    /** Longest shingle, in words (the contamination gate allows up to this). */
    public static final int MAX_SHINGLE_WORDS = 20;

    /** {@code removed} collided with {@code kept} at {@code similarity} (Jaccard or cosine, per {@code method}). */
    public record Collision(String removed, String kept, double similarity, String method) {}

    private final Config config;
    private final long[] seeds;

    public NearDuplicates(Config config) {
        this.config = config;
        this.seeds = new long[config.permutations()];
        long s = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < seeds.length; i++) seeds[i] = mix(s += 0x9E3779B97F4A7C15L);
    }

    public Config config() { return config; }

    /** Sorted distinct 64-bit hashes of the text's word shingles. */
    long[] shingles(String text) {
        String[] w = text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}']+");
        List<String> words = new ArrayList<>(w.length);
        for (String x : w) if (!x.isEmpty()) words.add(x);
        int k = config.shingleWords();
        int count = Math.max(1, words.size() - k + 1);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            long h = 0x2545F4914F6CDD1DL;
            for (int j = i; j < Math.min(words.size(), i + k); j++) h = mix(h ^ words.get(j).hashCode() * 0xC2B2AE3D27D4EB4FL);
            out[i] = h;
        }
        Arrays.sort(out);
        return Arrays.stream(out).distinct().toArray();
    }

    int[] signature(long[] shingles) {
        int[] sig = new int[seeds.length];
        Arrays.fill(sig, Integer.MAX_VALUE);
        for (long sh : shingles) {
            for (int i = 0; i < seeds.length; i++) {
                int h = (int) (mix(sh ^ seeds[i]) >>> 33);
                if (h < sig[i]) sig[i] = h;
            }
        }
        return sig;
    }

    static double jaccard(long[] a, long[] b) {
        int i = 0, j = 0, inter = 0;
        while (i < a.length && j < b.length) {
            if (a[i] == b[j]) { inter++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        int union = a.length + b.length - inter;
        return union == 0 ? 1.0 : (double) inter / union;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** An empty index to {@link Index#add} reference texts to and query with {@link Index#nearest}. */
    public Index references() { return new Index(); }

    /** An LSH index of kept texts. Adding is single-threaded; queries may come from many threads. */
    public final class Index {
        private final List<Map<Long, List<Integer>>> buckets = new ArrayList<>();
        private final List<String> ids = new ArrayList<>();
        private final List<long[]> sets = new ArrayList<>();
        private final List<int[]> sigs = new ArrayList<>();
        /** seenAt[i] == query number when indexed text i was already compared in this query (avoids a set per query). */
        private int[] seenAt = new int[1024];
        private int queries;

        Index() { for (int b = 0; b < config.bands(); b++) buckets.add(new HashMap<>()); }

        public int size() { return ids.size(); }

        /** Adds a reference text. */
        public void add(String id, String text) {
            long[] set = shingles(text);
            add(id, set, signature(set));
        }

        /** The most similar reference at or above {@code threshold} ({@link Collision#kept} is its id), if any. */
        public Optional<Collision> nearest(String text, double threshold) {
            long[] set = shingles(text);
            return Optional.ofNullable(query("", set, signature(set), "minhash", threshold));
        }

        void add(String id, long[] set, int[] sig) {
            int n = ids.size();
            ids.add(id); sets.add(set); sigs.add(sig);
            if (n >= seenAt.length) seenAt = java.util.Arrays.copyOf(seenAt, seenAt.length * 2);
            for (int b = 0; b < config.bands(); b++) buckets.get(b).computeIfAbsent(bandKey(sig, b), x -> new ArrayList<>(2)).add(n);
        }

        /** The most similar indexed text at or above the threshold, or null. */
        Collision query(String id, long[] set, int[] sig, String method) { return query(id, set, sig, method, config.threshold()); }

        synchronized Collision query(String id, long[] set, int[] sig, String method, double threshold) {
            double best = -1;
            int bestI = -1;
            int q = ++queries;
            for (int b = 0; b < config.bands(); b++) {
                List<Integer> c = buckets.get(b).get(bandKey(sig, b));
                if (c == null) continue;
                for (int i : c) {
                    if (seenAt[i] == q) continue;
                    seenAt[i] = q;
                    double j = jaccard(set, sets.get(i));
                    if (j >= threshold && j > best) { best = j; bestI = i; }
                }
            }
            return bestI < 0 ? null : new Collision(id, ids.get(bestI), best, method);
        }
    }

    private long bandKey(int[] sig, int band) {
        int r = config.permutations() / config.bands();
        long h = band * 0x9E3779B97F4A7C15L;
        for (int i = band * r; i < (band + 1) * r; i++) h = mix(h ^ sig[i]);
        return h;
    }

    /** Shingle sets and signatures for many texts, computed in parallel. */
    record Prepared(List<long[]> sets, List<int[]> sigs) {}

    Prepared prepare(List<String> texts) {
        long[][] sets = new long[texts.size()][];
        int[][] sigs = new int[texts.size()][];
        IntStream.range(0, texts.size()).parallel().forEach(i -> {
            sets[i] = shingles(texts.get(i));
            sigs[i] = signature(sets[i]);
        });
        return new Prepared(Arrays.asList(sets), Arrays.asList(sigs));
    }

    /** Removes near duplicates within one list, keeping the first of each group (input order). */
    public List<Collision> dedup(List<String> ids, List<String> texts) {
        if (ids.size() != texts.size()) throw new IllegalArgumentException("ids and texts differ in size");
        Prepared p = prepare(texts);
        Index index = new Index();
        List<Collision> removed = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            Collision c = index.query(ids.get(i), p.sets().get(i), p.sigs().get(i), "minhash");
            if (c != null) removed.add(c);
            else index.add(ids.get(i), p.sets().get(i), p.sigs().get(i));
        }
        return removed;
    }

    /**
     * The cross-split guard: every {@code train} text that is a near duplicate of a protected (dev or
     * held-out) text, checked both ways — train texts against an index of protected ones, and protected
     * texts against an index of train ones. The train side is always the one reported for removal.
     */
    public List<Collision> crossSplit(List<String> trainIds, List<String> trainTexts, List<String> protectedIds, List<String> protectedTexts) {
        Prepared tr = prepare(trainTexts);
        Prepared pr = prepare(protectedTexts);
        Index protectedIndex = new Index();
        for (int i = 0; i < protectedIds.size(); i++) protectedIndex.add(protectedIds.get(i), pr.sets().get(i), pr.sigs().get(i));
        Map<String, Collision> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < trainIds.size(); i++) {
            Collision c = protectedIndex.query(trainIds.get(i), tr.sets().get(i), tr.sigs().get(i), "minhash-cross-split");
            if (c != null) out.put(c.removed(), c);
        }
        Index trainIndex = new Index();
        for (int i = 0; i < trainIds.size(); i++) trainIndex.add(trainIds.get(i), tr.sets().get(i), tr.sigs().get(i));
        for (int i = 0; i < protectedIds.size(); i++) {
            Collision c = trainIndex.query(protectedIds.get(i), pr.sets().get(i), pr.sigs().get(i), "minhash-cross-split");
            if (c != null && !out.containsKey(c.kept())) out.put(c.kept(), new Collision(c.kept(), c.removed(), c.similarity(), c.method()));
        }
        return new ArrayList<>(out.values());
    }

    /** Exact all-pairs Jaccard (the benchmark's baseline): pairs at or above the threshold. */
    public long exactPairs(List<String> texts) {
        List<long[]> sets = texts.stream().map(this::shingles).toList();
        long found = 0;
        for (int i = 0; i < sets.size(); i++) for (int j = i + 1; j < sets.size(); j++) if (jaccard(sets.get(i), sets.get(j)) >= config.threshold()) found++;
        return found;
    }
}
