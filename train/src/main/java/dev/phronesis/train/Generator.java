package dev.phronesis.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched sampling from a {@link LlamaModel} with a KV cache.
 *
 * <p>Prompts are left-padded to a common length; padding is masked out of attention and rotary
 * positions start at 0 at each prompt's first real token, so a row's tokens do not depend on what
 * else is in the batch (up to float rounding in differently shaped matmuls). Each row samples with
 * its own {@link SplittableRandom} seeded from its request: the same request and seed give the same
 * tokens. A row ends at {@code <|end|>}, at a stop sequence (cut from the text) or after
 * {@code maxTokens}; finished rows leave the batch (and the cache), so the remaining rows run faster. Thread-safe: each call uses its own native memory and only reads the weights.
 */
public final class Generator {
    /**
     * @param prompt      token ids of the prompt (at least one)
     * @param temperature 0 = greedy
     * @param topP        nucleus mass in (0, 1]
     */
    public record Request(int[] prompt, double temperature, double topP, int maxTokens, List<String> stop, long seed) {
        public Request {
            if (prompt.length == 0) throw new IllegalArgumentException("a prompt needs at least one token");
            if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
            if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be within (0, 1], got " + topP);
            if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
            stop = stop == null ? List.of() : List.copyOf(stop);
        }
    }

    /** @param finishReason {@code stop} (end token or stop sequence) or {@code length} */
    public record Output(int[] tokens, String text, String finishReason, int promptTokens) {}

    private final LlamaModel model;
    private final Tokenizer tok;
    private final int endId;

    public Generator(LlamaModel model, Tokenizer tok) {
        this.model = model;
        this.tok = tok;
        this.endId = tok.specialId(WordTokenizer.END);
    }

    public List<Output> generate(List<Request> requests) {
        return generate(requests, true);
    }

