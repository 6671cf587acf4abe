package dev.phronesis.train.hf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.phronesis.core.UserError;
import dev.phronesis.train.LlamaModel;
import dev.phronesis.train.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face checkpoint (Llama, Qwen2, Qwen3) as the student's {@link LlamaModel}, plus what
 * those families add to it: q/k/v (and o) biases, added to each projection's output through its
 * adapter slot, and Qwen3's per-head RMSNorm of queries and keys, applied through the projection's
 * post-transform. RoPE scaling replaces the model's rotary tables.
 *
 * <p>Weights are read from memory-mapped safetensors and copied once into libtorch tensors (float32;
 * F16/BF16 converted on the CPU). {@link #freezeBase()} turns off gradients on every base weight so
 * only adapters train. Owns its native memory: close it.
 */
public final class HfModel implements AutoCloseable {
    /** Files copied beside exported weights so transformers / vLLM find the tokenizer and chat template. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "chat_template.jinja", "generation_config.json", "tokenizer.model", "vocab.json", "merges.txt");

    private final Path dir;
    private final HfConfig config;
    private final LlamaModel model;
    private final NDManager extrasManager = NDManager.newBaseManager();
    private final Map<String, Parameter> extras = new LinkedHashMap<>(); // biases and q/k norms by HF name
    private final Map<String, LinearHooks> hooks = new LinkedHashMap<>(); // by module name

    private HfModel(Path dir, HfConfig config, LlamaModel model) {
        this.dir = dir;
        this.config = config;
        this.model = model;
    }

    /** The student's view of this architecture: the fields LlamaModel uses. */
    public static ModelConfig modelConfig(HfConfig c) {
        return new ModelConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                c.numKeyValueHeads(), c.headDim(), c.maxPositionEmbeddings(), c.rmsNormEps(), c.ropeTheta(), c.tieWordEmbeddings(), 0.02);
    }

    /** Loads {@code config.json} and the safetensors weights of a model directory, checking every tensor's presence and shape. */
    public static HfModel load(Path dir) {
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw new UserError(cfgFile + ": missing (not a Hugging Face model directory)");
        HfConfig cfg = HfConfig.read(cfgFile);
        dev.phronesis.train.ModelMemory.requireFits(modelConfig(cfg), dev.phronesis.train.ModelMemory.Use.INFERENCE, cfgFile.toString()); // before sizing every tensor
        try (HfSafetensors w = HfSafetensors.openDir(dir)) {
            Map<String, HostTensor> state = new LinkedHashMap<>();
            for (var e : cfg.expectedTensors().entrySet()) {
                if (!w.has(e.getKey()))
                    throw new UserError(w.source() + ": tensor '" + e.getKey() + "' is missing (" + cfgFile.getFileName() + " describes a "
                            + cfg.arch().className + " that needs it)");
                var en = w.entry(e.getKey());
                if (!Arrays.equals(en.shape(), e.getValue()))
                    throw new UserError(en.file() + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(en.shape())
                            + ", " + cfgFile.getFileName() + " needs " + Arrays.toString(e.getValue()));
            }
            for (String name : cfg.expectedTensors().keySet()) state.put(name, w.read(name));
            return fromState(dir, cfg, state);
        }
    }

    /** A model from HF-named host tensors (e.g. freshly initialised for tests and benchmarks). */
    public static HfModel fromState(Path dir, HfConfig cfg, Map<String, HostTensor> state) {
        Map<String, HostTensor> base = new LinkedHashMap<>();
        Map<String, HostTensor> extra = new LinkedHashMap<>();
        for (var e : cfg.expectedTensors().entrySet()) {
            HostTensor t = state.get(e.getKey());
            if (t == null) throw new UserError((dir == null ? "state" : dir.toString()) + ": tensor '" + e.getKey() + "' is missing");
            if (e.getKey().endsWith(".bias") || e.getKey().contains("_norm.weight") && e.getKey().contains("self_attn")) extra.put(e.getKey(), t);
            else base.put(e.getKey(), t);
        }
        LlamaModel m = LlamaModel.fromState(modelConfig(cfg), base, dir == null ? "state" : dir.toString());
        HfModel hm = new HfModel(dir, cfg, m);
        try {
            if (!(cfg.ropeScaling() instanceof HfConfig.RopeScaling.None)) m.setRopeInverseFrequencies(cfg.inverseFrequencies());
            var projections = m.projections();
            for (var e : extra.entrySet()) {
                HostTensor t = e.getValue();
                NDArray a = hm.extrasManager.create(t.data(), new Shape(t.shape()));
                a.setRequiresGradient(true);
                Parameter p = Parameter.builder().setName(e.getKey()).setType(e.getKey().endsWith(".bias") ? Parameter.Type.BIAS : Parameter.Type.GAMMA).build();
                p.setArray(a);
                hm.extras.put(e.getKey(), p);
                String module = e.getKey().substring(0, e.getKey().lastIndexOf('.'));
                if (e.getKey().endsWith(".bias")) {
                    hm.hooks(module, projections).bias = p;
                } else { // self_attn.q_norm.weight -> applied to self_attn.q_proj's output, per head
                    String proj = module.replace("q_norm", "q_proj").replace("k_norm", "k_proj");
                    float eps = (float) cfg.rmsNormEps();
                    int hd = cfg.headDim();
                    projections.get(proj).setPost(y -> headRmsNorm(y, p.getArray(), eps, hd));
                }
            }
            return hm;
        } catch (RuntimeException ex) {
            hm.close();
            throw ex;
        }
    }

    /** RMSNorm over each head's slice of the last axis: (..., heads * hd) -> same shape. */
    static NDArray headRmsNorm(NDArray y, NDArray weight, float eps, int hd) {
        Shape s = y.getShape();
        long heads = s.get(s.dimension() - 1) / hd;
        NDArray h = y.reshape(s.slice(0, s.dimension() - 1).add(heads, hd)); // (..., heads, hd)
        NDArray rms = h.square().mean(new int[]{-1}, true).add(eps).sqrt();
        return h.div(rms).mul(weight).reshape(s);
    }

    private LinearHooks hooks(String module, Map<String, LlamaModel.Projection> projections) {
        return hooks.computeIfAbsent(module, k -> {
            LlamaModel.Projection p = projections.get(k);
            if (p == null) throw new IllegalStateException("no projection " + k);
            LinearHooks h = new LinearHooks();
            p.setAdapter(h);
            return h;
        });
    }

    /** What a linear adds to {@code x W^T}: its bias and an adapter such as LoRA. */
    static final class LinearHooks implements LlamaModel.Projection.Adapter {
        volatile Parameter bias;
        volatile LlamaModel.Projection.Adapter adapter;

        @Override public NDArray delta(NDArray x) {
            Parameter b = bias;
            LlamaModel.Projection.Adapter a = adapter;
            if (a == null) return b.getArray();
            NDArray d = a.delta(x);
            return b == null ? d : d.add(b.getArray());
        }
    }

    /** Puts an adapter (e.g. LoRA) on the linear named {@code module} (e.g. {@code model.layers.0.self_attn.q_proj}); null removes it. */
    public void setAdapter(String module, LlamaModel.Projection.Adapter adapter) {
        var projections = model.projections();
        LinearHooks h = hooks(module, projections);
        h.adapter = adapter;
        if (adapter == null && h.bias == null) { // nothing left to add
            projections.get(module).setAdapter(null);
            hooks.remove(module);
        }
    }

    /** Linear modules by HF name. */
    public Map<String, LlamaModel.Projection> projections() { return model.projections(); }

    public Path dir() { return dir; }
    public HfConfig config() { return config; }
    public LlamaModel model() { return model; }

    /** Every base weight (incl. biases and q/k norms) by HF name. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>(model.namedParameters());
        out.putAll(extras);
        return Collections.unmodifiableMap(out);
    }

    /** Stops gradients on every base weight: only adapters train. */
    public void freezeBase() {
        for (Parameter p : namedParameters().values()) p.getArray().setRequiresGradient(false);
    }

    /** Logits (B, T, V) of a causal pass over token ids (B, T). */
    public NDArray forward(NDArray ids) { return model.forward(ids); }

    /** Host copies of every base weight by HF name, in config order. */
    public Map<String, HostTensor> state() {
        Map<String, Parameter> all = namedParameters();
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (String name : config.expectedTensors().keySet()) {
            NDArray a = all.get(name).getArray();
            try (NDArray f = a.toType(DataType.FLOAT32, true)) {
                out.put(name, new HostTensor(a.getShape().getShape(), f.toFloatArray()));
            }
        }
        return out;
    }

    /** Writes a Hugging Face model directory (config.json, safetensors, and the tokenizer files of the source). */
    public static void save(Path out, HfConfig config, Map<String, HostTensor> state, DType dtype, long maxShardBytes, Path tokenizerFrom)
            throws IOException {
        Files.createDirectories(out);
        config.write(out.resolve("config.json"));
        HfSafetensors.writeModel(out, state, dtype, maxShardBytes);
        if (tokenizerFrom != null) {
            for (String f : TOKENIZER_FILES) {
                Path src = tokenizerFrom.resolve(f);
                if (Files.isRegularFile(src) && !src.toAbsolutePath().normalize().equals(out.resolve(f).toAbsolutePath().normalize()))
                    Files.copy(src, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Override public void close() {
        model.close();
        extrasManager.close();
    }
}
