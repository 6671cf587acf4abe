package dev.phronesis.train;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Keys and values of finished rows, kept so that a new row whose prompt starts the same way copies
 * them instead of computing them again (automatic prefix caching, as vLLM and llama.cpp's server
 * do). Used by {@link Generator} on the Java forward ({@link CpuLlama}) only.
 *
 * <p>Why it is exact: on the Java forward a position's keys and values depend only on the tokens up
 * to it (every sum runs in input order, whatever the batch), so a copied prefix is bit for bit what
 * the row would have computed; {@code PrefixCacheTest} checks tokens and log-probabilities with the
 * cache on and off.
 *
 * <p>Bounded by bytes; the least recently used entry goes first. An entry that is a prefix of a newly
 * donated sequence is replaced by it. Thread-safe: entries are never written after donation.
 */
final class PrefixCache {
    /** Shorter shared prefixes are not worth a lookup. */
    static final int MIN_TOKENS = 4;

    private record Entry(CpuLlama forward, int[] tokens, CpuLlama.Cache cache) {}

    /** A cached prefix: copy {@code length} positions of {@code cache}. */
    record Match(CpuLlama.Cache cache, int length) {}

    private final ArrayDeque<Entry> entries = new ArrayDeque<>(); // least recently used first
    private volatile long maxBytes;
    private long bytes;

    PrefixCache(long maxBytes) { this.maxBytes = Math.max(0, maxBytes); }

    /** Most bytes kept (0 turns the cache off and empties it). */
    synchronized void maxBytes(long max) {
        maxBytes = Math.max(0, max);
        evict();
    }

    long maxBytes() { return maxBytes; }

    synchronized long bytes() { return bytes; }

    synchronized int size() { return entries.size(); }

    /**
     * Keeps {@code cache}, whose positions hold {@code tokens[0 .. cache.length())}; the caller gives it up
     * (it is not written again). Compacted to its length first.
     */
    void donate(CpuLlama forward, int[] tokens, CpuLlama.Cache cache) {
        int len = cache.length();
        if (maxBytes == 0 || len < MIN_TOKENS) return;
        CpuLlama.Cache kept = cache.compacted();
        if (kept.bytes() > maxBytes) return;
        int[] seq = java.util.Arrays.copyOf(tokens, len);
        synchronized (this) {
            for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.forward == forward && e.tokens.length <= len && common(e.tokens, e.tokens.length, seq) == e.tokens.length) {
                    it.remove();
                    bytes -= e.cache.bytes();
                } else if (e.forward == forward && e.tokens.length >= len && common(seq, len, e.tokens) == len) return; // already held
            }
            entries.addLast(new Entry(forward, seq, kept));
            bytes += kept.bytes();
            evict();
        }
    }

    /** The longest cached prefix of {@code prompt} on {@code forward}, at most {@code prompt.length - 1} tokens (the last one must be fed to get logits); null when shorter than {@link #MIN_TOKENS}. */
    synchronized Match longest(CpuLlama forward, int[] prompt) {
        Entry best = null;
        int bestLen = MIN_TOKENS - 1;
        for (Entry e : entries) {
            if (e.forward != forward) continue;
            int m = Math.min(common(e.tokens, e.tokens.length, prompt), prompt.length - 1);
            if (m > bestLen) { best = e; bestLen = m; }
        }
        if (best == null) return null;
        entries.remove(best);
        entries.addLast(best); // most recently used
        return new Match(best.cache, bestLen);
    }

    private void evict() {
        while (bytes > maxBytes && !entries.isEmpty()) bytes -= entries.removeFirst().cache.bytes();
    }

    /** Length of the common prefix of a[0 ..< alen] and b. */
    static int common(int[] a, int alen, int[] b) {
        int n = Math.min(alen, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}
