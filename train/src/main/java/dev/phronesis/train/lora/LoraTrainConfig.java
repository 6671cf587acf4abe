package dev.phronesis.train.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.Hashes;
import dev.phronesis.core.UserError;

import java.util.List;

/**
 * LoRA SFT knobs. The learning rate warms up linearly, then stays constant, so {@code steps} can be
 * raised on a finished run and it continues exactly; {@link #hash()} covers everything that changes
 * the result except {@code steps}, {@code checkpoint_every} and {@code threads}.
 */
public record LoraTrainConfig(LoraConfig lora, int maxLen, int batchSize, int steps, double lr, int warmupSteps,
                              double weightDecay, double gradClip, int checkpointEvery, long seed, int threads) {
    public LoraTrainConfig {
        if (maxLen < 2) throw new IllegalArgumentException("max_len must be >= 2, got " + maxLen);
        if (batchSize < 1) throw new IllegalArgumentException("batch_size must be >= 1, got " + batchSize);
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be > 0, got " + lr);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
        if (!(gradClip >= 0)) throw new IllegalArgumentException("grad_clip must be >= 0, got " + gradClip);
        if (checkpointEvery < 1) throw new IllegalArgumentException("checkpoint_every must be >= 1, got " + checkpointEvery);
    }

    /** PEFT-like defaults: r 16, alpha 32, dropout 0.05 on attention projections; lr 2e-4. */
    public static LoraTrainConfig defaults() {
        return new LoraTrainConfig(LoraConfig.of(16, 32, 0.05, false), 1024, 4, 100, 2e-4, 10, 0.0, 1.0, 25, 1234, 0);
    }

    public LoraTrainConfig withSteps(int s) {
        return new LoraTrainConfig(lora, maxLen, batchSize, s, lr, warmupSteps, weightDecay, gradClip, checkpointEvery, seed, threads);
    }

    public double learningRate(int step) {
        return step < warmupSteps ? lr * (step + 1) / warmupSteps : lr;
    }

    public ObjectNode toJson() {
        ObjectNode n = LoraConfig.JSON.createObjectNode();
        n.put("r", lora.rank()).put("lora_alpha", lora.alpha()).put("lora_dropout", lora.dropout());
        var t = n.putArray("target_modules");
        lora.targetModules().forEach(t::add);
        n.put("max_len", maxLen).put("batch_size", batchSize).put("steps", steps).put("lr", lr).put("warmup_steps", warmupSteps)
                .put("weight_decay", weightDecay).put("grad_clip", gradClip).put("checkpoint_every", checkpointEvery)
                .put("seed", seed).put("threads", threads);
        return n;
    }

    public static LoraTrainConfig fromJson(JsonNode n, String where) {
        try {
            List<String> targets = new java.util.ArrayList<>();
            n.path("target_modules").forEach(x -> targets.add(x.asText()));
            return new LoraTrainConfig(new LoraConfig(n.path("r").asInt(), n.path("lora_alpha").asDouble(), n.path("lora_dropout").asDouble(), targets),
                    n.path("max_len").asInt(), n.path("batch_size").asInt(), n.path("steps").asInt(), n.path("lr").asDouble(),
                    n.path("warmup_steps").asInt(), n.path("weight_decay").asDouble(), n.path("grad_clip").asDouble(),
                    n.path("checkpoint_every").asInt(), n.path("seed").asLong(), n.path("threads").asInt());
        } catch (IllegalArgumentException e) {
            throw new UserError(where + ": " + e.getMessage());
        }
    }

    /** Hash of what changes the trained adapter (not steps, checkpoint cadence or threads). */
    public String hash() {
        ObjectNode n = toJson();
        n.remove(List.of("steps", "checkpoint_every", "threads"));
        return Hashes.shortHex(Hashes.sha256(n.toString()));
    }
}
