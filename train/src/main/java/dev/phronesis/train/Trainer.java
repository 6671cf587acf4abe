package dev.phronesis.train;

import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.train.hf.HostTensor;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;
import dev.phronesis.llm.ChatMessage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Pre-training and SFT of the student, resumable after kill -9.
 *
 * <p>Invariants. A run directory holds {@code train_config.json}, {@code loss.csv} / {@code loss.svg}
 * and {@code checkpoints/step-N/} (model, tokenizer, optimizer moments, {@code trainer_state.json}),
 * each checkpoint written to a temporary directory and renamed into place, so a kill at any instant
 * leaves only complete checkpoints. The data order is a pure function of (seed, step) and the model has
 * no dropout, so a run resumed from step N draws the same batches and retraces the same loss curve as
 * one never stopped; CSV rows after the resumed step are dropped and rewritten. When the run is done
 * {@code final/} exists and a rerun returns at once. DJL allows one gradient collector per process, so
 * training runs one at a time per JVM ({@link #TRAINING}); callers on other threads wait.
 */
public final class Trainer {
    /** DJL's PyTorch gradient collector is process-global. */
    private static final ReentrantLock TRAINING = new ReentrantLock();

    @FunctionalInterface
    public interface Listener {
        void onProgress(TrainStep p);

        Listener NONE = p -> {};
    }

    /**
     * @param trainedTokensSeen tokens the loss was computed on, summed over all steps
     * @param datasetTokens     trained (masked-in) tokens in one pass over the training rows
     * @param resumedFrom       the step the run resumed from (0 = fresh), or -1 when it was already finished
     */
    public record Result(Path checkpoint, int steps, double trainLoss, double evalLoss, long trainedTokensSeen,
                         long datasetTokens, int rows, int truncatedSamples, double seconds, double tokensPerSecond,
                         int resumedFrom) {}

    private Trainer() {}

    /** Pre-trains a fresh model (config.model()) on plain-text documents, building the vocabulary from them. */
    public static Result pretrain(TrainConfig cfg, List<String> docs, Path outDir, Listener listener) {
        return pretrain(cfg, docs, List.of(), outDir, listener);
    }

    /**
     * As {@link #pretrain(TrainConfig, List, Path, Listener)}, with the vocabulary built from the documents
     * plus {@code vocabularyText} (e.g. the rendered SFT data of every arm, so that no arm's words are
     * spelled letter by letter); those texts are not trained on.
     */
    public static Result pretrain(TrainConfig cfg, List<String> docs, List<String> vocabularyText, Path outDir, Listener listener) {
        if (cfg.model() == null) throw new UserError("training config: pre-training needs a 'model' section");
        if (docs.isEmpty()) throw new UserError("pre-training corpus is empty");
        Split<String> split = split(docs, cfg.evalFraction());
        List<String> vocabSource = new ArrayList<>(docs);
        vocabSource.addAll(vocabularyText);
        return run(cfg, outDir, listener, () -> {
            WordTokenizer tok = WordTokenizer.build(vocabSource, cfg.maxVocab(), cfg.minCount());
            return new Start(LlamaModel.create(cfg.model().withVocabSize(tok.vocabSize()), cfg.seed()), tok);
        }, tok -> TrainData.pretrain(split.train, tok, cfg.seqLen(), cfg.wholeDocuments()), tok -> TrainData.pretrain(split.eval, tok, cfg.seqLen(), cfg.wholeDocuments()));
    }

    /**
     * Continued pre-training ("mid-training"): trains the base checkpoint further on plain-text
     * documents, with its own architecture and vocabulary (words it lacks are spelled by the
     * tokenizer's fallback), loss on every token; with {@code replay_fraction > 0} that share of rows
     * is plain text from {@code replayDocs} (the original corpus), as in SFT.
     */
    public static Result continuePretrain(TrainConfig cfg, List<String> docs, List<String> replayDocs, Path base, Path outDir, Listener listener) {
        if (cfg.model() != null) throw new UserError("training config: continued pre-training takes its architecture from --base; remove 'model'");
        if (docs.isEmpty()) throw new UserError("mid-training documents are empty");
        if (cfg.replayFraction() > 0 && (replayDocs == null || replayDocs.isEmpty())) throw new UserError("replay_fraction > 0 needs replay documents (--replay DOCS)");
        Split<String> split = split(docs, cfg.evalFraction());
        return run(cfg, outDir, listener, () -> {
            Checkpoint.Loaded b = Checkpoint.load(base);
            return new Start(b.model(), b.tokenizer());
        }, tok -> {
            TrainData d = TrainData.pretrain(split.train, tok, cfg.seqLen());
            if (cfg.replayFraction() > 0) {
                int extra = (int) Math.round(d.rows() * cfg.replayFraction() / (1 - cfg.replayFraction()));
                d = d.mixedWith(TrainData.pretrain(replayDocs, tok, cfg.seqLen()), extra, cfg.seed());
            }
            return d;
        }, tok -> TrainData.pretrain(split.eval, tok, cfg.seqLen()));
    }

    /** SFT without replay. */
    public static Result sft(TrainConfig cfg, List<List<ChatMessage>> chats, Path base, Path outDir, Listener listener) {
        return sft(cfg, chats, List.of(), base, outDir, listener);
    }

    /**
     * Fine-tunes the base checkpoint on chats with the loss on assistant tokens only; with
     * {@code replay_fraction > 0}, that share of rows is plain text from {@code replayDocs}.
     */
    public static Result sft(TrainConfig cfg, List<List<ChatMessage>> chats, List<String> replayDocs, Path base,
                             Path outDir, Listener listener) {
        if (cfg.model() != null) throw new UserError("training config: SFT takes its architecture from the base checkpoint; remove 'model'");
        if (chats.isEmpty()) throw new UserError("SFT data is empty");
        Split<List<ChatMessage>> split = split(chats, cfg.evalFraction());
        return run(cfg, outDir, listener, () -> {
            Checkpoint.Loaded b = Checkpoint.load(base);
            return new Start(b.model(), b.tokenizer());
        }, tok -> {
            ChatTemplate t = new ChatTemplate(tok);
            TrainData d = TrainData.sft(split.train, t, cfg.seqLen());
            if (cfg.replayFraction() > 0 && replayDocs != null && !replayDocs.isEmpty()) {
                int extra = (int) Math.round(d.rows() * cfg.replayFraction() / (1 - cfg.replayFraction()));
                d = d.mixedWith(TrainData.pretrain(replayDocs, tok, cfg.seqLen(), cfg.wholeDocuments()), extra, cfg.seed());
            }
            return d;
        }, tok -> TrainData.sft(split.eval, new ChatTemplate(tok), cfg.seqLen()));
    }

    private record Split<T>(List<T> train, List<T> eval) {}

    /** Every k-th item (k = 1 / fraction) is held out; at least one item is always trained on. */
    private static <T> Split<T> split(List<T> items, double fraction) {
        if (fraction <= 0 || items.size() < 2) return new Split<>(items, List.of());
        int k = Math.max(2, (int) Math.round(1 / fraction));
        List<T> train = new ArrayList<>(), eval = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) (i % k == k - 1 ? eval : train).add(items.get(i));
        return new Split<>(train, eval);
    }

    private record Start(LlamaModel model, Tokenizer tokenizer) {}

    /** The checkpoint is fine but belongs to another architecture: never fall back past it. */
    private static final class ResumeRefused extends UserError {
        @java.io.Serial private static final long serialVersionUID = 1L;
        ResumeRefused(String message) { super(message); }
    }

    private interface StartFactory { Start get(); }

    private interface DataFactory { TrainData get(Tokenizer tok); }

    private static Result run(TrainConfig cfg, Path outDir, Listener listener, StartFactory fresh, DataFactory trainData,
                              DataFactory evalData) {
        TRAINING.lock();
        try {
            return runLocked(cfg, outDir, listener, fresh, trainData, evalData);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            TRAINING.unlock();
        }
    }

    private static Result runLocked(TrainConfig cfg, Path outDir, Listener listener, StartFactory fresh,
                                    DataFactory trainData, DataFactory evalData) throws IOException {
        Files.createDirectories(outDir);
        Path finalDir = outDir.resolve("final");
        if (Files.isRegularFile(finalDir.resolve("trainer_state.json"))) {
            JsonNode st = Json.MAPPER.readTree(finalDir.resolve("trainer_state.json").toFile());
            if (st.path("step").asInt() >= cfg.steps()) return resultFrom(st, finalDir, -1);
        }
        if (cfg.model() != null) ModelMemory.requireFits(cfg.model(), ModelMemory.Use.TRAINING, "training config: model");
        // 1. model, tokenizer and optimizer: fresh, or from the newest checkpoint that reads back whole
        Optional<Path> latest = Optional.empty();
        Start start = null;
        JsonNode state = null;
        Map<String, HostTensor> moments = null;
        for (Path ck : Checkpoint.stepsNewestFirst(outDir)) {
            try {
                JsonNode st = Json.MAPPER.readTree(dev.phronesis.core.TextFiles.read(ck.resolve("trainer_state.json")));
                if (!st.path("step").canConvertToInt()) throw new UserError(ck.resolve("trainer_state.json") + ": field 'step' missing");
                ModelConfig saved = ModelConfig.read(ck.resolve(Checkpoint.CONFIG));
                ModelMemory.requireFits(saved, ModelMemory.Use.TRAINING, ck.resolve(Checkpoint.CONFIG).toString());
                if (cfg.model() != null && !saved.equals(cfg.model().withVocabSize(saved.vocabSize())))
                    throw new ResumeRefused(outDir + ": resume refused: the config's model differs from the checkpoint's " + ck.getFileName());
                Tokenizer tok = Tokenizer.load(ck);
                Map<String, HostTensor> opt = HfSafetensors.readFile(ck.resolve("optimizer.safetensors"));
                Map<String, HostTensor> weights = HfSafetensors.readFile(ck.resolve(Checkpoint.WEIGHTS));
                for (var w : weights.entrySet())
                    for (String moment : List.of("exp_avg.", "exp_avg_sq.")) {
                        HostTensor m = opt.get(moment + w.getKey());
                        if (m == null || m.data().length != w.getValue().data().length)
                            throw new UserError(ck.resolve("optimizer.safetensors") + ": " + moment + w.getKey() + " is missing or has the wrong size");
                    }
                start = new Start(LlamaModel.fromState(saved, weights, ck.toString()), tok);
                state = st;
                moments = opt;
                latest = Optional.of(ck);
                break;
            } catch (ResumeRefused e) {
                throw e;
            } catch (UserError | IOException e) {
                // a checkpoint damaged after it was written (disk, hand edits): fall back to the one before it, as a database falls back to its last good page
                System.err.println("phronesis: " + ck + " is damaged (" + Json.oneLine(e) + "); trying the checkpoint before it");
            }
        }
        if (start == null) {
            if (!Checkpoint.stepsNewestFirst(outDir).isEmpty())
                System.err.println("phronesis: no checkpoint of " + outDir + " reads back; starting from step 0");
            start = fresh.get();
        }
        // libtorch splits reductions by thread count: a resumed run keeps the count it started with, so it retraces the same bytes
        int threads = state != null && state.path("threads").canConvertToInt() && state.get("threads").asInt() > 0
                ? state.get("threads").asInt() : cfg.threads() > 0 ? cfg.threads() : Runtime.getRuntime().availableProcessors();
        Torch.threads(threads);
        Torch.noGrad();
        // ATen's kernel set is fixed when libtorch loads: a resume on another set trains on, but not along the same bytes
        Kernels kernels = Kernels.current();
        if (state != null && state.hasNonNull("kernels") && !state.path("kernels").asText().equals(kernels.set()))
            System.err.println("phronesis: " + latest.get() + " was trained with libtorch's " + state.path("kernels").asText() + " kernels and this process runs "
                    + kernels.set() + "; the resumed run will not retrace the bytes of an uninterrupted one (ATEN_CPU_CAPABILITY, docs/train.md)");
        LlamaModel model = start.model();
        Tokenizer tok = start.tokenizer();
        try (model; AdamW opt = new AdamW(model.namedParameters(), cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay())) {
            int step = 0;
            double elapsedBefore = 0;
            long seen = 0;
            if (state != null) {
                step = state.path("step").asInt();
                elapsedBefore = state.path("elapsed_s").asDouble();
                seen = state.path("trained_tokens_seen").asLong();
                opt.load(moments, state.path("updates").asLong(), latest.get().toString());
            }
            TrainData train = trainData.get(tok);
            TrainData eval = evalData.get(tok);
            if (train.rows() == 0) throw new UserError("training data yields no rows of seq_len " + cfg.seqLen());
            Files.writeString(outDir.resolve("train_config.json"), Json.MAPPER.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(cfg.toJson().put("config_hash", cfg.hash())) + "\n");
            LossLog log = LossLog.open(outDir, step);

            // 2. the loop: forward + masked loss per micro-batch, backward, clip, AdamW, log, evaluate, checkpoint
            int resumedFrom = step;
            double lastLoss = Double.NaN, lastEval = state == null ? Double.NaN : state.path("eval_loss").asDouble(Double.NaN);
            long t0 = System.nanoTime();
            long seenAtStart = seen;
            while (step < cfg.steps()) {
                double lr = learningRate(cfg, step);
                StepStats st = trainStep(model, opt, train, cfg, step, lr);
                double loss = st.loss(), norm = st.gradNorm();
                long tokens = st.tokens();
                step++;
                seen += tokens;
                lastLoss = loss;
                boolean evalNow = step == cfg.steps() || (cfg.evalEvery() > 0 && step % cfg.evalEvery() == 0);
                if (evalNow && eval.rows() > 0) lastEval = evaluate(model, eval, cfg);
                double elapsed = elapsedBefore + (System.nanoTime() - t0) / 1e9;
                double tps = (seen - seenAtStart) / Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
                if (step % cfg.logEvery() == 0 || evalNow || step == cfg.steps()) {
                    double perStep = (System.nanoTime() - t0) / 1e9 / Math.max(1, step - resumedFrom);
                    TrainStep p = new TrainStep(step, cfg.steps(), loss, evalNow ? lastEval : Double.NaN, lr, norm, tps,
                            elapsed, perStep * (cfg.steps() - step));
                    log.append(p, seen);
                    listener.onProgress(p);
                }
                if (step % cfg.checkpointEvery() == 0 || step == cfg.steps()) {
                    writeCheckpoint(outDir, model, tok, opt, cfg, step, seen, elapsed, loss, lastEval);
                }
            }
            log.close();
            LossPlot.write(outDir.resolve("loss.csv"), outDir.resolve("loss.svg"));
            double elapsed = elapsedBefore + (System.nanoTime() - t0) / 1e9;
            ObjectNode st = stateJson(cfg, step, opt.updates(), seen, elapsed, lastLoss, lastEval);
            st.put("dataset_tokens", train.trainedTokens).put("rows", train.rows()).put("truncated_samples", train.truncated)
                    .put("resumed_from", resumedFrom).put("tokens_per_s", (seen - seenAtStart) / Math.max(1e-9, (System.nanoTime() - t0) / 1e9));
            Path tmp = outDir.resolve(".tmp-final");
            Checkpoint.deleteTree(tmp);
            Checkpoint.save(tmp, model, tok);
            Files.writeString(tmp.resolve("trainer_state.json"), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(st));
            Checkpoint.deleteTree(finalDir);
            Files.move(tmp, finalDir, StandardCopyOption.ATOMIC_MOVE);
            return resultFrom(st, finalDir, resumedFrom);
        }
    }

    private static Result resultFrom(JsonNode st, Path dir, int resumedFrom) {
        return new Result(dir, st.path("step").asInt(), st.path("train_loss").asDouble(Double.NaN),
                st.path("eval_loss").asDouble(Double.NaN), st.path("trained_tokens_seen").asLong(),
                st.path("dataset_tokens").asLong(), st.path("rows").asInt(), st.path("truncated_samples").asInt(),
                st.path("elapsed_s").asDouble(), st.path("tokens_per_s").asDouble(), resumedFrom);
    }

    private record StepStats(double loss, double gradNorm, long tokens) {}

    /** One optimizer step: forward + masked loss per micro-batch, backward, clip, AdamW. */
    private static StepStats trainStep(LlamaModel model, AdamW opt, TrainData train, TrainConfig cfg, int step, double lr) {
        long tokens = 0;
        try (NDScope scope = new NDScope(); NDManager sm = NDManager.newBaseManager()) {
            int[][] micro = new int[cfg.gradAccum()][];
            for (int a = 0; a < cfg.gradAccum(); a++) {
                micro[a] = train.batch((long) step * cfg.gradAccum() + a, cfg.batchSize(), cfg.seed());
                for (int r : micro[a]) for (int i = 1; i < train.mask[r].length; i++) if (train.mask[r][i]) tokens++;
            }
            double lossSum = 0;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                for (int[] rows : micro) {
                    NDArray l = Torch.div(maskedLossSum(model, sm, train, rows), Math.max(1, tokens)); // mean over the step's tokens
                    gc.backward(l);
                    lossSum += l.toType(DataType.FLOAT64, false).getDouble();
                }
            }
            Torch.noGrad();
            double norm = opt.clipGradients(cfg.gradClip());
            opt.step(lr);
            return new StepStats(lossSum, norm, tokens);
        }
    }

    /**
     * Training throughput in tokens/s of {@code model} on random token rows of {@code seq_len}, exactly
     * the loop's step (loss, backward, clip, AdamW), after {@code warmup} untimed steps. For benchmarks.
     */
    public static double measureThroughput(TrainConfig cfg, int warmup, int steps) {
        TRAINING.lock();
        try (LlamaModel model = LlamaModel.create(cfg.model(), cfg.seed());
             AdamW opt = new AdamW(model.namedParameters(), cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay())) {
            Torch.threads(cfg.threads());
            Torch.noGrad();
            java.util.Random r = new java.util.Random(cfg.seed());
            int rows = cfg.batchSize() * cfg.gradAccum() * 4;
            List<int[]> ids = new ArrayList<>();
            List<boolean[]> mask = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                int[] row = new int[cfg.seqLen() + 1];
                for (int j = 0; j < row.length; j++) row[j] = r.nextInt(cfg.model().vocabSize());
                boolean[] m = new boolean[row.length];
                java.util.Arrays.fill(m, true);
                ids.add(row);
                mask.add(m);
            }
            TrainData data = TrainData.of(ids, mask);
            for (int s = 0; s < warmup; s++) trainStep(model, opt, data, cfg, s, cfg.lr());
            long t0 = System.nanoTime(), tokens = 0;
            for (int s = 0; s < steps; s++) tokens += trainStep(model, opt, data, cfg, warmup + s, cfg.lr()).tokens();
            return tokens / ((System.nanoTime() - t0) / 1e9);
        } finally {
            TRAINING.unlock();
        }
    }

    /** Linear warm-up to lr over warmup_steps, then cosine decay to min_lr at the last step. */
    static double learningRate(TrainConfig c, int step) {
        if (step < c.warmupSteps()) return c.lr() * (step + 1) / c.warmupSteps();
        int decay = Math.max(1, c.steps() - c.warmupSteps());
        double progress = Math.min(1.0, (double) (step - c.warmupSteps()) / decay);
        return c.minLr() + 0.5 * (c.lr() - c.minLr()) * (1 + Math.cos(Math.PI * progress));
    }

    /** Sum over the rows of -log p(target) where the target is trained: a scalar. */
    static NDArray maskedLossSum(LlamaModel model, NDManager sm, TrainData data, int[] rows) {
        int b = rows.length, l = data.ids[rows[0]].length - 1;
        long[] in = new long[b * l], tg = new long[b * l];
        float[] mk = new float[b * l];
        for (int r = 0; r < b; r++) {
            int[] ids = data.ids[rows[r]];
            boolean[] m = data.mask[rows[r]];
            for (int i = 0; i < l; i++) {
                in[r * l + i] = ids[i];
                tg[r * l + i] = ids[i + 1];
                mk[r * l + i] = m[i + 1] ? 1f : 0f;
            }
        }
        NDArray x = sm.create(in, new Shape(b, l)); // (B, L)
        NDArray targets = sm.create(tg, new Shape(b, l, 1)); // (B, L, 1)
        NDArray mask = sm.create(mk, new Shape(b, l)).toType(model.dtype(), false); // (B, L)
        NDArray logits = model.forward(x); // (B, L, V)
        NDArray nll = logits.logSoftmax(-1).gather(targets, -1).reshape(b, l).neg(); // (B, L)
        return nll.mul(mask).sum();
    }

    /** Mean held-out loss per trained token over the first eval_batches batches of held-out rows. */
    static double evaluate(LlamaModel model, TrainData eval, TrainConfig cfg) {
        Torch.noGrad();
        double sum = 0;
        long n = 0;
        int limit = Math.min(eval.rows(), cfg.evalBatches() * cfg.batchSize());
        for (int s = 0; s < limit; s += cfg.batchSize()) {
            int[] rows = new int[Math.min(cfg.batchSize(), limit - s)];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = s + i;
                for (int j = 1; j < eval.mask[s + i].length; j++) if (eval.mask[s + i][j]) n++;
            }
            try (NDScope scope = new NDScope(); NDManager sm = NDManager.newBaseManager()) {
                sum += maskedLossSum(model, sm, eval, rows).toType(DataType.FLOAT64, false).getDouble();
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private static ObjectNode stateJson(TrainConfig cfg, int step, long updates, long seen, double elapsed, double loss, double evalLoss) {
        ObjectNode st = Json.MAPPER.createObjectNode();
        st.put("step", step).put("updates", updates).put("trained_tokens_seen", seen).put("elapsed_s", elapsed)
                .put("config_hash", cfg.hash()).put("threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
        Kernels k = Kernels.current();
        st.put("kernels", k.set()).put("kernels_pinned", k.pinned()).put("mkl_cbwr", k.mkl()).put("cpu", k.cpu());
        if (!Double.isNaN(loss)) st.put("train_loss", loss);
        if (!Double.isNaN(evalLoss)) st.put("eval_loss", evalLoss);
        return st;
    }

    private static void writeCheckpoint(Path outDir, LlamaModel model, Tokenizer tok, AdamW opt, TrainConfig cfg, int step,
                                        long seen, double elapsed, double loss, double evalLoss) throws IOException {
        Path dir = outDir.resolve("checkpoints");
        Path tmp = dir.resolve(".tmp-step");
        Checkpoint.deleteTree(tmp);
        Checkpoint.save(tmp, model, tok);
        HfSafetensors.write(tmp.resolve("optimizer.safetensors"), opt.state(), DType.F32, Map.of());
        Files.writeString(tmp.resolve("trainer_state.json"), Json.MAPPER.writerWithDefaultPrettyPrinter()
                .writeValueAsString(stateJson(cfg, step, opt.updates(), seen, elapsed, loss, evalLoss)));
        Path target = dir.resolve(String.format("step-%07d", step));
        Checkpoint.deleteTree(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> steps = s.filter(p -> p.getFileName().toString().matches("step-\\d+")).sorted().toList();
            for (int i = 0; i < steps.size() - cfg.keepCheckpoints(); i++) Checkpoint.deleteTree(steps.get(i));
        }
    }

    /** The weights' names and element counts, for reports. */
    public static Map<String, Long> parameterCounts(LlamaModel m) {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> out.put(k, p.getArray().getShape().size()));
        return out;
    }
}
