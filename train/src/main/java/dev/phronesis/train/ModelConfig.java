package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The shape of a Llama-family decoder, with Hugging Face {@code config.json} field names, so a
 * checkpoint written here loads in {@code transformers.LlamaForCausalLM} and an HF config loads here.
 *
 * @param headDim {@code hidden_size / num_attention_heads} unless given
 */
public record ModelConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
                          int numAttentionHeads, int numKeyValueHeads, int headDim, int maxPositionEmbeddings,
                          double rmsNormEps, double ropeTheta, boolean tieWordEmbeddings, double initializerRange) {

    /** HF keys we read, plus HF keys that carry no architecture we would have to honour. Any other key is an error. */
    private static final Set<String> KNOWN = Set.of("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
            "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings", "rms_norm_eps",
            "rope_theta", "tie_word_embeddings", "initializer_range",
            "model_type", "architectures", "hidden_act", "torch_dtype", "dtype", "transformers_version", "use_cache",
            "bos_token_id", "eos_token_id", "pad_token_id", "attention_bias", "attention_dropout", "mlp_bias",
            "pretraining_tp", "rope_scaling");

    public ModelConfig {
        require(vocabSize > 0, "vocab_size must be > 0, got " + vocabSize);
        require(hiddenSize > 0, "hidden_size must be > 0, got " + hiddenSize);
        require(intermediateSize > 0, "intermediate_size must be > 0, got " + intermediateSize);
        require(numHiddenLayers > 0, "num_hidden_layers must be > 0, got " + numHiddenLayers);
        require(numAttentionHeads > 0, "num_attention_heads must be > 0, got " + numAttentionHeads);
        require(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0,
                "num_key_value_heads must divide num_attention_heads (" + numAttentionHeads + "), got " + numKeyValueHeads);
        require(headDim > 0 && headDim % 2 == 0, "head_dim must be a positive even number (rotary pairs), got " + headDim);
        require(maxPositionEmbeddings > 0, "max_position_embeddings must be > 0, got " + maxPositionEmbeddings);
        require(rmsNormEps > 0 && rmsNormEps < 1, "rms_norm_eps must be within (0, 1), got " + rmsNormEps);
        require(ropeTheta > 0, "rope_theta must be > 0, got " + ropeTheta);
        require(initializerRange > 0, "initializer_range must be > 0, got " + initializerRange);
    }

    /** A config with the usual defaults: head_dim = hidden/heads, eps 1e-5, theta 10000, init std 0.02. */
    public static ModelConfig of(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads,
                                 int maxPositions, boolean tied) {
        return new ModelConfig(vocab, hidden, intermediate, layers, heads, kvHeads, hidden / heads, maxPositions,
                1e-5, 10000.0, tied, 0.02);
    }

    /** The organism: ~0.9M parameters with a 1.5k vocabulary. */
    public static ModelConfig organism(int vocab) {
        return of(vocab, 128, 344, 4, 4, 2, 256, true);
    }

    public ModelConfig withVocabSize(int v) {
        return new ModelConfig(v, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads,
                headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tieWordEmbeddings, initializerRange);
    }

    public int kvGroups() { return numAttentionHeads / numKeyValueHeads; }

    /** Number of trainable parameters (the tied head counted once). */
    public long parameterCount() {
        long h = hiddenSize, q = (long) numAttentionHeads * headDim, kv = (long) numKeyValueHeads * headDim;
        long perLayer = h * q + 2 * h * kv + q * h + 3 * h * intermediateSize + 2 * h;
        return (long) vocabSize * h * (tieWordEmbeddings ? 1 : 2) + numHiddenLayers * perLayer + h;
    }

    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode n = json.createObjectNode();
        n.putArray("architectures").add("LlamaForCausalLM");
        n.put("model_type", "llama");
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
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("initializer_range", initializerRange);
        n.put("hidden_act", "silu");
        n.put("attention_bias", false);
        n.put("mlp_bias", false);
        n.put("torch_dtype", "float32");
        return n;
    }

    public void write(Path file) throws IOException {
        ObjectMapper json = Json.MAPPER;
        Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(json)) + "\n");
    }

    public static ModelConfig read(Path file) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(dev.phronesis.core.TextFiles.read(file));
        } catch (IOException e) {
            throw new UserError(file + ": cannot read model config: " + Json.oneLine(e));
        }
        return fromJson(n, file.toString());
    }

    public static ModelConfig fromJson(JsonNode n, String where) {
        if (n == null || !n.isObject()) throw new UserError(where + ": model config must be a JSON object");
        for (Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator(); it.hasNext(); ) {
            String k = it.next().getKey();
            if (!KNOWN.contains(k)) throw new UserError(where + ": unknown model config field '" + k + "'");
        }
        if (n.path("attention_bias").asBoolean(false) || n.path("mlp_bias").asBoolean(false))
            throw new UserError(where + ": attention_bias / mlp_bias are not supported (Llama has none)");
        if (n.has("rope_scaling") && !n.get("rope_scaling").isNull())
            throw new UserError(where + ": rope_scaling is not supported");
        if (n.has("hidden_act") && !"silu".equals(n.get("hidden_act").asText()))
            throw new UserError(where + ": hidden_act must be silu, got " + n.get("hidden_act").asText());
        try {
            int hidden = req(n, "hidden_size", where);
            int heads = req(n, "num_attention_heads", where);
            if (heads <= 0) throw new UserError(where + ": field 'num_attention_heads' must be > 0, got " + heads);
            return new ModelConfig(req(n, "vocab_size", where), hidden, req(n, "intermediate_size", where),
                    req(n, "num_hidden_layers", where), heads, n.path("num_key_value_heads").asInt(heads),
                    n.path("head_dim").asInt(hidden / heads), n.path("max_position_embeddings").asInt(2048),
                    n.path("rms_norm_eps").asDouble(1e-6), n.path("rope_theta").asDouble(10000.0),
                    n.path("tie_word_embeddings").asBoolean(false), n.path("initializer_range").asDouble(0.02));
        } catch (IllegalArgumentException e) {
            throw new UserError(where + ": " + e.getMessage());
        }
    }

    private static int req(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || !v.isNumber() || !v.canConvertToInt() || v.asDouble() != Math.rint(v.asDouble()))
            throw new UserError(where + ": field '" + key + "' must be an integer" + (v == null ? "" : ", got " + v));
        return v.asInt();
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
