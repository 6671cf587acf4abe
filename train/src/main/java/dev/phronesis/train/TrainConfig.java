package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.Hashes;
import dev.phronesis.core.UserError;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Everything a training run needs besides its data, as plain values with defaults. Read from JSON
 * with snake_case keys ({@code seq_len}, {@code lr}, ...); unknown keys are an error. {@code model}
 * holds an HF-style model config (its {@code vocab_size} is replaced by the tokenizer's size when
 * pre-training; for SFT the base checkpoint's architecture is used and {@code model} must be absent).
 *
 * @param seqLen          tokens per training row (the model sees seq_len inputs and predicts seq_len targets)
 * @param batchSize       rows per micro-batch
 * @param gradAccum       micro-batches per optimizer step
 * @param steps           optimizer steps in total (a resumed run continues up to this)
 * @param lr              peak learning rate after warm-up
 * @param minLr           learning rate at the end of the cosine decay
 * @param warmupSteps     linear warm-up from 0 to lr
 * @param weightDecay     AdamW decoupled weight decay on matrices (not on norms)
 * @param gradClip        global gradient-norm clip, 0 = off
 * @param evalEvery       evaluate held-out loss every this many steps (and at the end), 0 = only at the end
 * @param evalBatches     batches of held-out rows per evaluation
 * @param evalFraction    share of documents / samples held out for evaluation
 * @param checkpointEvery write a resumable checkpoint every this many steps (and at the end)
 * @param keepCheckpoints how many step checkpoints to keep
 * @param logEvery        write a CSV row and update the progress line every this many steps
 * @param threads         libtorch intra-op threads, 0 = all available cores
 * @param maxVocab        pre-training: most tokens in the corpus-built vocabulary
 * @param minCount        pre-training: least count of a word to get its own token
 * @param replayFraction  SFT: share of rows drawn from replay documents (plain text, loss on all tokens)
 * @param wholeDocuments  plain-text rows never split a document that fits in one row (the row is padded); false streams
 *                        documents back to back, cut every seq_len + 1 tokens. Written to JSON only when true, so
 *                        configs (and checkpoint hashes) without it are unchanged
 */
public record TrainConfig(ModelConfig model, int seqLen, int batchSize, int gradAccum, int steps, double lr,
                          double minLr, int warmupSteps, double weightDecay, double beta1, double beta2, double eps,
                          double gradClip, int evalEvery, int evalBatches, double evalFraction, int checkpointEvery,
                          int keepCheckpoints, int logEvery, long seed, int threads, int maxVocab, int minCount,
                          double replayFraction, boolean wholeDocuments) {

    private static final Set<String> KEYS = Set.of("model", "seq_len", "batch_size", "grad_accum", "steps", "lr", "min_lr",
            "warmup_steps", "weight_decay", "beta1", "beta2", "eps", "grad_clip", "eval_every", "eval_batches",
            "eval_fraction", "checkpoint_every", "keep_checkpoints", "log_every", "seed", "threads", "max_vocab",
            "min_count", "replay_fraction", "whole_documents");

    public TrainConfig {
        check(seqLen >= 2, "seq_len", seqLen, ">= 2");
        check(batchSize >= 1, "batch_size", batchSize, ">= 1");
        check(gradAccum >= 1, "grad_accum", gradAccum, ">= 1");
        check(steps >= 1, "steps", steps, ">= 1");
        check(lr > 0 && lr < 1, "lr", lr, "within (0, 1)");
        check(minLr >= 0 && minLr <= lr, "min_lr", minLr, "within [0, lr]");
        check(warmupSteps >= 0, "warmup_steps", warmupSteps, ">= 0");
        check(weightDecay >= 0 && weightDecay < 1, "weight_decay", weightDecay, "within [0, 1)");
        check(beta1 >= 0 && beta1 < 1, "beta1", beta1, "within [0, 1)");
        check(beta2 >= 0 && beta2 < 1, "beta2", beta2, "within [0, 1)");
        check(eps > 0, "eps", eps, "> 0");
        check(gradClip >= 0, "grad_clip", gradClip, ">= 0");
        check(evalEvery >= 0, "eval_every", evalEvery, ">= 0");
        check(evalBatches >= 1, "eval_batches", evalBatches, ">= 1");
        check(evalFraction >= 0 && evalFraction < 0.5, "eval_fraction", evalFraction, "within [0, 0.5)");
        check(checkpointEvery >= 1, "checkpoint_every", checkpointEvery, ">= 1");
        check(keepCheckpoints >= 1, "keep_checkpoints", keepCheckpoints, ">= 1");
        check(logEvery >= 1, "log_every", logEvery, ">= 1");
        check(threads >= 0, "threads", threads, ">= 0");
        check(maxVocab > WordTokenizer.SPECIALS.size(), "max_vocab", maxVocab, "> " + WordTokenizer.SPECIALS.size());
        check(minCount >= 1, "min_count", minCount, ">= 1");
        check(replayFraction >= 0 && replayFraction < 1, "replay_fraction", replayFraction, "within [0, 1)");
        if (model != null && model.maxPositionEmbeddings() < seqLen)
            throw new IllegalArgumentException("seq_len " + seqLen + " exceeds model max_position_embeddings " + model.maxPositionEmbeddings());
    }

    /** Defaults sized for the organism: seq 128, batch 32, AdamW(0.9, 0.95), lr 3e-3 → 3e-4, clip 1. */
    public static TrainConfig defaults() {
        return new TrainConfig(null, 128, 32, 1, 1000, 3e-3, 3e-4, 50, 0.1, 0.9, 0.95, 1e-8, 1.0, 100, 4, 0.05,
                250, 2, 10, 1, 0, 2000, 2, 0.0, false);
    }

    public TrainConfig withModel(ModelConfig m) { return with("model", m); }
    public TrainConfig withSteps(int s) { return with("steps", s); }
    public TrainConfig withThreads(int t) { return with("threads", t); }

    /** A copy with one field changed (by its JSON key). */
    public TrainConfig with(String key, Object value) {
        ObjectNode n = toJson();
        if (key.equals("model")) {
            if (value == null) n.remove("model"); else n.set("model", ((ModelConfig) value).toJson(Json.MAPPER));
        } else {
            n.set(key, Json.MAPPER.valueToTree(value));
        }
        return fromJson(n, "config");
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        if (model != null) n.set("model", model.toJson(Json.MAPPER));
        n.put("seq_len", seqLen).put("batch_size", batchSize).put("grad_accum", gradAccum).put("steps", steps)
                .put("lr", lr).put("min_lr", minLr).put("warmup_steps", warmupSteps).put("weight_decay", weightDecay)
                .put("beta1", beta1).put("beta2", beta2).put("eps", eps).put("grad_clip", gradClip)
                .put("eval_every", evalEvery).put("eval_batches", evalBatches).put("eval_fraction", evalFraction)
                .put("checkpoint_every", checkpointEvery).put("keep_checkpoints", keepCheckpoints)
                .put("log_every", logEvery).put("seed", seed).put("threads", threads).put("max_vocab", maxVocab)
                .put("min_count", minCount).put("replay_fraction", replayFraction);
        if (wholeDocuments) n.put("whole_documents", true);
        return n;
    }

    /** SHA-256 of the canonical JSON, written beside every checkpoint. */
    public String hash() {
        return Hashes.shortHex(Hashes.sha256(toJson().toString()));
    }

    public static TrainConfig read(Path file) {
        try {
            return fromJson(Json.MAPPER.readTree(dev.phronesis.core.TextFiles.read(file)), file.toString());
        } catch (IOException e) {
            throw new UserError(file + ": cannot read training config: " + Json.oneLine(e));
        }
    }

    /** Fields absent from {@code n} take {@link #defaults()}. */
    public static TrainConfig fromJson(JsonNode n, String where) {
        if (n == null || !n.isObject()) throw new UserError(where + ": training config must be a JSON object");
        n.fieldNames().forEachRemaining(k -> {
            if (!KEYS.contains(k)) throw new UserError(where + ": unknown training config field '" + k + "'");
        });
        TrainConfig d = defaults();
        ModelConfig model = null;
        if (n.hasNonNull("model")) {
            if (!n.get("model").isObject()) throw new UserError(where + ": field 'model' must be an object (a Hugging Face LlamaConfig)");
            ObjectNode m = ((ObjectNode) n.get("model")).deepCopy();
            if (!m.has("vocab_size")) m.put("vocab_size", n.path("max_vocab").asInt(d.maxVocab));
            model = ModelConfig.fromJson(m, where + ": model");
        }
        try {
            return new TrainConfig(model, i(n, "seq_len", d.seqLen, where), i(n, "batch_size", d.batchSize, where),
                    i(n, "grad_accum", d.gradAccum, where), i(n, "steps", d.steps, where), f(n, "lr", d.lr, where),
                    f(n, "min_lr", n.has("lr") && !n.has("min_lr") ? f(n, "lr", d.lr, where) / 10 : d.minLr, where),
                    i(n, "warmup_steps", d.warmupSteps, where), f(n, "weight_decay", d.weightDecay, where),
                    f(n, "beta1", d.beta1, where), f(n, "beta2", d.beta2, where), f(n, "eps", d.eps, where),
                    f(n, "grad_clip", d.gradClip, where), i(n, "eval_every", d.evalEvery, where),
                    i(n, "eval_batches", d.evalBatches, where), f(n, "eval_fraction", d.evalFraction, where),
                    i(n, "checkpoint_every", d.checkpointEvery, where), i(n, "keep_checkpoints", d.keepCheckpoints, where),
                    i(n, "log_every", d.logEvery, where), n.has("seed") ? i(n, "seed", 0, where) : d.seed,
                    i(n, "threads", d.threads, where), i(n, "max_vocab", d.maxVocab, where),
                    i(n, "min_count", d.minCount, where), f(n, "replay_fraction", d.replayFraction, where),
                    b(n, "whole_documents", d.wholeDocuments, where));
        } catch (IllegalArgumentException e) {
            throw new UserError(where + ": " + e.getMessage());
        }
    }

    private static boolean b(JsonNode n, String k, boolean def, String where) {
        if (!n.has(k)) return def;
        if (!n.get(k).isBoolean()) throw new UserError(where + ": field '" + k + "' must be true or false, got " + n.get(k));
        return n.get(k).asBoolean();
    }

    private static int i(JsonNode n, String k, int def, String where) {
        if (!n.has(k)) return def;
        if (!n.get(k).canConvertToInt() || !n.get(k).isIntegralNumber()) throw new UserError(where + ": field '" + k + "' must be an integer, got " + n.get(k));
        return n.get(k).asInt();
    }

    private static double f(JsonNode n, String k, double def, String where) {
        if (!n.has(k)) return def;
        if (!n.get(k).isNumber()) throw new UserError(where + ": field '" + k + "' must be a number, got " + n.get(k));
        return n.get(k).asDouble();
    }

    private static void check(boolean ok, String field, Object value, String allowed) {
        if (!ok) throw new IllegalArgumentException(field + " must be " + allowed + ", got " + value);
    }
}
