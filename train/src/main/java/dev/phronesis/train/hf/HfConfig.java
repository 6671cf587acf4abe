package dev.phronesis.train.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The architecture facts of a Hugging Face {@code config.json} for the decoder families we load:
 * Llama (incl. SmolLM, TinyLlama), Qwen2/Qwen2.5 (q/k/v biases) and Qwen3 (per-head RMSNorm on q and k).
 * Keys that do not change the forward pass (dtype, token ids, use_cache, ...) are ignored; keys that
 * would change it and that we do not implement are an error naming the file and field.
 *
 * @param qkvBias   q_proj/k_proj/v_proj carry a bias (Qwen2 always; Llama/Qwen3 when attention_bias)
 * @param oBias     o_proj carries a bias (Llama with attention_bias)
 * @param qkNorm    per-head RMSNorm on queries and keys before rotary (Qwen3)
 */
public record HfConfig(Arch arch, int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
                       int numAttentionHeads, int numKeyValueHeads, int headDim, int maxPositionEmbeddings,
                       double rmsNormEps, double ropeTheta, RopeScaling ropeScaling, boolean tieWordEmbeddings,
                       boolean qkvBias, boolean oBias, boolean qkNorm, Integer bosTokenId, List<Integer> eosTokenIds) {

    /** The decoder families we read, by their {@code architectures[0]} / {@code model_type}. */
    public enum Arch {
        LLAMA("LlamaForCausalLM", "llama"), QWEN2("Qwen2ForCausalLM", "qwen2"), QWEN3("Qwen3ForCausalLM", "qwen3");

        public final String className, modelType;

        Arch(String className, String modelType) {
            this.className = className;
            this.modelType = modelType;
        }
    }

    /** Rotary-frequency scaling ({@code rope_scaling}); the types these families' released configs use. */
    public sealed interface RopeScaling {
        /** Plain RoPE. */
        record None() implements RopeScaling {}
        /** Position interpolation: every frequency divided by {@code factor}. */
        record Linear(double factor) implements RopeScaling {}
        /** Llama 3.1's band-wise scaling. */
        record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) implements RopeScaling {}
    }

    public HfConfig {
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(hiddenSize > 0, "hidden_size", hiddenSize);
        require(intermediateSize > 0, "intermediate_size", intermediateSize);
        require(numHiddenLayers > 0, "num_hidden_layers", numHiddenLayers);
        require(numAttentionHeads > 0, "num_attention_heads", numAttentionHeads);
        if (numKeyValueHeads <= 0 || numAttentionHeads % numKeyValueHeads != 0)
            throw new IllegalArgumentException("num_key_value_heads must divide num_attention_heads (" + numAttentionHeads + "), got " + numKeyValueHeads);
        if (headDim <= 0 || headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be a positive even number (rotary pairs), got " + headDim);
        require(maxPositionEmbeddings > 0, "max_position_embeddings", maxPositionEmbeddings);
        if (!(rmsNormEps > 0 && rmsNormEps < 1)) throw new IllegalArgumentException("rms_norm_eps must be within (0, 1), got " + rmsNormEps);
        if (!(ropeTheta > 0)) throw new IllegalArgumentException("rope_theta must be > 0, got " + ropeTheta);
        eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
    }

    private static void require(boolean ok, String field, long got) {
        if (!ok) throw new IllegalArgumentException(field + " must be > 0, got " + got);
    }

    public static HfConfig read(Path configJson) {
        JsonNode n;
        try {
            n = HfSafetensors.JSON.readTree(configJson.toFile());
        } catch (IOException e) {
            throw new UserError(configJson + ": cannot read config: " + HfSafetensors.firstLine(e));
        }
        return fromJson(n, configJson.toString());
    }

    public static HfConfig fromJson(JsonNode n, String where) {
        if (n == null || !n.isObject()) throw new UserError(where + ": must be a JSON object");
        String cls = n.path("architectures").path(0).asText("");
        String type = n.path("model_type").asText("");
        Arch arch = null;
        for (Arch a : Arch.values()) if (a.className.equals(cls) || (cls.isEmpty() && a.modelType.equals(type))) arch = a;
        if (arch == null) {
            List<String> names = new ArrayList<>();
            for (Arch a : Arch.values()) names.add(a.className);
            throw new UserError(where + ": field 'architectures' " + (cls.isEmpty() ? "is missing" : "is '" + cls + "'")
                    + " (model_type '" + type + "'): unsupported architecture; supported: " + String.join(", ", names));
        }
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new UserError(where + ": field 'hidden_act' is '" + act + "'; only silu is supported");
        if (n.path("mlp_bias").asBoolean(false)) throw new UserError(where + ": field 'mlp_bias' is true; MLP biases are not supported");
        if (n.path("use_sliding_window").asBoolean(false))
            throw new UserError(where + ": field 'use_sliding_window' is true; sliding-window attention is not supported");
        boolean attnBias = n.path("attention_bias").asBoolean(false);
        boolean qkvBias = switch (arch) { case QWEN2 -> true; case LLAMA, QWEN3 -> attnBias; };
        boolean oBias = switch (arch) { case LLAMA -> attnBias; case QWEN2, QWEN3 -> false; };
        boolean qkNorm = switch (arch) { case QWEN3 -> true; case LLAMA, QWEN2 -> false; };
        int hidden = req(n, "hidden_size", where), heads = req(n, "num_attention_heads", where);
        if (heads <= 0) throw new UserError(where + ": field 'num_attention_heads' must be > 0, got " + heads);
        int headDim = n.hasNonNull("head_dim") ? req(n, "head_dim", where) : hidden / heads;
        // transformers 4 writes rope_theta + rope_scaling; transformers 5 writes rope_parameters {rope_type, rope_theta, factor, ...}
        JsonNode rp = n.path("rope_parameters");
        double theta = n.path("rope_theta").asDouble(rp.path("rope_theta").asDouble(10000.0));
        RopeScaling scaling = ropeScaling(n.hasNonNull("rope_scaling") ? n.path("rope_scaling") : rp,
                where, n.hasNonNull("rope_scaling") ? "rope_scaling" : "rope_parameters");
        JsonNode layerTypes = n.path("layer_types");
        for (int i = 0; i < layerTypes.size(); i++)
            if (!"full_attention".equals(layerTypes.get(i).asText()))
                throw new UserError(where + ": field 'layer_types[" + i + "]' is '" + layerTypes.get(i).asText() + "'; only full_attention is supported");
        Integer bos = n.path("bos_token_id").canConvertToInt() ? n.get("bos_token_id").asInt() : null;
        List<Integer> eos = new ArrayList<>();
        JsonNode e = n.path("eos_token_id");
        if (e.canConvertToInt()) eos.add(e.asInt());
        else if (e.isArray()) for (JsonNode x : e) eos.add(x.asInt());
        try {
            return new HfConfig(arch, req(n, "vocab_size", where), hidden, req(n, "intermediate_size", where),
                    req(n, "num_hidden_layers", where), heads, n.path("num_key_value_heads").asInt(heads), headDim,
                    n.path("max_position_embeddings").asInt(2048), n.path("rms_norm_eps").asDouble(1e-6), theta, scaling,
                    n.path("tie_word_embeddings").asBoolean(false), qkvBias, oBias, qkNorm, bos, eos);
        } catch (IllegalArgumentException ex) {
            throw new UserError(where + ": " + ex.getMessage());
        }
    }

    private static RopeScaling ropeScaling(JsonNode s, String where, String field) {
        if (s.isMissingNode() || s.isNull()) return new RopeScaling.None();
        if (!s.isObject()) throw new UserError(where + ": field '" + field + "' must be an object or null");
        String type = s.has("rope_type") ? s.path("rope_type").asText() : s.path("type").asText("default");
        double factor = s.path("factor").asDouble(1.0);
        if (!(factor >= 1.0)) throw new UserError(where + ": field '" + field + ".factor' must be >= 1, got " + s.path("factor"));
        return switch (type) {
            case "default" -> new RopeScaling.None();
            case "linear" -> new RopeScaling.Linear(factor);
            case "llama3" -> {
                for (String k : List.of("low_freq_factor", "high_freq_factor", "original_max_position_embeddings"))
                    if (!s.hasNonNull(k)) throw new UserError(where + ": field '" + field + "." + k + "' is required for rope_type llama3");
                double lo = s.path("low_freq_factor").asDouble(), hi = s.path("high_freq_factor").asDouble();
                if (!(hi > lo)) throw new UserError(where + ": field '" + field + ".high_freq_factor' must exceed low_freq_factor");
                yield new RopeScaling.Llama3(factor, lo, hi, s.path("original_max_position_embeddings").asInt());
            }
            default -> throw new UserError(where + ": field '" + field + ".rope_type' is '" + type
                    + "'; supported: default, linear, llama3 (dynamic/yarn/longrope are not implemented)");
        };
    }

    private static int req(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || !v.isNumber() || !v.canConvertToInt() || v.asDouble() != Math.rint(v.asDouble()))
            throw new UserError(where + ": field '" + key + "' must be an integer" + (v == null ? "" : ", got " + v));
        return v.asInt();
    }

    public int kvGroups() { return numAttentionHeads / numKeyValueHeads; }

    /**
     * RoPE inverse frequencies (head_dim / 2 of them) in float32, as transformers computes them,
     * after {@code rope_scaling}.
     */
    public float[] inverseFrequencies() {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) inv[i] = (float) (1.0 / Math.pow(ropeTheta, (double) (2 * i) / headDim));
        switch (ropeScaling) {
            case RopeScaling.None none -> { }
            case RopeScaling.Linear lin -> { for (int i = 0; i < half; i++) inv[i] = (float) (inv[i] / lin.factor()); }
            case RopeScaling.Llama3 l -> {
                double lowWavelen = l.originalMaxPositionEmbeddings() / l.lowFreqFactor();
                double highWavelen = l.originalMaxPositionEmbeddings() / l.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double f = inv[i], wavelen = 2 * Math.PI / f;
                    if (wavelen > lowWavelen) f = f / l.factor();
                    else if (wavelen >= highWavelen) { // the band in between: interpolate
                        double smooth = (l.originalMaxPositionEmbeddings() / wavelen - l.lowFreqFactor()) / (l.highFreqFactor() - l.lowFreqFactor());
                        f = (1 - smooth) * f / l.factor() + smooth * f;
                    }
                    inv[i] = (float) f;
                }
            }
        }
        return inv;
    }

    /** Every tensor a checkpoint of this config must hold, by HF name, with its HF shape. */
    public Map<String, long[]> expectedTensors() {
        long h = hiddenSize, q = (long) numAttentionHeads * headDim, kv = (long) numKeyValueHeads * headDim, m = intermediateSize;
        Map<String, long[]> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", new long[]{vocabSize, h});
        for (int i = 0; i < numHiddenLayers; i++) {
            String p = "model.layers." + i + ".";
            out.put(p + "input_layernorm.weight", new long[]{h});
            out.put(p + "self_attn.q_proj.weight", new long[]{q, h});
            out.put(p + "self_attn.k_proj.weight", new long[]{kv, h});
            out.put(p + "self_attn.v_proj.weight", new long[]{kv, h});
            out.put(p + "self_attn.o_proj.weight", new long[]{h, q});
            if (qkvBias) {
                out.put(p + "self_attn.q_proj.bias", new long[]{q});
                out.put(p + "self_attn.k_proj.bias", new long[]{kv});
                out.put(p + "self_attn.v_proj.bias", new long[]{kv});
            }
            if (oBias) out.put(p + "self_attn.o_proj.bias", new long[]{h});
            if (qkNorm) {
                out.put(p + "self_attn.q_norm.weight", new long[]{headDim});
                out.put(p + "self_attn.k_norm.weight", new long[]{headDim});
            }
            out.put(p + "post_attention_layernorm.weight", new long[]{h});
            out.put(p + "mlp.gate_proj.weight", new long[]{m, h});
            out.put(p + "mlp.up_proj.weight", new long[]{m, h});
            out.put(p + "mlp.down_proj.weight", new long[]{h, m});
        }
        out.put("model.norm.weight", new long[]{h});
        if (!tieWordEmbeddings) out.put("lm_head.weight", new long[]{vocabSize, h});
        return out;
    }

    /** Parameter count of the full model (tied head counted once). */
    public long parameterCount() {
        long n = 0;
        for (long[] s : expectedTensors().values()) n += HostTensor.elements(s);
        return n;
    }

    /** A config.json for this architecture that transformers loads (used when we write checkpoints). */
    public ObjectNode toJson() {
        ObjectNode n = HfSafetensors.JSON.createObjectNode();
        n.putArray("architectures").add(arch.className);
        n.put("model_type", arch.modelType);
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("num_key_value_heads", numKeyValueHeads);
        n.put("head_dim", headDim);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        switch (ropeScaling) {
            case RopeScaling.None none -> n.putNull("rope_scaling");
            case RopeScaling.Linear l -> n.putObject("rope_scaling").put("rope_type", "linear").put("factor", l.factor());
            case RopeScaling.Llama3 l -> n.putObject("rope_scaling").put("rope_type", "llama3").put("factor", l.factor())
                    .put("low_freq_factor", l.lowFreqFactor()).put("high_freq_factor", l.highFreqFactor())
                    .put("original_max_position_embeddings", l.originalMaxPositionEmbeddings());
        }
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("hidden_act", "silu");
        if (arch != Arch.QWEN2) n.put("attention_bias", qkvBias);
        if (arch == Arch.LLAMA) n.put("mlp_bias", false);
        if (arch == Arch.QWEN2) n.put("use_sliding_window", false);
        if (bosTokenId != null) n.put("bos_token_id", bosTokenId);
        if (eosTokenIds.size() == 1) n.put("eos_token_id", eosTokenIds.get(0));
        else if (!eosTokenIds.isEmpty()) { var a = n.putArray("eos_token_id"); eosTokenIds.forEach(a::add); }
        n.put("torch_dtype", "float32");
        return n;
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, HfSafetensors.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
    }
}
