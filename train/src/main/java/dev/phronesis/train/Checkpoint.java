package dev.phronesis.train;

import java.util.Map;
import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.core.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A checkpoint directory: {@code config.json} (HF LlamaConfig), {@code model.safetensors} (HF tensor
 * names, F32) and the tokenizer ({@code phronesis-vocab.json} or {@code tokenizer.json}); a training
 * checkpoint adds {@code optimizer.safetensors} and {@code trainer_state.json}. A run directory holds
 * {@code checkpoints/step-NNNNNNN/} and, once finished, {@code final/}.
 */
public final class Checkpoint {
    public static final String CONFIG = "config.json", WEIGHTS = "model.safetensors";

    /** A loaded model with its tokenizer. Closing it frees the model's native memory. */
    public record Loaded(Path dir, LlamaModel model, Tokenizer tokenizer) implements AutoCloseable {
        @Override public void close() { model.close(); }
    }

    private Checkpoint() {}

    /** The checkpoint a path names: itself if it holds {@code config.json}, else a run's {@code final/}, else its latest step. */
    public static Path resolve(Path path) {
        if (Files.isRegularFile(path.resolve(CONFIG))) return path;
        if (Files.isRegularFile(path.resolve("final").resolve(CONFIG))) return path.resolve("final");
        return latestStep(path).orElseThrow(() -> new UserError(path + ": not a checkpoint (no " + CONFIG + ", final/ or checkpoints/step-*)"));
    }

    /** The newest complete {@code checkpoints/step-*} of a run directory. */
    static Optional<Path> latestStep(Path run) {
        Path dir = run.resolve("checkpoints");
        if (!Files.isDirectory(dir)) return Optional.empty();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isRegularFile(p.resolve(CONFIG)))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        } catch (IOException e) {
            throw new UserError(dir + ": cannot list checkpoints: " + Json.oneLine(e));
        }
    }

    public static Loaded load(Path path) {
        Path dir = resolve(path);
        ModelConfig c = ModelConfig.read(dir.resolve(CONFIG));
        Tokenizer tok = Tokenizer.load(dir);
        if (tok.vocabSize() > c.vocabSize())
            throw new UserError(dir + ": tokenizer has " + tok.vocabSize() + " tokens but vocab_size is " + c.vocabSize());
        Torch.load();
        LlamaModel m = LlamaModel.fromState(c, HfSafetensors.readFile(dir.resolve(WEIGHTS)), dir.resolve(WEIGHTS).toString());
        return new Loaded(dir, m, tok);
    }

    /** Writes config, weights and tokenizer into {@code dir} (created). */
    public static void save(Path dir, LlamaModel model, Tokenizer tok) throws IOException {
        Files.createDirectories(dir);
        model.config().write(dir.resolve(CONFIG));
        HfSafetensors.write(dir.resolve(WEIGHTS), model.state(), DType.F32, Map.of());
        tok.save(dir);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
