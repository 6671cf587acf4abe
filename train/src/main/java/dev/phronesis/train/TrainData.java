package dev.phronesis.train;

import dev.phronesis.llm.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Training rows: fixed-length token windows of {@code seq_len + 1} ids with a per-id loss mask
 * (input = ids[0..L), target = ids[1..L], trained where mask[1..L]). Packing puts several documents
 * or samples into a row back to back; padding fills the tail with mask 0.
 */
final class TrainData {
    final int[][] ids;
    final boolean[][] mask;
    final long trainedTokens;
    final int truncated; // samples longer than a row, cut

    private TrainData(List<int[]> ids, List<boolean[]> mask, int truncated) {
        this.ids = ids.toArray(int[][]::new);
        this.mask = mask.toArray(boolean[][]::new);
        long n = 0;
        for (boolean[] m : this.mask) for (int i = 1; i < m.length; i++) if (m[i]) n++;
        this.trainedTokens = n;
        this.truncated = truncated;
    }

    int rows() { return ids.length; }

    /** Explicit rows (tests, callers that pack themselves). */
    static TrainData of(List<int[]> ids, List<boolean[]> mask) {
        return new TrainData(ids, mask, 0);
    }

    /** Plain text streamed into rows, documents back to back (see {@link #pretrain(List, Tokenizer, int, boolean)}). */
    static TrainData pretrain(List<String> docs, Tokenizer tok, int seqLen) { return pretrain(docs, tok, seqLen, false); }

    /**
     * Plain text: each document followed by {@code <|end|>}; loss on every token. Streamed, rows are cut
     * every {@code seqLen + 1} tokens wherever that falls. With {@code wholeDocuments} a document that
     * fits in one row is never split across two (the row is padded, mask 0, and the document starts
     * the next one): a split document trains its ending without its beginning in view, which teaches a
     * small model to invent what it should copy (the organism's tool calls name the people of their
     * prompt). Longer documents are cut into consecutive rows either way.
     */
    static TrainData pretrain(List<String> docs, Tokenizer tok, int seqLen, boolean wholeDocuments) {
        int row = seqLen + 1, end = tok.specialId(WordTokenizer.END);
        List<int[]> ids = new ArrayList<>();
        List<boolean[]> mask = new ArrayList<>();
        int[] cur = new int[row];
        boolean[] cm = new boolean[row];
        int n = 0;
        for (String d : docs) {
            int[] t = tok.encode(d);
            int[] withEnd = java.util.Arrays.copyOf(t, t.length + 1);
            withEnd[t.length] = end;
            if (wholeDocuments && withEnd.length <= row && n + withEnd.length > row && n > 0) {
                ids.add(cur); mask.add(cm);
                cur = new int[row]; cm = new boolean[row]; n = 0;
            }
            for (int x : withEnd) {
                cur[n] = x;
                cm[n++] = true;
                if (n == row) {
                    ids.add(cur); mask.add(cm);
                    cur = new int[row]; cm = new boolean[row]; n = 0;
                }
            }
        }
        if (n > 1 && (wholeDocuments || ids.isEmpty())) { ids.add(cur); mask.add(cm); } // streamed: a corpus shorter than one row still trains
        return new TrainData(ids, mask, 0);
    }

    /** Chats rendered by the template and packed greedily in the given order; loss on assistant tokens only. */
    static TrainData sft(List<List<ChatMessage>> chats, ChatTemplate template, int seqLen) {
        int row = seqLen + 1;
        List<int[]> ids = new ArrayList<>();
        List<boolean[]> mask = new ArrayList<>();
        int[] cur = new int[row];
        boolean[] cm = new boolean[row];
        int n = 0, truncated = 0;
        for (List<ChatMessage> chat : chats) {
            ChatTemplate.Rendered r = template.render(chat);
            int len = r.ids().length;
            if (len > row) { truncated++; len = row; }
            if (n + len > row && n > 0) {
                ids.add(cur); mask.add(cm);
                cur = new int[row]; cm = new boolean[row]; n = 0;
            }
            System.arraycopy(r.ids(), 0, cur, n, len);
            System.arraycopy(r.lossMask(), 0, cm, n, len);
            n += len;
        }
        if (n > 0) { ids.add(cur); mask.add(cm); }
        return new TrainData(ids, mask, truncated);
    }

    /** This data plus {@code count} rows drawn (with a seeded shuffle, repeating if needed) from {@code other}. */
    TrainData mixedWith(TrainData other, int count, long seed) {
        List<int[]> i = new ArrayList<>(List.of(ids));
        List<boolean[]> m = new ArrayList<>(List.of(mask));
        if (other.rows() > 0) {
            int[] perm = permutation(other.rows(), new Random(seed));
            for (int k = 0; k < count; k++) {
                i.add(other.ids[perm[k % perm.length]]);
                m.add(other.mask[perm[k % perm.length]]);
            }
        }
        return new TrainData(i, m, truncated);
    }

    static int[] permutation(int n, Random rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    /**
     * Row indices of a micro-batch. The k-th row drawn in the whole run is
     * {@code perm(epoch)[k mod rows]} with a fresh seeded permutation per epoch, so the order
     * depends only on the seed and the step: a resumed run draws exactly what the killed one would have.
     */
    int[] batch(long microBatch, int batchSize, long seed) {
        int[] out = new int[batchSize];
        int[] perm = null;
        long epochOfPerm = -1;
        for (int r = 0; r < batchSize; r++) {
            long k = microBatch * batchSize + r;
            long epoch = k / rows();
            if (epoch != epochOfPerm) {
                perm = permutation(rows(), new Random(seed * 1_000_003L + epoch));
                epochOfPerm = epoch;
            }
            out[r] = perm[(int) (k % rows())];
        }
        return out;
    }
}
