package dev.phronesis.data.distill;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Word-shingle MinHash with LSH banding over reference texts (eval items, held-out scenarios); a query
 * returns the most similar reference at or above a Jaccard threshold. LSH only proposes candidates; the
 * exact Jaccard of the shingle sets decides, so there are no false positives. Immutable after
 * construction, hence safe to query from many threads.
 */
final class NearDuplicateIndex {
    /** 32 bands of 4 rows: a pair with Jaccard 0.5 becomes a candidate with probability 1-(1-0.5^4)^32 ≈ 0.87, at 0.7 with ≈ 1.0. */
    static final int BANDS = 32;
    static final int ROWS = 4;
    private static final int HASHES = BANDS * ROWS;
    private static final long[] SEEDS = new long[HASHES];

    static {
        long x = 0x2545F4914F6CDD1DL;
        for (int i = 0; i < HASHES; i++) SEEDS[i] = x = mix(x + 0x9E3779B97F4A7C15L);
    }

    record Match(String id, double jaccard) {}

    private final int shingleWords;
    private final List<String> ids = new ArrayList<>();
    private final List<Set<Long>> shingles = new ArrayList<>();
    private final List<Map<Long, List<Integer>>> bands = new ArrayList<>();

    NearDuplicateIndex(int shingleWords) {
        this.shingleWords = shingleWords;
        for (int b = 0; b < BANDS; b++) bands.add(new HashMap<>());
    }

    int size() { return ids.size(); }

    void add(String id, String text) {
        Set<Long> sh = shingles(text);
        int idx = ids.size();
        ids.add(id);
        shingles.add(sh);
        long[] sig = signature(sh);
        for (int b = 0; b < BANDS; b++) bands.get(b).computeIfAbsent(bandKey(sig, b), k -> new ArrayList<>()).add(idx);
    }

    Optional<Match> nearest(String text, double threshold) {
        Set<Long> sh = shingles(text);
        long[] sig = signature(sh);
        Set<Integer> candidates = new HashSet<>();
        for (int b = 0; b < BANDS; b++) {
            List<Integer> hit = bands.get(b).get(bandKey(sig, b));
            if (hit != null) candidates.addAll(hit);
        }
        Match best = null;
        for (int c : candidates) {
            double j = jaccard(sh, shingles.get(c));
            if (j >= threshold && (best == null || j > best.jaccard())) best = new Match(ids.get(c), j);
        }
        return Optional.ofNullable(best);
    }

    Set<Long> shingles(String text) {
        String[] w = text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+");
        List<String> words = new ArrayList<>();
        for (String s : w) if (!s.isEmpty()) words.add(s);
        Set<Long> out = new HashSet<>();
        if (words.isEmpty()) return out;
        int k = Math.min(shingleWords, words.size());
        for (int i = 0; i + k <= words.size(); i++) {
            long h = 0xcbf29ce484222325L;
            for (int j = i; j < i + k; j++) {
                String s = words.get(j);
                for (int q = 0; q < s.length(); q++) h = (h ^ s.charAt(q)) * 0x100000001b3L;
                h = (h ^ ' ') * 0x100000001b3L;
            }
            out.add(h);
        }
        return out;
    }

    private static long[] signature(Set<Long> sh) {
        long[] sig = new long[HASHES];
        java.util.Arrays.fill(sig, Long.MAX_VALUE);
        for (long s : sh) {
            for (int i = 0; i < HASHES; i++) {
                long h = mix(s ^ SEEDS[i]);
                if (h < sig[i]) sig[i] = h;
            }
        }
        return sig;
    }

    private static long bandKey(long[] sig, int band) {
        long h = band;
        for (int r = 0; r < ROWS; r++) h = mix(h * 31 + sig[band * ROWS + r]);
        return h;
    }

    static double jaccard(Set<Long> a, Set<Long> b) {
        if (a.isEmpty() && b.isEmpty()) return 1.0;
        Set<Long> small = a.size() <= b.size() ? a : b;
        Set<Long> large = small == a ? b : a;
        int inter = 0;
        for (long x : small) if (large.contains(x)) inter++;
        return (double) inter / (a.size() + b.size() - inter);
    }

    /** SplitMix64 finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
