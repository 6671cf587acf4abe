package dev.phronesis.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The inference forward of {@link LlamaModel} in plain Java on F32 copies of its weights, made once
 * (BF16/F16 checkpoints are converted when loaded; here every linear is stored transposed, (in, out),
 * in panels of {@link #P} columns, so that every kernel is a contiguous multiply-add, run on the JDK Vector API by {@link CpuVector}). It is the decode path of
 * {@link Generator} for checkpoints loaded through {@link ModelRuntime} while no LoRA adapter is
 * active; training and adapters keep the libtorch forward.
 *
 * <p>Why: a decode step at small batch is a matrix-vector product per linear, memory-bound, and the
 * libtorch path paid a native call per tensor op plus a full KV-cache copy per step (concat). Here a
 * step is one pass over the weights for all rows of the batch together (the weights are read once per
 * step, not once per row), each row has its own contiguous KV cache that grows by doubling, and the
 * scratch buffers of a batch are reused from step to step (no per-token allocation in the forward).
 * Used only when the JVM has {@code jdk.incubator.vector} ({@link #of} returns null otherwise).
 *
 * <p>Numerics: every output element of a linear is summed in input order with fused multiply-adds,
 * whatever the batch or thread count, so a row's tokens do not depend on its neighbours or on the
 * number of threads. Rounding differs from libtorch's blocked GEMM in the last bits only; greedy
 * outputs are checked token for token against transformers (RuntimeParityTest, HfParityTest).
 *
 * <p>Thread-safe for concurrent forwards with different {@link Scratch}es (weights are read-only).
 * Work is split over {@link #threads} threads (set with {@link Torch#threads}).
 */
public final class CpuLlama {
    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static volatile Team team;

    /** Threads a forward uses (the caller plus {@code n - 1} workers). */
    static synchronized void setThreads(int n) {
        if (n < 1) n = 1;
        if (n == threads) return;
        threads = n;
        Team old = team;
        team = null;
        if (old != null) old.stop();
    }

    private static Team team() {
        Team t = team;
        if (t != null) return t;
        synchronized (CpuLlama.class) {
            if (team == null) team = new Team(threads - 1);
            return team;
        }
    }

    /** Runs {@code body(0 .. parts-1)}, part 0 on the calling thread (parts <= threads). */
    static void parallel(int parts, IntConsumer body) {
        if (parts <= 1) { body.accept(0); return; }
        team().run(parts, body);
    }

    /**
     * Worker threads that spin briefly between tasks before parking: a forward hands them ~60
     * short tasks per token back to back, and waking a parked thread each time cost more than the
     * task on a busy machine (libtorch's OpenMP pool spins the same way). One forward at a time
     * uses the team; a concurrent one waits for it.
     */
    private static final class Team {
        private static final long SPIN_NS = 200_000;
        private final Thread[] workers;
        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
        private volatile long epoch;
        private volatile boolean stopped;
        private volatile IntConsumer task;
        private volatile int parts;
        private volatile Thread caller;
        private volatile RuntimeException failure;

        Team(int n) {
            workers = new Thread[Math.max(0, n)];
            for (int k = 0; k < workers.length; k++) {
                final int part = k + 1;
                workers[k] = Thread.ofPlatform().daemon().name("cpu-llama-" + part).start(() -> work(part));
            }
        }

        void run(int n, IntConsumer body) {
            lock.lock();
            try {
                n = Math.min(n, workers.length + 1);
                task = body;
                parts = n;
                failure = null;
                caller = Thread.currentThread();
                pending.set(n - 1);
                epoch++;
                for (int k = 0; k < n - 1; k++) java.util.concurrent.locks.LockSupport.unpark(workers[k]);
                RuntimeException err = null;
                try {
                    body.accept(0);
                } catch (RuntimeException e) { err = e; }
                long t0 = System.nanoTime();
                while (pending.get() > 0) {
                    if (System.nanoTime() - t0 < SPIN_NS) Thread.onSpinWait();
                    else java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                }
                task = null;
                if (err == null) err = failure;
                if (err != null) throw err;
            } finally {
                lock.unlock();
            }
        }

        private void work(int part) {
            long seen = 0;
            while (!stopped) {
                long t0 = System.nanoTime();
                while (epoch == seen && !stopped) {
                    if (System.nanoTime() - t0 < SPIN_NS) Thread.onSpinWait();
                    else java.util.concurrent.locks.LockSupport.park(this);
                }
                if (stopped) return;
                seen = epoch;
                IntConsumer t = task;
                if (part < parts && t != null) {
                    try {
                        t.accept(part);
                    } catch (RuntimeException e) {
                        failure = e;
                    }
                    if (pending.decrementAndGet() == 0) java.util.concurrent.locks.LockSupport.unpark(caller);
                }
            }
        }

        void stop() {
            stopped = true;
            for (Thread w : workers) java.util.concurrent.locks.LockSupport.unpark(w);
        }
    }

    private static final class Layer {
        float[] inNorm, postNorm; // (H)
        float[] qkvT; // (H, q + 2 kv): q, k and v projections side by side
        float[] qkvBias; // null when none
        float[] qNorm, kNorm; // Qwen3 per-head norms (hd), null when none
        float[] oT, oBias; // (q, H)
        float[] guT; // (H, 2 I): gate and up side by side
        float[] downT; // (I, H)
    }

    private final int hidden, inter, heads, kvHeads, hd, vocab, qDim, kvDim, maxPos;
    private final float eps;
    private final Layer[] layers;
    private final float[] embT; // (H, V): the embedding, transposed (row lookups are strided reads)
    private final float[] headT; // (H, V): the output head, transposed (== embT when tied)
    private final float[] finalNorm;
    private final float[] cos, sin; // (maxPos, hd), the model's own rotary tables

    private CpuLlama(LlamaModel m, Map<String, ai.djl.nn.Parameter> named) {
        ModelConfig c = m.config();
        hidden = c.hiddenSize(); inter = c.intermediateSize(); heads = c.numAttentionHeads(); kvHeads = c.numKeyValueHeads();
        hd = c.headDim(); vocab = c.vocabSize(); qDim = heads * hd; kvDim = kvHeads * hd; maxPos = c.maxPositionEmbeddings();
        eps = (float) c.rmsNormEps();
        float[][] rope = m.ropeTablesNow();
        cos = rope[0];
        sin = rope[1];
        layers = new Layer[c.numHiddenLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            Layer l = new Layer();
            l.inNorm = get(named, p + "input_layernorm.weight");
            l.postNorm = get(named, p + "post_attention_layernorm.weight");
            int qkv = qDim + 2 * kvDim;
            float[] qkvT = new float[hidden * qkv];
            transposeInto(get(named, p + "self_attn.q_proj.weight"), qDim, hidden, qkvT, qkv, 0);
            transposeInto(get(named, p + "self_attn.k_proj.weight"), kvDim, hidden, qkvT, qkv, qDim);
            transposeInto(get(named, p + "self_attn.v_proj.weight"), kvDim, hidden, qkvT, qkv, qDim + kvDim);
            l.qkvT = pack(qkvT, hidden, qkv);
            float[] qb = opt(named, p + "self_attn.q_proj.bias"), kb = opt(named, p + "self_attn.k_proj.bias"), vb = opt(named, p + "self_attn.v_proj.bias");
            if (qb != null || kb != null || vb != null) {
                l.qkvBias = new float[qkv];
                if (qb != null) System.arraycopy(qb, 0, l.qkvBias, 0, qDim);
                if (kb != null) System.arraycopy(kb, 0, l.qkvBias, qDim, kvDim);
                if (vb != null) System.arraycopy(vb, 0, l.qkvBias, qDim + kvDim, kvDim);
            }
            l.qNorm = opt(named, p + "self_attn.q_norm.weight");
            l.kNorm = opt(named, p + "self_attn.k_norm.weight");
            l.oT = pack(transpose(get(named, p + "self_attn.o_proj.weight"), hidden, qDim), qDim, hidden);
            l.oBias = opt(named, p + "self_attn.o_proj.bias");
            float[] guT = new float[hidden * 2 * inter];
            transposeInto(get(named, p + "mlp.gate_proj.weight"), inter, hidden, guT, 2 * inter, 0);
            transposeInto(get(named, p + "mlp.up_proj.weight"), inter, hidden, guT, 2 * inter, inter);
            l.guT = pack(guT, hidden, 2 * inter);
            l.downT = pack(transpose(get(named, p + "mlp.down_proj.weight"), hidden, inter), inter, hidden);
            layers[i] = l;
        }
        finalNorm = get(named, "model.norm.weight");
        embT = pack(transpose(get(named, "model.embed_tokens.weight"), vocab, hidden), hidden, vocab);
        headT = c.tieWordEmbeddings() ? embT : pack(transpose(get(named, "lm_head.weight"), vocab, hidden), hidden, vocab);
    }

    /**
     * The Java forward of {@code model} with the extra tensors ({@code *.bias}, {@code *_norm.weight}
     * of attention) among {@code named}; null when the F32 copy would not fit in the Java heap
     * (the caller keeps the libtorch forward) or the model uses a projection this class does not know.
     */
    /**
     * Whether the Vector API module is in this JVM. Asked here, not in {@link CpuVector}: loading that
     * class without the module fails with NoClassDefFoundError (its fields are vector species).
     */
    static final boolean VECTOR_MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    public static CpuLlama of(LlamaModel model, Map<String, ai.djl.nn.Parameter> named) {
        if (!VECTOR_MODULE) return null; // started without --add-modules jdk.incubator.vector: libtorch it is
        for (String k : named.keySet())
            if (!k.startsWith("model.layers.") && !k.equals("model.embed_tokens.weight") && !k.equals("model.norm.weight") && !k.equals("lm_head.weight")) return null;
        long floats = 0;
        for (var p : named.values()) floats += p.getArray().getShape().size();
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (floats * 4 * 5 / 4 + (64L << 20) > free) return null;
        return new CpuLlama(model, named);
    }

    private static float[] get(Map<String, ai.djl.nn.Parameter> named, String name) {
        float[] v = opt(named, name);
        if (v == null) throw new IllegalStateException("no tensor " + name);
        return v;
    }

    private static float[] opt(Map<String, ai.djl.nn.Parameter> named, String name) {
        ai.djl.nn.Parameter p = named.get(name);
        if (p == null || p.getArray() == null) return null;
        NDArray a = p.getArray();
        if (a.getDataType() == DataType.FLOAT32) return a.toFloatArray();
        try (NDArray f = a.toType(DataType.FLOAT32, true)) { return f.toFloatArray(); }
    }

    /** (rows, cols) row-major -> (cols, rows). */
    private static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[rows * cols];
        transposeInto(w, rows, cols, t, rows, 0);
        return t;
    }

    /** Writes w (rows, cols) transposed into t's columns [off, off + rows) of a (cols, width) matrix. */
    private static void transposeInto(float[] w, int rows, int cols, float[] t, int width, int off) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * width + off + r] = w[r * cols + c];
    }

    /** A row's keys and values for every layer: keys (kv_heads, hd, cap) so scores are contiguous, values (kv_heads, cap, hd). */
    public final class Cache {
        final float[][] k = new float[layers.length][], v = new float[layers.length][];
        int len, cap;

        Cache(int initial) {
            cap = Math.max(1, Math.min(initial, maxPos));
            for (int l = 0; l < layers.length; l++) { k[l] = new float[kvDim * cap]; v[l] = new float[kvDim * cap]; }
        }

        /** Cached positions. */
        public int length() { return len; }

        /** Bytes held. */
        public long bytes() { return 8L * layers.length * kvDim * cap; }

        /** A copy holding exactly this cache's positions (capacity = length). */
        Cache compacted() {
            Cache c = new Cache(Math.max(1, len));
            c.copyPrefix(this, len);
            return c;
        }

        /** Makes this (empty) cache hold the first {@code m} positions of {@code src}, a cache of the same forward. */
        void copyPrefix(Cache src, int m) {
            if (len != 0) throw new IllegalStateException("copyPrefix needs an empty cache");
            if (m > src.len) throw new IllegalArgumentException("prefix of " + m + " positions from a cache of " + src.len);
            ensure(m);
            for (int l = 0; l < layers.length; l++) {
                for (int row = 0; row < kvDim; row++) System.arraycopy(src.k[l], row * src.cap, k[l], row * cap, m); // (kv_heads·hd, cap)
                for (int kh = 0; kh < kvHeads; kh++) System.arraycopy(src.v[l], kh * src.cap * hd, v[l], kh * cap * hd, m * hd); // (kv_heads, cap, hd)
            }
            len = m;
        }

        void ensure(int need) {
            if (need <= cap) return;
            int nc = Math.min(maxPos, Math.max(need, cap * 2));
            for (int l = 0; l < layers.length; l++) {
                float[] nk = new float[kvDim * nc];
                for (int row = 0; row < kvDim; row++) System.arraycopy(k[l], row * cap, nk, row * nc, len);
                k[l] = nk;
                float[] nv = new float[kvDim * nc]; // (kv_heads, cap, hd): each head's block moves to its new offset
                for (int kh = 0; kh < kvHeads; kh++) System.arraycopy(v[l], kh * cap * hd, nv, kh * nc * hd, len * hd);
                v[l] = nv;
            }
            cap = nc;
        }
    }

    /** An empty cache sized for {@code expected} positions (it grows past them when needed). */
    public Cache newCache(int expected) { return new Cache(expected); }

    public int vocabSize() { return vocab; }

    /** Reusable activations of one batch (grown on demand; one per concurrent caller). */
    public static final class Scratch {
        float[] x = new float[0], h = new float[0], qkv = new float[0], att = new float[0], gu = new float[0], act = new float[0],
                last = new float[0], scores = new float[0];

        static float[] fit(float[] a, int n) { return a.length >= n ? a : new float[Math.max(n, a.length * 3 / 2)]; }
    }

    /**
     * One forward over several rows at once: row r appends {@code tokens[r]} to {@code caches[r]}
     * (positions continue from the cache's length), and the logits of its last token land in
     * {@code logits[r * V .. (r + 1) * V)}.
     */
    public void forward(Cache[] caches, int[][] tokens, float[] logits, Scratch s) {
        int rows = caches.length, n = 0;
        int[] start = new int[rows + 1];
        for (int r = 0; r < rows; r++) {
            if (caches[r].len + tokens[r].length > maxPos) throw new IllegalArgumentException("row " + r + " would pass the context of " + maxPos);
            caches[r].ensure(caches[r].len + tokens[r].length);
            start[r] = n;
            n += tokens[r].length;
        }
        start[rows] = n;
        int qkvW = qDim + 2 * kvDim;
        float[] x = s.x = Scratch.fit(s.x, n * hidden), h = s.h = Scratch.fit(s.h, n * hidden), qkv = s.qkv = Scratch.fit(s.qkv, n * qkvW),
                att = s.att = Scratch.fit(s.att, n * qDim), gu = s.gu = Scratch.fit(s.gu, n * 2 * inter), act = s.act = Scratch.fit(s.act, n * inter);
        for (int r = 0, t = 0; r < rows; r++)
            for (int id : tokens[r]) {
                if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocab);
                for (int i = 0; i < hidden; i++) x[t * hidden + i] = at(embT, hidden, vocab, i, id);
                t++;
            }
        int maxCtx = 0;
        for (int r = 0; r < rows; r++) maxCtx = Math.max(maxCtx, caches[r].len + tokens[r].length);
        s.scores = Scratch.fit(s.scores, threads * maxCtx);
        for (int li = 0; li < layers.length; li++) {
            Layer l = layers[li];
            rmsNorm(x, h, n, l.inNorm);
            matmul(h, n, hidden, l.qkvT, qkvW, qkv, l.qkvBias);
            if (l.qNorm != null || l.kNorm != null) headNorms(qkv, n, qkvW, l);
            attention(caches, tokens, start, qkv, qkvW, att, s.scores, maxCtx, li);
            matmulAdd(att, n, qDim, l.oT, hidden, x, l.oBias); // x += o(att)
            rmsNorm(x, h, n, l.postNorm);
            matmul(h, n, hidden, l.guT, 2 * inter, gu, null);
            for (int t = 0; t < n; t++) {
                int go = t * 2 * inter, ao = t * inter;
                for (int j = 0; j < inter; j++) {
                    float g = gu[go + j];
                    act[ao + j] = g * (float) (1.0 / (1.0 + Math.exp(-g))) * gu[go + inter + j];
                }
            }
            matmulAdd(act, n, inter, l.downT, hidden, x, null); // x += down(act)
        }
        for (int r = 0; r < rows; r++) caches[r].len += tokens[r].length;
        float[] last = s.last = Scratch.fit(s.last, rows * hidden);
        for (int r = 0; r < rows; r++) System.arraycopy(x, (start[r + 1] - 1) * hidden, last, r * hidden, hidden);
        rmsNorm(last, last, rows, finalNorm);
        matmul(last, rows, hidden, headT, vocab, logits, null);
    }

    /** y = x / sqrt(mean(x²) + eps) · w for each of n rows (y may be x). */
    private void rmsNorm(float[] x, float[] y, int n, float[] w) {
        for (int t = 0; t < n; t++) {
            int o = t * hidden;
            float ss = 0;
            for (int i = 0; i < hidden; i++) ss += x[o + i] * x[o + i];
            float r = (float) (1.0 / Math.sqrt(ss / hidden + eps));
            for (int i = 0; i < hidden; i++) y[o + i] = x[o + i] * r * w[i];
        }
    }

    /** Qwen3's RMSNorm over each head of the queries and keys. */
    private void headNorms(float[] qkv, int n, int width, Layer l) {
        for (int t = 0; t < n; t++) {
            if (l.qNorm != null) for (int hh = 0; hh < heads; hh++) headNorm(qkv, t * width + hh * hd, l.qNorm);
            if (l.kNorm != null) for (int hh = 0; hh < kvHeads; hh++) headNorm(qkv, t * width + qDim + hh * hd, l.kNorm);
        }
    }

    private void headNorm(float[] a, int o, float[] w) {
        float ss = 0;
        for (int i = 0; i < hd; i++) ss += a[o + i] * a[o + i];
        float r = (float) (1.0 / Math.sqrt(ss / hd + eps));
        for (int i = 0; i < hd; i++) a[o + i] = a[o + i] * r * w[i];
    }

    /** Rotates q and k of every token, appends k and v to the row's cache, then causal attention per (row, head). */
    private void attention(Cache[] caches, int[][] tokens, int[] start, float[] qkv, int width, float[] att, float[] scores, int maxCtx, int layer) {
        int rows = caches.length, half = hd / 2;
        for (int r = 0; r < rows; r++) {
            Cache c = caches[r];
            float[] kc = c.k[layer], vc = c.v[layer];
            int cap = c.cap;
            for (int j = 0; j < tokens[r].length; j++) {
                int t = start[r] + j, pos = c.len + j, base = t * width, ro = pos * hd;
                for (int hh = 0; hh < heads + kvHeads; hh++) { // queries, then keys (adjacent in qkv)
                    int o = base + hh * hd;
                    for (int i = 0; i < half; i++) {
                        float x1 = qkv[o + i], x2 = qkv[o + half + i];
                        qkv[o + i] = x1 * cos[ro + i] + -x2 * sin[ro + i];
                        qkv[o + half + i] = x2 * cos[ro + half + i] + x1 * sin[ro + half + i];
                    }
                }
                for (int kh = 0; kh < kvHeads; kh++)
                    for (int d = 0; d < hd; d++) {
                        kc[(kh * hd + d) * cap + pos] = qkv[base + qDim + kh * hd + d];
                        vc[(kh * cap + pos) * hd + d] = qkv[base + qDim + kvDim + kh * hd + d];
                    }
            }
        }
        long work = 0;
        for (int r = 0; r < rows; r++) work += (long) tokens[r].length * (caches[r].len + tokens[r].length);
        int units = rows * heads, parts = work * heads * hd < 200_000 ? 1 : Math.min(threads, units); // a short decode step is not worth a hand-off
        float scale = (float) (1.0 / Math.sqrt(hd));
        int groups = heads / kvHeads;
        parallel(parts, part -> {
            int so = part * maxCtx;
            for (int u = (int) ((long) units * part / parts), end = (int) ((long) units * (part + 1) / parts); u < end; u++) {
                int r = u / heads, hh = u % heads, kh = hh / groups;
                Cache c = caches[r];
                float[] kc = c.k[layer], vc = c.v[layer];
                int cap = c.cap;
                for (int j = 0; j < tokens[r].length; j++) {
                    int t = start[r] + j, ctx = c.len + j + 1, qo = t * width + hh * hd, oo = t * qDim + hh * hd;
                    java.util.Arrays.fill(scores, so, so + ctx, 0f);
                    for (int d = 0; d < hd; d++) {
                        float q = qkv[qo + d];
                        int ko = (kh * hd + d) * cap;
                        CpuVector.axpy(scores, so, kc, ko, q, ctx);
                    }
                    float max = Float.NEGATIVE_INFINITY;
                    for (int p = 0; p < ctx; p++) { scores[so + p] *= scale; max = Math.max(max, scores[so + p]); }
                    float sum = 0;
                    for (int p = 0; p < ctx; p++) { float e = (float) Math.exp(scores[so + p] - max); scores[so + p] = e; sum += e; }
                    float inv = 1f / sum;
                    java.util.Arrays.fill(att, oo, oo + hd, 0f);
                    for (int p = 0; p < ctx; p++) {
                        float w = scores[so + p] * inv;
                        int vo = (kh * cap + p) * hd;
                        CpuVector.axpy(att, oo, vc, vo, w, hd);
                    }
                }
            }
        });
    }

    /** y (n, out) = bias + x (n, in) · wT (in, out). */
    private static void matmul(float[] x, int n, int in, float[] wT, int out, float[] y, float[] bias) {
        for (int t = 0; t < n; t++) {
            if (bias != null) System.arraycopy(bias, 0, y, t * out, out);
            else java.util.Arrays.fill(y, t * out, (t + 1) * out, 0f);
        }
        matmulAdd(x, n, in, wT, out, y, null);
    }

    /**
     * Columns per weight panel: a panel is (in, P) contiguous and exactly one micro-tile wide (4 vectors
     * of 16 floats on AVX-512), so a kernel streams its weights in address order (with 128 columns it
     * read every other 256-byte run, which measured 1.1-1.4x slower once the weights came from L3 or DRAM).
     */
    static final int P = 64;

    /** (in, out) row-major -> panels of P columns, each (in, width) row-major, one after another. */
    static float[] pack(float[] wT, int in, int out) {
        float[] p = new float[in * out];
        for (int j0 = 0; j0 < out; j0 += P) {
            int pw = Math.min(P, out - j0), base = j0 * in;
            for (int i = 0; i < in; i++) System.arraycopy(wT, i * out + j0, p, base + i * pw, pw);
        }
        return p;
    }

    /** Element (i, j) of a packed (in, out) matrix. */
    static float at(float[] packed, int in, int out, int i, int j) {
        int j0 = j / P * P, pw = Math.min(P, out - j0);
        return packed[j0 * in + i * pw + (j - j0)];
    }

    /**
     * y (n, out) += x (n, in) · w (in, out, packed) + bias, split over threads by panels; within a
     * panel, {@link CpuVector#panel} runs register-blocked micro-tiles (the weights of a decode step
     * are read from memory once for all rows). Each y element is summed in input order (bias last),
     * so results do not depend on n, blocking or threads.
     */
    static void matmulAdd(float[] x, int n, int in, float[] w, int out, float[] y, float[] bias) {
        int panels = (out + P - 1) / P, parts = Math.min(threads, panels);
        parallel(parts, part -> {
            for (int jt = (int) ((long) panels * part / parts), jEnd = (int) ((long) panels * (part + 1) / parts); jt < jEnd; jt++) {
                int j0 = jt * P, pw = Math.min(P, out - j0), base = j0 * in;
                CpuVector.panel(x, n, in, w, base, pw, y, out, j0);
                if (bias != null) for (int b = 0; b < n; b++) for (int j = 0; j < pw; j++) y[b * out + j0 + j] += bias[j0 + j];
            }
        });
    }


}
