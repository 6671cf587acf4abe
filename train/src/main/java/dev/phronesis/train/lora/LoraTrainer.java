package dev.phronesis.train.lora;

import dev.phronesis.train.hf.DType;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Turn;
import dev.phronesis.train.AdamW;
import dev.phronesis.train.Torch;
import dev.phronesis.train.TrainStep;
import dev.phronesis.train.Trainer;
import dev.phronesis.llm.HfChatTemplate;
import dev.phronesis.train.hf.HfModel;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.train.hf.HfSftData;
import dev.phronesis.train.hf.HostTensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * LoRA SFT of a Hugging Face checkpoint on chats rendered with its own chat template, loss on
 * assistant spans only; resumable after kill -9.
 *
 * <p>Invariants. The run directory holds {@code lora_train_config.json} (with its hash; a rerun with
 * a different hash is refused), {@code loss.csv}, {@code checkpoints/step-N/} (PEFT adapter, AdamW
 * moments, {@code trainer_state.json}) written to a temp directory and renamed, so only complete
 * checkpoints exist, and when done {@code adapter/} (the PEFT adapter + trainer_state.json). Batches
 * are a pure function of (seed, step), so a resumed run draws the batches the uninterrupted one
 * would (dropout noise differs; with lora_dropout 0 the result is identical). One training run per
 * JVM at a time: DJL's gradient collector is process-global.
 */
public final class LoraTrainer {
    private static final ReentrantLock TRAINING = new ReentrantLock();
    public static final String CONFIG = "lora_train_config.json";
    public static final String ADAPTER = "adapter";
    /** Per-epoch permutations are re-derived from the seed; this mixes the epoch into it. */
    private static final long EPOCH_MIX = 0x9E3779B97F4A7C15L;

    /** {@code truncated}: rows cut at {@code maxLen}; {@code dropped}: rows with nothing trained on inside it (see {@link HfSftData}). */
    public record Result(Path adapter, int steps, double loss, long trainableParameters, long baseParameters, int rows,
                         int truncated, int dropped, int maxLen, long trainedTokens, long trainedTokensSeen, double seconds,
                         double tokensPerSecond, int resumedFrom) {}

    private LoraTrainer() {}

    public static Result train(Path baseDir, List<List<Turn>> chats, LoraTrainConfig cfg, Path runDir, Trainer.Listener listener) {
        TRAINING.lock();
        try {
            return run(baseDir, chats, cfg, runDir, listener);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            TRAINING.unlock();
        }
    }

