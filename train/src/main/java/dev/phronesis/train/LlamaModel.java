package dev.phronesis.train;

import dev.phronesis.train.hf.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Llama-family decoder as DJL blocks: token embedding, pre-norm decoder layers (RMSNorm, rotary
 * grouped-query causal attention, SwiGLU MLP), final RMSNorm and an optional tied output head.
 *
 * <p>Parameters carry Hugging Face names ({@code model.layers.0.self_attn.q_proj.weight}, ...) and
 * HF layouts ({@code (out, in)} for linears), so {@link #state()} is a {@code LlamaForCausalLM}
 * state dict. Every linear is a {@link Projection}, which may carry a {@link Projection.Adapter}
 * (e.g. LoRA) added to its output.
 *
 * <p>The model owns one {@link NDManager} for its parameters; activations live wherever the caller's
 * inputs live (wrap calls in an {@code NDScope} or a per-batch manager). Not thread-safe for
 * training; concurrent inference forwards are fine (they only read parameters).
 */
public final class LlamaModel extends AbstractBlock implements AutoCloseable {
    /** Added to masked attention scores: large enough that exp() underflows to exactly 0, finite so fully masked pad rows stay NaN-free. */
    static final float MASKED = -1e9f;

    private final ModelConfig config;
    private final DataType dtype;
    private final NDManager manager;
    private final Parameter embedTokens;
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final RmsNorm norm;
    private final Projection lmHead; // null when tied to the embedding
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private NDArray ropeCos, ropeSin; // (max_positions, head_dim)

    private LlamaModel(ModelConfig config, DataType dtype) {
        ModelMemory.requireFits(config, ModelMemory.Use.INFERENCE, "model config"); // before the first allocation
        this.config = config;
        this.dtype = dtype;
        this.manager = NDManager.newBaseManager();
        this.embedTokens = addParameter(Parameter.builder().setName("embed_tokens").setType(Parameter.Type.WEIGHT).build());
        byName.put("model.embed_tokens.weight", embedTokens);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            DecoderLayer layer = addChildBlock("layer" + i, new DecoderLayer(config));
            layers.add(layer);
            layer.register("model.layers." + i + ".", byName);
        }
        this.norm = addChildBlock("norm", new RmsNorm(config.rmsNormEps()));
        byName.put("model.norm.weight", norm.weight);
        if (config.tieWordEmbeddings()) {
            this.lmHead = null;
        } else {
            this.lmHead = addChildBlock("lm_head", new Projection());
            byName.put("lm_head.weight", lmHead.weight);
        }
        float[][] cs = ropeTables(config);
        Shape table = new Shape(config.maxPositionEmbeddings(), config.headDim());
        this.ropeCos = manager.create(cs[0], table).toType(dtype, false);
        this.ropeSin = manager.create(cs[1], table).toType(dtype, false);
    }

    /** A freshly initialised model: normal(0, initializer_range) weights from {@code seed}, unit norms. */
    public static LlamaModel create(ModelConfig config, long seed) {
        return create(config, seed, DataType.FLOAT32);
    }

    /** As {@link #create(ModelConfig, long)} in another float type (FLOAT64 for gradient checks; CPU math must not be BF16). */
    public static LlamaModel create(ModelConfig config, long seed, DataType dtype) {
        LlamaModel m = new LlamaModel(config, dtype);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (var e : m.byName.entrySet()) {
            long[] shape = m.shapeOf(e.getKey());
            int n = Math.toIntExact(new Shape(shape).size());
            float[] v = new float[n];
            if (e.getKey().endsWith("norm.weight")) java.util.Arrays.fill(v, 1f);
            else for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * config.initializerRange());
            m.setParameter(e.getValue(), v, shape);
        }
        return m;
    }

    /** A model with the given HF-named weights; every expected tensor must be present with its shape. */
    public static LlamaModel fromState(ModelConfig config, Map<String, HostTensor> state, String where) {
        LlamaModel m = new LlamaModel(config, DataType.FLOAT32);
        for (var e : m.byName.entrySet()) {
            HostTensor t = state.get(e.getKey());
            long[] shape = m.shapeOf(e.getKey());
            if (t == null) { m.close(); throw new dev.phronesis.core.UserError(where + ": missing tensor " + e.getKey()); }
            if (!java.util.Arrays.equals(t.shape(), shape)) {
                m.close();
                throw new dev.phronesis.core.UserError(where + ": tensor " + e.getKey() + " has shape "
                        + java.util.Arrays.toString(t.shape()) + ", config needs " + java.util.Arrays.toString(shape));
            }
            m.setParameter(e.getValue(), t.data(), shape);
        }
        return m;
    }

    private void setParameter(Parameter p, float[] values, long[] shape) {
        NDArray a = manager.create(values, new Shape(shape)).toType(dtype, false);
        a.setRequiresGradient(true);
        p.setArray(a);
    }

    /** The HF shape of each named tensor. */
    private long[] shapeOf(String name) {
        ModelConfig c = config;
        long h = c.hiddenSize(), q = (long) c.numAttentionHeads() * c.headDim(), kv = (long) c.numKeyValueHeads() * c.headDim();
        if (name.endsWith("embed_tokens.weight") || name.equals("lm_head.weight")) return new long[]{c.vocabSize(), h};
        if (name.endsWith("norm.weight")) return new long[]{h};
        if (name.endsWith("q_proj.weight")) return new long[]{q, h};
        if (name.endsWith("k_proj.weight") || name.endsWith("v_proj.weight")) return new long[]{kv, h};
        if (name.endsWith("o_proj.weight")) return new long[]{h, q};
        if (name.endsWith("gate_proj.weight") || name.endsWith("up_proj.weight")) return new long[]{c.intermediateSize(), h};
        if (name.endsWith("down_proj.weight")) return new long[]{h, c.intermediateSize()};
        throw new IllegalStateException("no shape for " + name);
    }

    /** cos/sin of position × inverse frequency, computed in float32 as transformers does, halves repeated (HF's rotate_half layout). */
    static float[][] ropeTables(ModelConfig c) {
        int hd = c.headDim(), half = hd / 2, n = c.maxPositionEmbeddings();
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) inv[i] = 1.0f / (float) Math.pow(c.ropeTheta(), (float) (2 * i) / (float) hd);
        float[] cos = new float[n * hd], sin = new float[n * hd];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < half; i++) {
                float a = (float) p * inv[i];
                float cv = (float) Math.cos(a), sv = (float) Math.sin(a);
                cos[p * hd + i] = cv; cos[p * hd + half + i] = cv;
                sin[p * hd + i] = sv; sin[p * hd + half + i] = sv;
            }
        }
        return new float[][]{cos, sin};
    }

    /**
     * Replaces the rotary tables with ones built from these inverse frequencies (head_dim / 2 of them),
     * for checkpoints whose config scales RoPE (e.g. Llama 3.1's {@code rope_scaling}); see train.hf.HfConfig.
     */
    public void setRopeInverseFrequencies(float[] inv) {
        int hd = config.headDim(), half = hd / 2, n = config.maxPositionEmbeddings();
        if (inv.length != half) throw new IllegalArgumentException("need " + half + " inverse frequencies, got " + inv.length);
        float[] cos = new float[n * hd], sin = new float[n * hd];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < half; i++) {
                float a = (float) p * inv[i];
                float cv = (float) Math.cos(a), sv = (float) Math.sin(a);
                cos[p * hd + i] = cv; cos[p * hd + half + i] = cv;
                sin[p * hd + i] = sv; sin[p * hd + half + i] = sv;
            }
        }
        Shape table = new Shape(n, hd);
        NDArray oldCos = ropeCos, oldSin = ropeSin;
        ropeCos = manager.create(cos, table).toType(dtype, false);
        ropeSin = manager.create(sin, table).toType(dtype, false);
        oldCos.close();
        oldSin.close();
    }

    public ModelConfig config() { return config; }

    /** Host copies of the rotary tables in use: {cos, sin}, each (max_positions, head_dim). */
    float[][] ropeTablesNow() {
        try (NDArray c = ropeCos.toType(DataType.FLOAT32, true); NDArray s = ropeSin.toType(DataType.FLOAT32, true)) {
            return new float[][]{c.toFloatArray(), s.toFloatArray()};
        }
    }
    public DataType dtype() { return dtype; }
    NDManager manager() { return manager; }

    /** HF name → parameter, in a fixed order (embedding, layers, norm, head). */
    public Map<String, Parameter> namedParameters() { return Collections.unmodifiableMap(byName); }

    /** Every linear of the model by HF module name (e.g. {@code model.layers.0.self_attn.q_proj}), for adapters. */
    public Map<String, Projection> projections() {
        Map<String, Projection> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) layers.get(i).projections("model.layers." + i + ".", out);
        if (lmHead != null) out.put("lm_head", lmHead);
        return out;
    }

    /** A host copy of every weight by HF name (for safetensors). */
    public Map<String, HostTensor> state() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (var e : byName.entrySet()) {
            NDArray a = e.getValue().getArray();
            try (NDArray f = a.toType(DataType.FLOAT32, true)) {
                out.put(e.getKey(), new HostTensor(a.getShape().getShape(), f.toFloatArray()));
            }
        }
        return out;
    }

    /**
     * One forward pass.
     *
     * @param ids       token ids, int64 (B, T)
     * @param positions rotary positions, int64 (B, T)
     * @param mask      additive attention mask broadcastable to (B, 1, 1, T, S): 0 where a query may attend, {@link #MASKED} elsewhere
     * @param cache     the KV cache to extend (S = cached + T), or null for a plain causal pass (S = T)
     * @param lastOnly  return logits of the last position only (B, 1, V), saving the head on the prompt
     * @return logits (B, T, V) or (B, 1, V)
     */
    public NDArray forward(NDArray ids, NDArray positions, NDArray mask, KvCache cache, boolean lastOnly) {
        NDArray x = ids.getNDArrayInternal().embedding(ids, embedTokens.getArray(), SparseFormat.DENSE).singletonOrThrow(); // (B, T, hidden)
        NDArray cos = positions.getNDArrayInternal().embedding(positions, ropeCos, SparseFormat.DENSE).singletonOrThrow().expandDims(1); // (B, 1, T, head_dim)
        NDArray sin = positions.getNDArrayInternal().embedding(positions, ropeSin, SparseFormat.DENSE).singletonOrThrow().expandDims(1);
        for (int i = 0; i < layers.size(); i++) x = layers.get(i).forward(x, cos, sin, mask, cache, i);
        if (lastOnly) x = x.get(new NDIndex(":, -1:, :")); // (B, 1, hidden)
        x = norm.forward(x);
        return lmHead != null ? lmHead.apply(x) : Linear.linear(x, embedTokens.getArray()).singletonOrThrow(); // (B, T, vocab)
    }

    /** Logits of a plain causal pass over full rows (training and evaluation). */
    public NDArray forward(NDArray ids) {
        long b = ids.getShape().get(0), t = ids.getShape().get(1);
        NDManager m = ids.getManager();
        NDArray positions = m.arange(0L, t, 1L, DataType.INT64).expandDims(0).repeat(0, b); // (B, T)
        NDArray mask = causalMask(m, (int) t, dtype); // (1, 1, 1, T, T)
        return forward(ids, positions, mask, null, false);
    }

    /** 0 on and below the diagonal, {@link #MASKED} above: (1, 1, 1, T, T). */
    static NDArray causalMask(NDManager m, int t, DataType dtype) {
        float[] v = new float[t * t];
        for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) v[i * t + j] = MASKED;
        return m.create(v, new Shape(1, 1, 1, t, t)).toType(dtype, false);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(inputs.head()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[]{new Shape(inputShapes[0].get(0), inputShapes[0].get(1), config.vocabSize())};
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Per-layer keys and values after rotary embedding, appended step by step; owns their native memory. */
    public static final class KvCache implements AutoCloseable {
        private final NDManager manager = NDManager.newBaseManager();
        private final NDArray[] keys, values; // each (B, kv_heads, S, head_dim)

        public KvCache(int layers) {
            keys = new NDArray[layers];
            values = new NDArray[layers];
        }

        NDArray[] append(int layer, NDArray k, NDArray v) {
            if (keys[layer] != null) {
                NDArray nk = keys[layer].concat(k, 2), nv = values[layer].concat(v, 2);
                keys[layer].close();
                values[layer].close();
                k = nk;
                v = nv;
            }
            k.attach(manager); // the cache outlives the step (and its manager) that made it
            v.attach(manager);
            ai.djl.ndarray.NDScope.unregister(k, v);
            keys[layer] = k;
            values[layer] = v;
            return new NDArray[]{k, v};
        }

        /** Keeps only the given batch rows (in that order), dropping finished sequences from further steps. */
        void keepRows(long[] rows) {
            try (NDArray idx = manager.create(rows)) {
                for (int l = 0; l < keys.length; l++) {
                    if (keys[l] == null) continue;
                    NDArray nk = keys[l].get(new NDIndex("{}", idx)), nv = values[l].get(new NDIndex("{}", idx));
                    nk.attach(manager);
                    nv.attach(manager);
                    ai.djl.ndarray.NDScope.unregister(nk, nv);
                    keys[l].close();
                    values[l].close();
                    keys[l] = nk;
                    values[l] = nv;
                }
            }
        }

        /** Adds {@code n} zero columns before every row's keys and values: (B, kv, S, hd) -> (B, kv, n + S, hd). */
        void padLeft(long n) {
            for (int l = 0; l < keys.length; l++) {
                keys[l] = replace(keys[l], zerosBefore(keys[l], n));
                values[l] = replace(values[l], zerosBefore(values[l], n));
            }
        }

        /** Appends the rows of {@code other} (same length S) after this cache's rows: (B1 + B2, kv, S, hd). */
        void appendRows(KvCache other) {
            if (other.length() != length()) throw new IllegalArgumentException("caches differ in length: " + length() + " vs " + other.length());
            for (int l = 0; l < keys.length; l++) {
                keys[l] = replace(keys[l], keys[l].concat(other.keys[l], 0));
                values[l] = replace(values[l], values[l].concat(other.values[l], 0));
            }
        }

        /** Drops the first {@code n} columns of every row: (B, kv, S, hd) -> (B, kv, S - n, hd). */
        void trimLeft(long n) {
            for (int l = 0; l < keys.length; l++) {
                keys[l] = replace(keys[l], keys[l].get(new NDIndex(":, :, " + n + ":, :")));
                values[l] = replace(values[l], values[l].get(new NDIndex(":, :, " + n + ":, :")));
            }
        }

        private static NDArray zerosBefore(NDArray a, long n) {
            Shape s = a.getShape();
            try (NDArray z = a.getManager().zeros(new Shape(s.get(0), s.get(1), n, s.get(3)), a.getDataType())) {
                return z.concat(a, 2);
            }
        }

        /** Keeps {@code fresh} in this cache's memory and frees {@code old}. */
        private NDArray replace(NDArray old, NDArray fresh) {
            fresh.attach(manager);
            ai.djl.ndarray.NDScope.unregister(fresh);
            old.close();
            return fresh;
        }

        /** Cached length S. */
        public long length() { return keys[0] == null ? 0 : keys[0].getShape().get(2); }

        @Override public void close() { manager.close(); }
    }

    /** A bias-free linear in HF layout (out, in), with an optional adapter added to its output. */
    public static final class Projection extends AbstractBlock {
        /** Something added to a linear's output, e.g. LoRA's {@code B(A(x)) * scale}. */
        public interface Adapter {
            NDArray delta(NDArray x);
        }

        final Parameter weight;
        private volatile Adapter adapter;
        private volatile java.util.function.UnaryOperator<NDArray> post; // e.g. Qwen3's per-head q/k RMSNorm

        Projection() {
            weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
        }

        public Parameter weight() { return weight; }
        public void setAdapter(Adapter a) { this.adapter = a; }
        public Adapter adapter() { return adapter; }
        /** A transform of the output after the adapter (null = none), e.g. a per-head norm of queries. */
        public void setPost(java.util.function.UnaryOperator<NDArray> f) { this.post = f; }

        NDArray apply(NDArray x) {
            NDArray y = Linear.linear(x, weight.getArray()).singletonOrThrow();
            Adapter a = adapter;
            if (a != null) y = y.add(a.delta(x));
            var f = post;
            return f == null ? y : f.apply(y);
        }

        @Override protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return new NDList(apply(in.head()));
        }

        @Override public Shape[] getOutputShapes(Shape[] s) {
            return new Shape[]{s[0].slice(0, s[0].dimension() - 1).add(weight.getArray().getShape().get(0))};
        }
    }

    /** x / sqrt(mean(x²) + eps) · weight over the last axis. */
    static final class RmsNorm extends AbstractBlock {
        final Parameter weight;
        private final float eps;

        RmsNorm(double eps) {
            this.eps = (float) eps;
            weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).build());
        }

        NDArray forward(NDArray x) {
            NDArray rms = x.square().mean(new int[]{-1}, true).add(eps).sqrt(); // (..., 1)
            return x.div(rms).mul(weight.getArray());
        }

        @Override protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return new NDList(forward(in.head()));
        }

        @Override public Shape[] getOutputShapes(Shape[] s) { return s; }
    }

    /** Pre-norm block: x + attn(norm(x)), then + mlp(norm(x)). */
    static final class DecoderLayer extends AbstractBlock {
        private final ModelConfig c;
        final RmsNorm inputNorm, postNorm;
        final Projection q, k, v, o, gate, up, down;

        DecoderLayer(ModelConfig c) {
            this.c = c;
            inputNorm = addChildBlock("input_layernorm", new RmsNorm(c.rmsNormEps()));
            q = addChildBlock("q_proj", new Projection());
            k = addChildBlock("k_proj", new Projection());
            v = addChildBlock("v_proj", new Projection());
            o = addChildBlock("o_proj", new Projection());
            postNorm = addChildBlock("post_attention_layernorm", new RmsNorm(c.rmsNormEps()));
            gate = addChildBlock("gate_proj", new Projection());
            up = addChildBlock("up_proj", new Projection());
            down = addChildBlock("down_proj", new Projection());
        }

        void register(String prefix, Map<String, Parameter> out) {
            out.put(prefix + "self_attn.q_proj.weight", q.weight);
            out.put(prefix + "self_attn.k_proj.weight", k.weight);
            out.put(prefix + "self_attn.v_proj.weight", v.weight);
            out.put(prefix + "self_attn.o_proj.weight", o.weight);
            out.put(prefix + "mlp.gate_proj.weight", gate.weight);
            out.put(prefix + "mlp.up_proj.weight", up.weight);
            out.put(prefix + "mlp.down_proj.weight", down.weight);
            out.put(prefix + "input_layernorm.weight", inputNorm.weight);
            out.put(prefix + "post_attention_layernorm.weight", postNorm.weight);
        }

        void projections(String prefix, Map<String, Projection> out) {
            out.put(prefix + "self_attn.q_proj", q);
            out.put(prefix + "self_attn.k_proj", k);
            out.put(prefix + "self_attn.v_proj", v);
            out.put(prefix + "self_attn.o_proj", o);
            out.put(prefix + "mlp.gate_proj", gate);
            out.put(prefix + "mlp.up_proj", up);
            out.put(prefix + "mlp.down_proj", down);
        }

        NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KvCache cache, int index) {
            long b = x.getShape().get(0), t = x.getShape().get(1);
            int heads = c.numAttentionHeads(), kvHeads = c.numKeyValueHeads(), hd = c.headDim(), groups = c.kvGroups();
            // attention
            NDArray h = inputNorm.forward(x); // (B, T, hidden)
            NDArray qs = q.apply(h).reshape(b, t, heads, hd).transpose(0, 2, 1, 3); // (B, heads, T, hd)
            NDArray ks = k.apply(h).reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3); // (B, kv_heads, T, hd)
            NDArray vs = v.apply(h).reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3); // (B, kv_heads, T, hd)
            qs = rotate(qs, cos, sin, hd);
            ks = rotate(ks, cos, sin, hd);
            if (cache != null) {
                NDArray[] kv = cache.append(index, ks, vs);
                ks = kv[0]; // (B, kv_heads, S, hd)
                vs = kv[1];
            }
            long s = ks.getShape().get(2);
            NDArray qg = qs.reshape(b, kvHeads, groups, t, hd); // (B, kv_heads, groups, T, hd): query head = kv * groups + g
            NDArray kg = ks.expandDims(2); // (B, kv_heads, 1, S, hd)
            NDArray vg = vs.expandDims(2); // (B, kv_heads, 1, S, hd)
            NDArray scores = Torch.mul(qg.matMul(kg.swapAxes(3, 4)), 1.0 / Math.sqrt(hd)).add(mask); // (B, kv_heads, groups, T, S)
            NDArray att = scores.softmax(-1).matMul(vg); // (B, kv_heads, groups, T, hd)
            NDArray merged = att.reshape(b, heads, t, hd).transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hd); // (B, T, heads*hd)
            x = x.add(o.apply(merged));
            // SwiGLU MLP
            NDArray h2 = postNorm.forward(x);
            NDArray g = gate.apply(h2); // (B, T, intermediate)
            NDArray act = g.mul(ai.djl.nn.Activation.sigmoid(g)).mul(up.apply(h2)); // silu(gate) * up
            return x.add(down.apply(act)); // (B, T, hidden)
        }

        /** x·cos + rotate_half(x)·sin, rotate_half(x) = [-x₂, x₁] over the two halves of head_dim. */
        private static NDArray rotate(NDArray x, NDArray cos, NDArray sin, int hd) {
            NDArray x1 = x.get(new NDIndex("..., :" + hd / 2));
            NDArray x2 = x.get(new NDIndex("..., " + hd / 2 + ":"));
            NDArray rot = NDArrays.concat(new NDList(x2.neg(), x1), -1);
            return x.mul(cos).add(rot.mul(sin));
        }

        @Override protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            throw new UnsupportedOperationException("a decoder layer runs inside LlamaModel.forward");
        }

        @Override public Shape[] getOutputShapes(Shape[] s) { return s; }
    }
}