    /** As {@link #generate(List)}; {@code useCache = false} recomputes the whole sequence each step (for tests). */
    public List<Output> generate(List<Request> requests, boolean useCache) {
        if (requests.isEmpty()) return List.of();
        Torch.noGrad();
        int b = requests.size(), ctx = model.config().maxPositionEmbeddings();
        int maxPrompt = 0, maxNew = 0;
        for (Request r : requests) {
            if (r.prompt().length >= ctx)
                throw new IllegalArgumentException("prompt of " + r.prompt().length + " tokens leaves no room in the context of " + ctx);
            maxPrompt = Math.max(maxPrompt, r.prompt().length);
            maxNew = Math.max(maxNew, Math.min(r.maxTokens(), ctx - r.prompt().length));
        }
        // row state
        int[][] out = new int[b][];
        int[] len = new int[b];
        boolean[] done = new boolean[b];
        String[] finish = new String[b];
        String[] text = new String[b];
        SplittableRandom[] rnd = new SplittableRandom[b];
        for (int i = 0; i < b; i++) {
            out[i] = new int[Math.min(requests.get(i).maxTokens(), ctx - requests.get(i).prompt().length)];
            rnd[i] = new SplittableRandom(requests.get(i).seed());
        }
        // the whole (padded) sequence so far: pads on the left
        int total = maxPrompt + maxNew;
        long[] seq = new long[b * total];
        boolean[] real = new boolean[b * total];
        for (int i = 0; i < b; i++) {
            int[] p = requests.get(i).prompt();
            for (int j = 0; j < p.length; j++) {
                seq[i * total + maxPrompt - p.length + j] = p[j];
                real[i * total + maxPrompt - p.length + j] = true;
            }
        }
        int[] rows = new int[b]; // requests still generating, in batch order (finished rows are dropped from the batch)
        for (int i = 0; i < b; i++) rows[i] = i;
        try (NDManager gm = NDManager.newBaseManager(); LlamaModel.KvCache cache = useCache ? new LlamaModel.KvCache(model.config().numHiddenLayers()) : null) {
            int cur = maxPrompt; // sequence length processed so far after this step
            for (int t = 0; t < maxNew && rows.length > 0; t++) {
                float[] logits;
                int n = rows.length;
                try (NDScope scope = new NDScope(); NDManager sm = gm.newSubManager()) {
                    int from = useCache && t > 0 ? cur - 1 : 0; // new query positions [from, cur)
                    NDArray ids = sm.create(slice(seq, rows, total, from, cur), new Shape(n, cur - from));
                    NDArray pos = sm.create(positions(requests, rows, maxPrompt, from, cur), new Shape(n, cur - from));
                    NDArray mask = sm.create(mask(real, rows, total, from, cur), new Shape(n, 1, 1, cur - from, cur)).toType(model.dtype(), false);
                    NDArray l = model.forward(ids, pos, mask, cache, true); // (n, 1, V)
                    logits = l.toType(DataType.FLOAT32, false).toFloatArray();
                }
                int v = logits.length / n;
                int alive = 0;
                for (int k = 0; k < n; k++) {
                    int i = rows[k];
                    Request r = requests.get(i);
                    int next = sample(logits, k * v, v, r.temperature(), r.topP(), rnd[i]);
                    seq[i * total + cur] = next;
                    real[i * total + cur] = true;
                    if (next == endId) {
                        done[i] = true;
                        finish[i] = "stop";
                    } else {
                        out[i][len[i]++] = next;
                        if (!r.stop().isEmpty()) {
                            String s = tok.decode(Arrays.copyOf(out[i], len[i]));
                            int cut = firstStop(s, r.stop());
                            if (cut >= 0) { done[i] = true; finish[i] = "stop"; text[i] = s.substring(0, cut); }
                        }
                        if (!done[i] && len[i] == out[i].length) { done[i] = true; finish[i] = "length"; }
                    }
                    if (!done[i]) alive++;
                }
                cur++;
                if (alive < n) { // drop finished rows from the batch (and from the cache)
                    int[] keep = new int[alive];
                    long[] keepPos = new long[alive];
                    for (int k = 0, j = 0; k < n; k++) if (!done[rows[k]]) { keep[j] = rows[k]; keepPos[j++] = k; }
                    if (cache != null && alive > 0) cache.keepRows(keepPos);
                    rows = keep;
                }
            }
        }
        List<Output> res = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            int[] toks = Arrays.copyOf(out[i], len[i]);
            String s = text[i] != null ? text[i] : tok.decode(toks);
            res.add(new Output(toks, s, finish[i] == null ? "length" : finish[i], requests.get(i).prompt().length));
        }
        return res;
    }

    private static int firstStop(String s, List<String> stops) {
        int best = -1;
        for (String st : stops) {
            int k = st.isEmpty() ? -1 : s.indexOf(st);
            if (k >= 0 && (best < 0 || k < best)) best = k;
        }
        return best;
    }

    private static long[] slice(long[] seq, int[] rows, int total, int from, int to) {
        int w = to - from;
        long[] o = new long[rows.length * w];
        for (int k = 0; k < rows.length; k++) System.arraycopy(seq, rows[k] * total + from, o, k * w, w);
        return o;
    }

    /** Rotary position of column j in a row: j minus the row's left padding (pads get 0). */
    private static long[] positions(List<Request> reqs, int[] rows, int maxPrompt, int from, int to) {
        int w = to - from;
        long[] o = new long[rows.length * w];
        for (int k = 0; k < rows.length; k++) {
            int pad = maxPrompt - reqs.get(rows[k]).prompt().length;
            for (int j = from; j < to; j++) o[k * w + j - from] = Math.max(0, j - pad);
        }
        return o;
    }

    /** (n, 1, 1, to-from, to): query j may see key c iff c <= j and c is a real token of its row. */
    private static float[] mask(boolean[] real, int[] rows, int total, int from, int to) {
        int q = to - from;
        float[] m = new float[rows.length * q * to];
        for (int k = 0; k < rows.length; k++)
            for (int j = 0; j < q; j++)
                for (int c = 0; c < to; c++)
                    if (c > from + j || !real[rows[k] * total + c]) m[(k * q + j) * to + c] = LlamaModel.MASKED;
        return m;
    }

    /** Greedy at temperature 0; otherwise softmax(logits / T) restricted to the top-p nucleus. */
    static int sample(float[] logits, int off, int v, double temperature, double topP, SplittableRandom rnd) {
        if (temperature == 0) {
            int best = 0;
            for (int k = 1; k < v; k++) if (logits[off + k] > logits[off + best]) best = k;
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) max = Math.max(max, logits[off + k]);
        double[] p = new double[v];
        double sum = 0;
        for (int k = 0; k < v; k++) { p[k] = Math.exp((logits[off + k] - max) / temperature); sum += p[k]; }
        Integer[] order = null;
        int keep = v;
        if (topP < 1) {
            order = new Integer[v];
            for (int k = 0; k < v; k++) order[k] = k;
            final double[] pp = p;
            Arrays.sort(order, (x, y) -> pp[y] != pp[x] ? Double.compare(pp[y], pp[x]) : Integer.compare(x, y));
            double c = 0;
            keep = 0;
            while (keep < v && c < topP * sum) c += p[order[keep++]];
            sum = c;
        }
        double u = rnd.nextDouble() * sum, c = 0;
        for (int k = 0; k < keep; k++) {
            int id = order == null ? k : order[k];
            c += p[id];
            if (u < c) return id;
        }
        return order == null ? v - 1 : order[keep - 1];
    }
}
