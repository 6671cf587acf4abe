package dev.phronesis.train.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * LoRA hyper-parameters, with PEFT's {@code adapter_config.json} field names.
 *
 * @param rank          r: inner dimension of A (r, in) and B (out, r)
 * @param alpha         lora_alpha: the update is scaled by alpha / r
 * @param dropout       lora_dropout on the adapter's input while training, in [0, 1)
 * @param targetModules short names of the linears that get adapters (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targetModules) {
    public static final List<String> ATTENTION = List.of("q_proj", "k_proj", "v_proj", "o_proj");
    public static final List<String> MLP = List.of("gate_proj", "up_proj", "down_proj");
    private static final Set<String> KNOWN = Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    static final ObjectMapper JSON = dev.phronesis.core.Json.MAPPER;

    public LoraConfig {
        if (rank <= 0) throw new IllegalArgumentException("r must be > 0, got " + rank);
        if (!(alpha > 0)) throw new IllegalArgumentException("lora_alpha must be > 0, got " + alpha);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora_dropout must be within [0, 1), got " + dropout);
        targetModules = List.copyOf(targetModules);
        if (targetModules.isEmpty()) throw new IllegalArgumentException("target_modules must not be empty");
        for (String t : targetModules)
            if (!KNOWN.contains(t)) throw new IllegalArgumentException("target_modules: unknown module '" + t + "', known: " + KNOWN.stream().sorted().toList());
    }

    /** Attention projections only, or attention and MLP. */
    public static LoraConfig of(int rank, double alpha, double dropout, boolean mlp) {
        List<String> t = new ArrayList<>(ATTENTION);
        if (mlp) t.addAll(MLP);
        return new LoraConfig(rank, alpha, dropout, t);
    }

    public double scale() { return alpha / rank; }

    /** PEFT's adapter_config.json for this adapter. */
    public ObjectNode toPeftJson(String baseModel) {
        ObjectNode n = JSON.createObjectNode();
        n.put("peft_type", "LORA");
        n.put("task_type", "CAUSAL_LM");
        n.put("base_model_name_or_path", baseModel);
        n.put("r", rank);
        n.put("lora_alpha", alpha);
        n.put("lora_dropout", dropout);
        var tm = n.putArray("target_modules");
        targetModules.forEach(tm::add);
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("use_rslora", false);
        n.put("use_dora", false);
        n.putNull("modules_to_save");
        n.put("init_lora_weights", true);
        return n;
    }

    /** Reads PEFT's adapter_config.json; fields that change the math and that we do not implement are errors. */
    public static LoraConfig fromPeftJson(JsonNode n, String where) {
        if (!"LORA".equals(n.path("peft_type").asText("LORA"))) throw new UserError(where + ": field 'peft_type' is '" + n.path("peft_type").asText() + "'; only LORA is supported");
        if (n.path("use_rslora").asBoolean(false)) throw new UserError(where + ": field 'use_rslora' is true; rank-stabilised LoRA is not supported");
        if (n.path("use_dora").asBoolean(false)) throw new UserError(where + ": field 'use_dora' is true; DoRA is not supported");
        if (n.path("fan_in_fan_out").asBoolean(false)) throw new UserError(where + ": field 'fan_in_fan_out' is true; not supported for Llama/Qwen linears");
        if (!"none".equals(n.path("bias").asText("none"))) throw new UserError(where + ": field 'bias' is '" + n.path("bias").asText() + "'; only 'none' is supported");
        if (n.hasNonNull("rank_pattern") && !n.get("rank_pattern").isEmpty() || n.hasNonNull("alpha_pattern") && !n.get("alpha_pattern").isEmpty())
            throw new UserError(where + ": fields 'rank_pattern' / 'alpha_pattern' are not supported");
        JsonNode tm = n.path("target_modules");
        List<String> targets = new ArrayList<>();
        if (tm.isTextual()) throw new UserError(where + ": field 'target_modules' is a regex ('" + tm.asText() + "'); give a list of module names");
        for (JsonNode t : tm) targets.add(t.asText());
        try {
            return new LoraConfig(n.path("r").asInt(8), n.path("lora_alpha").asDouble(8), n.path("lora_dropout").asDouble(0), targets);
        } catch (IllegalArgumentException e) {
            throw new UserError(where + ": " + e.getMessage());
        }
    }
}
