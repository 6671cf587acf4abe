package dev.phronesis.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The one sampler of every checkpoint: continuous batching over a {@link LlamaModel} with a KV cache.
 *
 * <p>A {@link Batch} holds the rows being generated. {@link Batch#add} queues a row; each
 * {@link Batch#step} first decodes one token for every row already in the cache, then prefills the
 * rows that joined since the last step (one forward over their left-padded prompts) and merges their
 * cache into the batch's — so a request joins the running decode batch at a token boundary and
 * leaves it the step it finishes, with no waiting for a batch to fill or drain.
 *
 * <p>The batch's cache is one tensor per layer, (rows, kv_heads, S, head_dim), each row's keys
 * right-aligned: row r's own cache is its last {@code S - pad[r]} columns; the {@code pad[r]} columns
 * before them are masked out of attention, and rotary positions count from the row's first real
 * token, so a row's tokens do not depend on its neighbours (up to float rounding in differently
 * shaped matmuls). When rows leave, columns that are padding for every remaining row are cut, so S
 * is always the longest live row and memory is released as rows finish.
 *
 * <p>Each row samples with its own {@link SplittableRandom} seeded from its request, so the same
 * request and seed give the same tokens whatever else is in the batch. A row ends at an end token,
 * at a stop sequence (cut from the text), when its {@link Guide} completes, when cancelled, or
 * after {@code maxTokens}. A batch is used from one thread; different batches may run concurrently
 * (they only read the weights).
 */
public final class Generator {
    /**
     * @param prompt      token ids of the prompt (at least one)
     * @param temperature 0 = greedy
     * @param topP        nucleus mass in (0, 1]
     * @param topLogprobs how many alternatives to report per token (0 = no logprobs; -1 = the chosen token's only)
     * @param guide       constrains which tokens may come next (null = free text)
     */
    public record Request(int[] prompt, double temperature, double topP, int maxTokens, List<String> stop, long seed,
                          int topLogprobs, Guide guide) {
        /** Most alternatives reported per token (OpenAI's bound). */
        public static final int MAX_TOP_LOGPROBS = 20;

        public Request {
            if (prompt.length == 0) throw new IllegalArgumentException("a prompt needs at least one token");
            if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
            if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be within (0, 1], got " + topP);
            if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
            if (topLogprobs < -1 || topLogprobs > MAX_TOP_LOGPROBS)
                throw new IllegalArgumentException("top_logprobs must be within [0, " + MAX_TOP_LOGPROBS + "], got " + topLogprobs);
            stop = stop == null ? List.of() : List.copyOf(stop);
        }

        public Request(int[] prompt, double temperature, double topP, int maxTokens, List<String> stop, long seed) {
            this(prompt, temperature, topP, maxTokens, stop, seed, 0, null);
        }
    }

    /** The chosen token's log-probability under the model (before temperature) and the {@code top} most likely alternatives. */
    public record TokenLogprob(int token, float logprob, int[] topTokens, float[] topLogprobs) {}

    /** Why a row ended. {@link #wire()} is the OpenAI-style word ({@code stop}, {@code length}, {@code cancelled}). */
    public enum Finish {
        /** An end token, a stop sequence, or a guide that is complete. */
        STOP,
        /** The token budget ({@code max_tokens} or the context window) ran out. */
        LENGTH,
        /** The caller cancelled the request or the generator closed. */
        CANCELLED;

        public String wire() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    public record Output(int[] tokens, String text, Finish finishReason, int promptTokens, List<TokenLogprob> logprobs) {}

    /** Receives a row's progress on the generating thread; must not block. */
    public interface Listener {
        /** Text that became final with this token (may be empty while a stop sequence or a UTF-8 sequence is pending). */
        void token(String textDelta, TokenLogprob logprob);

        void done(Output output);

        Listener NONE = new Listener() {
            @Override public void token(String textDelta, TokenLogprob logprob) {}
            @Override public void done(Output output) {}
        };
    }

    /** A handle on one row: {@link #cancel} makes it leave the batch at the next step. */
    public static final class Handle {
        private volatile boolean cancelled;
        public void cancel() { cancelled = true; }
        public boolean isCancelled() { return cancelled; }
    }

    /** Decoded text that may still grow into a real character: the tokenizer's replacement character. */
    private static final char INCOMPLETE = '\uFFFD';

    private final LlamaModel model;
    private final Tokenizer tok;
    private final Set<Integer> endIds;
    private final int[] endArray;
    private volatile CpuLlama cpu; // the Java forward of the same weights, null = libtorch only
    private volatile boolean adapterActive; // a LoRA adapter is on the model: only the libtorch forward sees it
    /** Default bytes of finished rows' keys and values kept for reuse ({@link #prefixCacheBytes}). */
    public static final long DEFAULT_PREFIX_CACHE_BYTES = 256L << 20;
    private final PrefixCache prefixes = new PrefixCache(DEFAULT_PREFIX_CACHE_BYTES);
    private final java.util.concurrent.atomic.AtomicLong prefixHits = new java.util.concurrent.atomic.AtomicLong();

    /** A generator that ends rows at any of {@code endIds}. */
    public Generator(LlamaModel model, Tokenizer tok, Set<Integer> endIds) {
        this.model = model;
        this.tok = tok;
        this.endIds = Set.copyOf(endIds);
        this.endArray = this.endIds.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /**
     * Decodes through {@code f} (the same weights' {@link CpuLlama}) whenever no adapter is active;
     * null keeps libtorch. The system property {@code phronesis.forward=torch} keeps libtorch too.
     */
    void useCpu(CpuLlama f) { this.cpu = "torch".equals(System.getProperty("phronesis.forward")) ? null : f; }

    /** Whether an adapter is on the model (then batches that start now use the libtorch forward). */
    void adapterActive(boolean on) { this.adapterActive = on; }

    /**
     * Most bytes of finished rows' keys and values kept so that later prompts with the same start copy
     * them instead of computing them (Java forward only; exact, see {@link PrefixCache}). 0 turns it off.
     */
    public void prefixCacheBytes(long max) { prefixes.maxBytes(max); }

    /** Prompt tokens whose keys and values were copied from a cached prefix instead of computed, since this generator was made. */
    public long prefixHitTokens() { return prefixHits.get(); }

    /** Bytes the prefix cache holds now. */
    public long prefixCacheHeld() { return prefixes.bytes(); }

    /** Whether batches that start now run on the Java forward ({@link CpuLlama}) rather than libtorch. */
    public boolean onJavaForward() { return cpuNow() != null; }

    /** The Java forward batches use now, or null. */
    CpuLlama cpuNow() { return adapterActive ? null : cpu; }

    /** The organism's generator: rows end at {@code <|end|>}. */
    public Generator(LlamaModel model, Tokenizer tok) {
        this(model, tok, tok.specialId(WordTokenizer.END) < 0 ? Set.of() : Set.of(tok.specialId(WordTokenizer.END)));
    }

    public LlamaModel model() { return model; }
    public Tokenizer tokenizer() { return tok; }
    public Set<Integer> endIds() { return endIds; }

    /** Generates every request to its end in one batch and returns the outputs in request order. */
    public List<Output> generate(List<Request> requests) {
        if (requests.isEmpty()) return List.of();
        Output[] out = new Output[requests.size()];
        try (Batch b = new Batch()) {
            for (int i = 0; i < requests.size(); i++) {
                final int k = i;
                b.add(requests.get(i), new Listener() {
                    @Override public void token(String d, TokenLogprob lp) {}
                    @Override public void done(Output o) { out[k] = o; }
                });
            }
            while (!b.isEmpty()) b.step();
        }
        return Arrays.asList(out);
    }

    /** Refuses a prompt that leaves no room for a new token in the model's context. */
    public void checkFits(int[] prompt) {
        int ctx = model.config().maxPositionEmbeddings();
        if (prompt.length >= ctx)
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens leaves no room in the context of " + ctx);
    }

    /** One row's state. */
    private final class Row {
        final Request req;
        final Listener listener;
        final Handle handle;
        final SplittableRandom rnd;
        final int[] out;
        final Guide.Cursor cursor;
        final List<TokenLogprob> logprobs;
        CpuLlama.Cache kv; // this row's own cache on the Java forward
        int len, pad, last;
        int emitted; // chars of the text already handed to the listener
        String text; // set when a stop sequence cut it

        Row(Request req, Listener listener, Handle handle) {
            this.req = req;
            this.listener = listener;
            this.handle = handle;
            this.rnd = new SplittableRandom(req.seed());
            this.out = new int[Math.min(req.maxTokens(), model.config().maxPositionEmbeddings() - req.prompt().length)];
            this.cursor = req.guide() == null ? null : req.guide().start();
            this.logprobs = req.topLogprobs() != 0 ? new ArrayList<>() : null;
        }

        /** Takes the sampled token; returns a finish reason when the row is done, else null. */
        Finish accept(int next, float[] logits, int off, int v) {
            if (logprobs != null) logprobs.add(logprob(logits, off, v, next, Math.max(0, req.topLogprobs())));
            if (endIds.contains(next)) return finish(Finish.STOP);
            out[len++] = next;
            last = next;
            if (cursor != null) cursor.advance(next);
            String s = tok.decode(Arrays.copyOf(out, len));
            int cut = firstStop(s, req.stop());
            if (cut >= 0) { text = s.substring(0, cut); return finish(Finish.STOP); }
            int safe = s.length() - pendingSuffix(s, req.stop()); // hold back what may still become a stop sequence or a character
            if (safe > emitted) {
                listener.token(s.substring(emitted, safe), logprobs == null ? null : logprobs.getLast());
                emitted = safe;
            } else listener.token("", logprobs == null ? null : logprobs.getLast());
            if (cursor != null && cursor.complete()) return finish(Finish.STOP);
            if (len == out.length) return finish(Finish.LENGTH);
            return null;
        }

        Finish finish(Finish reason) {
            String s = text != null ? text : tok.decode(Arrays.copyOf(out, len));
            if (s.length() > emitted) listener.token(s.substring(emitted), null);
            emitted = s.length();
            listener.done(new Output(Arrays.copyOf(out, len), s, reason, req.prompt().length,
                    logprobs == null ? List.of() : List.copyOf(logprobs)));
            return reason;
        }
    }

    /**
     * A running batch (see the class comment). Not thread-safe: one thread adds and steps; only
     * {@link Handle#cancel} may be called from elsewhere. Closing it frees the cache.
     */
    public final class Batch implements AutoCloseable {
        private final NDManager manager = NDManager.newBaseManager();
        private final List<Row> joining = new ArrayList<>();
        private Row[] rows = new Row[0]; // in cache row order
        private LlamaModel.KvCache cache; // null while no row is in it (libtorch forward)
        private CpuLlama cpu; // the Java forward while rows are on it (chosen when the batch is empty)
        private final CpuLlama.Scratch scratch = new CpuLlama.Scratch();
        private float[] logitsBuf = new float[0], maskBuf = new float[0];

        /** Queues a row to be prefilled at the next step. */
        public Handle add(Request r, Listener listener) {
            return add(r, listener, new Handle());
        }

        /** As {@link #add(Request, Listener)} with a handle the caller made (e.g. while the request was queued). */
        public Handle add(Request r, Listener listener, Handle h) {
            checkFits(r.prompt());
            joining.add(new Row(r, listener, h));
            return h;
        }

        public boolean isEmpty() { return rows.length == 0 && joining.isEmpty(); }

        /** Rows in the batch, joined or joining. */
        public int size() { return rows.length + joining.size(); }

        /** Cached columns S (the longest live row). */
        public long cachedLength() {
            if (cpu != null) { long m = 0; for (Row r : rows) m = Math.max(m, r.kv.length()); return m; }
            return cache == null ? 0 : cache.length();
        }

        /** One token for every row in the cache, then the prefill (and first token) of every row that joined. */
        public void step() {
            Torch.noGrad();
            if (rows.length == 0) cpu = cpuNow();
            dropCancelled();
            if (cpu != null) { cpuStep(); return; }
            if (rows.length > 0) decode();
            if (!joining.isEmpty()) prefill();
        }

        /**
         * Java forward: one pass for every row, the running ones' next token and the joining ones' prompts together.
         * A joining row first copies the longest prefix of its prompt that is already computed — in a running row's
         * cache or in the {@link PrefixCache} of finished rows — and feeds only the rest. A row whose prompt shares
         * much more with another row joining in the same step waits one step and copies from it then.
         */
        private void cpuStep() {
            List<Row> fresh = new ArrayList<>(joining.size());
            List<int[]> feed = new ArrayList<>(joining.size());
            List<Row> waiting = new ArrayList<>();
            for (Row r : joining) {
                int[] p = r.req.prompt();
                CpuLlama.Cache src = null;
                int have = 0;
                if (prefixes.maxBytes() > 0) {
                    PrefixCache.Match m = prefixes.longest(cpu, p);
                    if (m != null) { src = m.cache(); have = m.length(); }
                    for (Row q : rows) {
                        int c = Math.min(cached(q, p), p.length - 1);
                        if (c > have && c >= PrefixCache.MIN_TOKENS) { src = q.kv; have = c; }
                    }
                    int lead = 0;
                    for (Row q : fresh) lead = Math.max(lead, Math.min(PrefixCache.common(q.req.prompt(), q.req.prompt().length, p), p.length - 1));
                    if (lead - have >= Math.max(8, p.length / 4)) { waiting.add(r); continue; } // copy from that row next step
                }
                r.kv = cpu.newCache(p.length + Math.min(r.req.maxTokens(), 256));
                if (src != null) { r.kv.copyPrefix(src, have); prefixHits.addAndGet(have); }
                fresh.add(r);
                feed.add(have == 0 ? p : Arrays.copyOfRange(p, have, p.length));
            }
            joining.clear();
            joining.addAll(waiting);
            int n = rows.length + fresh.size();
            if (n == 0) return;
            Row[] all = Arrays.copyOf(rows, n);
            for (int k = 0; k < fresh.size(); k++) all[rows.length + k] = fresh.get(k);
            CpuLlama.Cache[] caches = new CpuLlama.Cache[n];
            int[][] toks = new int[n][];
            for (int k = 0; k < n; k++) {
                Row r = all[k];
                toks[k] = k < rows.length ? new int[]{r.last} : feed.get(k - rows.length);
                caches[k] = r.kv;
            }
            int v = cpu.vocabSize();
            if (logitsBuf.length < n * v) logitsBuf = new float[n * v];
            cpu.forward(caches, toks, logitsBuf, scratch);
            rows = all;
            keep(sampleAll(all, logitsBuf, v));
        }

        private void dropCancelled() {
            for (var it = joining.iterator(); it.hasNext(); ) {
                Row r = it.next();
                if (r.handle.cancelled) { it.remove(); r.finish(Finish.CANCELLED); }
            }
            boolean[] done = new boolean[rows.length];
            boolean any = false;
            for (int k = 0; k < rows.length; k++) if (rows[k].handle.cancelled) { rows[k].finish(Finish.CANCELLED); done[k] = any = true; }
            if (any) keep(done);
        }

        private void decode() {
            int n = rows.length;
            int s = Math.toIntExact(cache.length());
            long[] ids = new long[n], pos = new long[n];
            float[] mask = new float[n * (s + 1)];
            for (int k = 0; k < n; k++) {
                ids[k] = rows[k].last;
                pos[k] = s - rows[k].pad; // the row's own length so far: where the new token sits
                for (int c = 0; c < rows[k].pad; c++) mask[k * (s + 1) + c] = LlamaModel.MASKED;
            }
            float[] logits;
            try (NDScope scope = new NDScope(); NDManager sm = manager.newSubManager()) {
                NDArray l = model.forward(sm.create(ids, new Shape(n, 1)), sm.create(pos, new Shape(n, 1)), // (n, 1)
                        sm.create(mask, new Shape(n, 1, 1, 1, s + 1)).toType(model.dtype(), false), cache, true); // (n, 1, V)
                logits = l.toType(DataType.FLOAT32, false).toFloatArray();
            }
            keep(sampleAll(rows, logits, logits.length / n));
        }

        private void prefill() {
            Row[] fresh = joining.toArray(Row[]::new);
            joining.clear();
            int m = fresh.length, p = 0;
            for (Row r : fresh) p = Math.max(p, r.req.prompt().length);
            long[] ids = new long[m * p], pos = new long[m * p];
            float[] mask = new float[m * p * p];
            for (int k = 0; k < m; k++) {
                int[] prompt = fresh[k].req.prompt();
                int pad = p - prompt.length;
                fresh[k].pad = pad;
                for (int j = 0; j < prompt.length; j++) ids[k * p + pad + j] = prompt[j];
                for (int j = 0; j < p; j++) {
                    pos[k * p + j] = Math.max(0, j - pad);
                    for (int c = 0; c < p; c++) if (c > j || c < pad) mask[(k * p + j) * p + c] = LlamaModel.MASKED;
                }
            }
            LlamaModel.KvCache fc = new LlamaModel.KvCache(model.config().numHiddenLayers());
            float[] logits;
            try (NDScope scope = new NDScope(); NDManager sm = manager.newSubManager()) {
                NDArray l = model.forward(sm.create(ids, new Shape(m, p)), sm.create(pos, new Shape(m, p)), // (m, P)
                        sm.create(mask, new Shape(m, 1, 1, p, p)).toType(model.dtype(), false), fc, true); // (m, 1, V)
                logits = l.toType(DataType.FLOAT32, false).toFloatArray();
            }
            boolean[] done = sampleAll(fresh, logits, logits.length / m);
            int alive = 0;
            for (boolean d : done) if (!d) alive++;
            if (alive == 0) { fc.close(); return; }
            long[] keepIdx = new long[alive];
            Row[] kept = new Row[alive];
            for (int k = 0, j = 0; k < m; k++) if (!done[k]) { keepIdx[j] = k; kept[j++] = fresh[k]; }
            if (alive < m) fc.keepRows(keepIdx);
            if (cache == null) { cache = fc; rows = kept; return; }
            long s = cache.length();
            if (s < p) { cache.padLeft(p - s); for (Row r : rows) r.pad += (int) (p - s); }
            else if (p < s) { fc.padLeft(s - p); for (Row r : kept) r.pad += (int) (s - p); }
            cache.appendRows(fc);
            fc.close();
            Row[] all = Arrays.copyOf(rows, rows.length + alive);
            System.arraycopy(kept, 0, all, rows.length, alive);
            rows = all;
        }

        /** Samples one token per row from (rows, V) logits; returns which rows finished. */
        private boolean[] sampleAll(Row[] rs, float[] logits, int v) {
            int n = rs.length;
            boolean[] done = new boolean[n];
            for (int k = 0; k < n; k++) {
                Row r = rs[k];
                int next;
                if (r.cursor != null) {
                    BitSet allowed = r.cursor.allowed();
                    boolean mayEnd = r.cursor.mayEnd() && !endIds.isEmpty();
                    if (allowed.isEmpty() && !mayEnd) { r.finish(Finish.STOP); done[k] = true; continue; } // the guide has nowhere to go
                    if (maskBuf.length < v) maskBuf = new float[v];
                    float[] masked = maskBuf; // the state's cached mask applied by walking its set bits, not the vocabulary
                    Arrays.fill(masked, 0, v, Float.NEGATIVE_INFINITY);
                    for (int t = allowed.nextSetBit(0); t >= 0 && t < v; t = allowed.nextSetBit(t + 1)) masked[t] = logits[k * v + t];
                    for (int e : endArray) if (e < v) masked[e] = mayEnd ? logits[k * v + e] : Float.NEGATIVE_INFINITY; // an end token only where the language may end
                    next = sample(masked, 0, v, r.req.temperature(), r.req.topP(), r.rnd);
                } else next = sample(logits, k * v, v, r.req.temperature(), r.req.topP(), r.rnd);
                done[k] = r.accept(next, logits, k * v, v) != null;
            }
            return done;
        }

        /** Drops the finished rows from the batch and the cache, then cuts columns that are padding for every row left. */
        private void keep(boolean[] done) {
            int alive = 0;
            for (boolean d : done) if (!d) alive++;
            if (alive == rows.length) return;
            if (cpu != null) { // own caches: dropping a row drops its cache
                Row[] kept = new Row[alive];
                for (int k = 0, j = 0; k < rows.length; k++) if (!done[k]) kept[j++] = rows[k]; else { donate(rows[k]); rows[k].kv = null; }
                rows = kept;
                return;
            }
            if (alive == 0) { rows = new Row[0]; cache.close(); cache = null; return; }
            long[] idx = new long[alive];
            Row[] kept = new Row[alive];
            for (int k = 0, j = 0; k < rows.length; k++) if (!done[k]) { idx[j] = k; kept[j++] = rows[k]; }
            cache.keepRows(idx);
            rows = kept;
            int trim = Integer.MAX_VALUE;
            for (Row r : rows) trim = Math.min(trim, r.pad);
            if (trim > 0) { cache.trimLeft(trim); for (Row r : rows) r.pad -= trim; }
        }

        /** Gives a finished row's cache to the prefix cache (its positions hold the prompt, then the tokens fed back). */
        private void donate(Row r) {
            if (r.kv == null || prefixes.maxBytes() == 0) return;
            int[] p = r.req.prompt(), seq = Arrays.copyOf(p, p.length + r.len);
            System.arraycopy(r.out, 0, seq, p.length, r.len);
            prefixes.donate(cpu, Arrays.copyOf(seq, Math.min(seq.length, r.kv.length())), r.kv);
        }

        /** Positions of {@code q}'s cache that equal the start of {@code p}. */
        private static int cached(Row q, int[] p) {
            int[] qp = q.req.prompt();
            int n = Math.min(q.kv.length(), p.length), i = 0;
            while (i < n && (i < qp.length ? qp[i] : q.out[i - qp.length]) == p[i]) i++;
            return i;
        }

        /** Ends every row (as cancelled) and frees the cache. */
        @Override public void close() {
            for (Row r : joining) r.finish(Finish.CANCELLED);
            for (Row r : rows) r.finish(Finish.CANCELLED);
            joining.clear();
            rows = new Row[0];
            if (cache != null) { cache.close(); cache = null; }
            manager.close();
        }
    }

    /** Index of the earliest stop sequence in {@code s}, or -1. */
    private static int firstStop(String s, List<String> stops) {
        int best = -1;
        for (String st : stops) {
            int k = st.isEmpty() ? -1 : s.indexOf(st);
            if (k >= 0 && (best < 0 || k < best)) best = k;
        }
        return best;
    }

    /** Length of the tail of {@code s} that must not be emitted yet: a prefix of a stop sequence, or an incomplete character. */
    private static int pendingSuffix(String s, List<String> stops) {
        int hold = 0;
        while (hold < s.length() && s.charAt(s.length() - 1 - hold) == INCOMPLETE) hold++;
        for (String st : stops)
            for (int k = Math.min(st.length() - 1, s.length()); k > hold; k--)
                if (s.endsWith(st.substring(0, k))) { hold = k; break; }
        return hold;
    }

    /** log-softmax of the row's logits: the chosen token and the {@code top} best. */
    static TokenLogprob logprob(float[] logits, int off, int v, int chosen, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) max = Math.max(max, logits[off + k]);
        double sum = 0;
        for (int k = 0; k < v; k++) sum += Math.exp(logits[off + k] - max);
        double logZ = max + Math.log(sum);
        int[] best = new int[Math.min(top, v)];
        float[] bestLp = new float[best.length];
        Arrays.fill(best, -1);
        for (int k = 0; k < v && best.length > 0; k++) { // insertion into a short sorted list
            float x = logits[off + k];
            int at = best.length;
            while (at > 0 && (best[at - 1] < 0 || logits[off + best[at - 1]] < x)) at--;
            if (at < best.length) {
                System.arraycopy(best, at, best, at + 1, best.length - at - 1);
                best[at] = k;
            }
        }
        for (int i = 0; i < best.length; i++) bestLp[i] = (float) (logits[off + best[i]] - logZ);
        return new TokenLogprob(chosen, (float) (logits[off + chosen] - logZ), best, bestLp);
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
        if (order != null) return order[keep - 1];
        for (int k = v - 1; k >= 0; k--) if (p[k] > 0) return k; // rounding left u past the end: the last possible token
        return v - 1;
    }
}