    private static Result run(Path baseDir, List<List<Turn>> chats, LoraTrainConfig cfg, Path runDir,
                              Trainer.Listener listener) throws IOException {
        Files.createDirectories(runDir);
        Path cfgFile = runDir.resolve(CONFIG);
        if (Files.isRegularFile(cfgFile)) {
            JsonNode saved = HfSafetensors.JSON_MAPPER().readTree(cfgFile.toFile());
            if (!cfg.hash().equals(saved.path("config_hash").asText()))
                throw new UserError(cfgFile + ": resume refused: this run was started with another LoRA config (hash "
                        + saved.path("config_hash").asText() + ", now " + cfg.hash() + "); use a new --out");
        }
        Path done = runDir.resolve(ADAPTER).resolve("trainer_state.json");
        if (Files.isRegularFile(done)) {
            JsonNode st = HfSafetensors.JSON_MAPPER().readTree(done.toFile());
            if (st.path("step").asInt() >= cfg.steps()) return result(st, runDir.resolve(ADAPTER), -1);
        }
        Files.writeString(cfgFile, HfSafetensors.JSON_MAPPER().writerWithDefaultPrettyPrinter().writeValueAsString(cfg.toJson().put("config_hash", cfg.hash())
                .put("base", baseDir.toAbsolutePath().toString())) + "\n");
        Torch.threads(cfg.threads());
        Torch.noGrad();

        // 1. base model, template, tokenizer, rows
        HfChatTemplate template = HfChatTemplate.load(baseDir);
        HfSftData data;
        try (var tok = HfSftData.tokenizer(baseDir)) {
            data = HfSftData.build(template, tok, chats, cfg.maxLen(), baseDir);
        }
        if (data.rows.isEmpty())
            throw new UserError("SFT data yields no row with an assistant token inside " + data.maxLen + " tokens (min of --max-len and the model's max_position_embeddings)");
        try (HfModel model = HfModel.load(baseDir); Lora lora = Lora.attach(model, cfg.lora(), cfg.seed());
             AdamW opt = new AdamW(lora.parameters(), 0.9, 0.999, 1e-8, cfg.weightDecay())) {
            // 2. resume from the latest complete checkpoint
            int step = 0;
            long seen = 0;
            double elapsedBefore = 0;
            Optional<Path> latest = latestCheckpoint(runDir);
            if (latest.isPresent()) {
                Path ck = latest.get();
                JsonNode st = HfSafetensors.JSON_MAPPER().readTree(ck.resolve("trainer_state.json").toFile());
                try (HfSafetensors w = HfSafetensors.openFile(ck.resolve(Lora.WEIGHTS_FILE))) {
                    lora.load(w.readAll(), ck.toString());
                }
                opt.load(HfSafetensors.readFile(ck.resolve("optimizer.safetensors")), st.path("updates").asLong(), ck.toString());
                step = st.path("step").asInt();
                seen = st.path("trained_tokens_seen").asLong();
                elapsedBefore = st.path("elapsed_s").asDouble();
            }
            int resumedFrom = step;
            Path lossCsv = runDir.resolve("loss.csv");
            truncateCsv(lossCsv, step);
            long t0 = System.nanoTime(), seenAtStart = seen;
            double loss = Double.NaN;
            Map<Long, int[]> perms = new HashMap<>();
            // 3. the loop: batch, masked loss, backward into the adapters only, clip, AdamW, log, checkpoint
            lora.setTraining(true);
            while (step < cfg.steps()) {
                int[] rows = batch(step, cfg.batchSize(), data.rows.size(), cfg.seed(), perms);
                double lr = cfg.learningRate(step);
                long[] tokens = new long[1];
                loss = step(model, lora.parameters(), opt, data.rows, rows, lr, cfg.gradClip(), tokens);
                step++;
                seen += tokens[0];
                double tps = (seen - seenAtStart) / Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
                Files.writeString(lossCsv, (Files.exists(lossCsv) ? "" : "step,loss,lr,tokens_per_s\n") + step + "," + loss + "," + lr + "," + tps + "\n",
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                double elapsedNow = elapsedBefore + (System.nanoTime() - t0) / 1e9;
                double perStep = (System.nanoTime() - t0) / 1e9 / Math.max(1, step - resumedFrom);
                listener.onProgress(new TrainStep(step, cfg.steps(), loss, Double.NaN, lr, Double.NaN, tps, elapsedNow, perStep * (cfg.steps() - step)));
                if (step % cfg.checkpointEvery() == 0 || step == cfg.steps()) {
                    double elapsed = elapsedBefore + (System.nanoTime() - t0) / 1e9;
                    Path ckDir = runDir.resolve("checkpoints");
                    Path tmp = ckDir.resolve(".tmp-step");
                    deleteTree(tmp);
                    lora.savePeft(tmp, baseDir.toAbsolutePath().toString());
                    HfSafetensors.write(tmp.resolve("optimizer.safetensors"), opt.state(), DType.F32, Map.of());
                    writeState(tmp, state(step, opt.updates(), seen, elapsed, loss, lora, model, data, resumedFrom, tps));
                    Path target = ckDir.resolve(String.format("step-%07d", step));
                    deleteTree(target);
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                    try (Stream<Path> s = Files.list(ckDir)) { // keep the newest two
                        List<Path> steps = s.filter(p -> p.getFileName().toString().matches("step-\\d+")).sorted().toList();
                        for (int i = 0; i < steps.size() - 2; i++) deleteTree(steps.get(i));
                    }
                }
            }
            lora.setTraining(false);
            // 4. the final adapter, atomically
            double elapsed = elapsedBefore + (System.nanoTime() - t0) / 1e9;
            double tps = (seen - seenAtStart) / Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
            Path tmp = runDir.resolve(".tmp-adapter");
            deleteTree(tmp);
            lora.savePeft(tmp, baseDir.toAbsolutePath().toString());
            ObjectNode st = state(step, opt.updates(), seen, elapsed, loss, lora, model, data, resumedFrom, tps);
            writeState(tmp, st);
            Path out = runDir.resolve(ADAPTER);
            deleteTree(out);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            return result(st, out, resumedFrom);
        }
    }

    /**
     * One optimizer step on {@code rows}: mean masked NLL, backward (only {@code trainable} get
     * gradients), clip, AdamW. Returns the loss; {@code tokensOut[0]} gets the trained-token count.
     */
    public static double step(HfModel model, Map<String, Parameter> trainable, AdamW opt, List<HfSftData.Row> data, int[] rows,
                              double lr, double clip, long[] tokensOut) {
        double loss;
        try (NDScope scope = new NDScope(); NDManager sm = NDManager.newBaseManager()) {
            NDArray l;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray[] sumAndCount = maskedLoss(model, sm, data, rows);
                long n = Math.max(1, (long) sumAndCount[1].toType(DataType.FLOAT64, false).getDouble());
                tokensOut[0] = n;
                l = Torch.div(sumAndCount[0], n);
                gc.backward(l);
                loss = l.toType(DataType.FLOAT64, false).getDouble();
            }
            Torch.noGrad();
            opt.clipGradients(clip);
            opt.step(lr);
        }
        return loss;
    }

    /** [sum over trained targets of -log p, number of trained targets] for a right-padded batch. */
    static NDArray[] maskedLoss(HfModel model, NDManager sm, List<HfSftData.Row> data, int[] rows) {
        int b = rows.length, l = 0;
        for (int r : rows) l = Math.max(l, data.get(r).ids().length - 1);
        long[] in = new long[b * l], tg = new long[b * l];
        float[] mk = new float[b * l];
        for (int r = 0; r < b; r++) {
            HfSftData.Row row = data.get(rows[r]);
            for (int i = 0; i + 1 < row.ids().length; i++) {
                in[r * l + i] = row.ids()[i];
                tg[r * l + i] = row.ids()[i + 1];
                mk[r * l + i] = row.mask()[i + 1] ? 1f : 0f;
            }
        }
        NDArray x = sm.create(in, new Shape(b, l)); // (B, L), right-padded with id 0 (padding never attended by real positions: causal)
        NDArray targets = sm.create(tg, new Shape(b, l, 1)); // (B, L, 1)
        NDArray mask = sm.create(mk, new Shape(b, l)); // (B, L)
        NDArray logits = model.forward(x); // (B, L, V)
        NDArray nll = logits.logSoftmax(-1).gather(targets, -1).reshape(b, l).neg(); // (B, L)
        return new NDArray[]{nll.mul(mask).sum(), mask.sum()};
    }

    /** Rows of batch {@code step}: consecutive slices of per-epoch seeded permutations. */
    static int[] batch(int step, int batchSize, int nRows, long seed, Map<Long, int[]> perms) {
        int[] out = new int[batchSize];
        for (int j = 0; j < batchSize; j++) {
            long k = (long) step * batchSize + j;
            long epoch = k / nRows;
            int[] p = perms.computeIfAbsent(epoch, e -> {
                int[] a = new int[nRows];
                for (int i = 0; i < nRows; i++) a[i] = i;
                SplittableRandom r = new SplittableRandom(seed ^ (e * EPOCH_MIX));
                for (int i = nRows - 1; i > 0; i--) { int x = r.nextInt(i + 1); int t = a[i]; a[i] = a[x]; a[x] = t; }
                return a;
            });
            out[j] = p[(int) (k % nRows)];
        }
        return out;
    }

    private static ObjectNode state(int step, long updates, long seen, double elapsed, double loss, Lora lora, HfModel model,
                                    HfSftData data, int resumedFrom, double tps) {
        ObjectNode st = HfSafetensors.JSON_MAPPER().createObjectNode();
        st.put("step", step).put("updates", updates).put("trained_tokens_seen", seen).put("elapsed_s", elapsed)
                .put("trainable_parameters", lora.trainableParameterCount()).put("base_parameters", model.config().parameterCount())
                .put("rows", data.rows.size()).put("truncated", data.truncated).put("dropped", data.dropped).put("max_len", data.maxLen)
                .put("trained_tokens", data.trainedTokens()).put("resumed_from", resumedFrom).put("tokens_per_s", tps);
        if (!Double.isNaN(loss)) st.put("train_loss", loss);
        return st;
    }

    private static void writeState(Path dir, ObjectNode st) throws IOException {
        Files.writeString(dir.resolve("trainer_state.json"), HfSafetensors.JSON_MAPPER().writerWithDefaultPrettyPrinter().writeValueAsString(st) + "\n");
    }

    private static Result result(JsonNode st, Path dir, int resumedFrom) {
        return new Result(dir, st.path("step").asInt(), st.path("train_loss").asDouble(Double.NaN), st.path("trainable_parameters").asLong(),
                st.path("base_parameters").asLong(), st.path("rows").asInt(), st.path("truncated").asInt(),
                st.path("dropped").asInt(), st.path("max_len").asInt(), st.path("trained_tokens").asLong(), st.path("trained_tokens_seen").asLong(), st.path("elapsed_s").asDouble(), st.path("tokens_per_s").asDouble(), resumedFrom);
    }

    static Optional<Path> latestCheckpoint(Path runDir) throws IOException {
        Path ck = runDir.resolve("checkpoints");
        if (!Files.isDirectory(ck)) return Optional.empty();
        try (Stream<Path> s = Files.list(ck)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isRegularFile(p.resolve("trainer_state.json")))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        }
    }

    /** Drops CSV rows after {@code step} (they belong to work a kill threw away). */
    private static void truncateCsv(Path csv, int step) throws IOException {
        if (!Files.exists(csv)) return;
        List<String> keep = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(csv)) {
            if (line.startsWith("step,")) { keep.add(line); continue; }
            int comma = line.indexOf(',');
            try {
                if (comma > 0 && Integer.parseInt(line.substring(0, comma)) <= step) keep.add(line);
            } catch (NumberFormatException torn) { /* a torn last line */ }
        }
        Files.write(csv, keep);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }

    /** Loads adapter tensors saved by {@link Lora#savePeft} (exposed for tools that compare adapters). */
    public static Map<String, HostTensor> readAdapter(Path adapterDir) {
        try (HfSafetensors w = HfSafetensors.openFile(adapterDir.resolve(Lora.WEIGHTS_FILE))) {
            return new LinkedHashMap<>(w.readAll());
        }
    }
}
