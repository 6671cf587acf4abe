package dev.phronesis.train;

import java.util.Map;
import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.core.UserError;
import dev.phronesis.train.hf.HfModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
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
    public record Loaded(Path dir, HfModel weights, Tokenizer tokenizer) implements AutoCloseable {
        public LlamaModel model() { return weights.model(); }
        @Override public void close() { weights.close(); }
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

    /** Every {@code checkpoints/step-*} of a run directory that has its config, newest first (resume tries them in turn). */
    static List<Path> stepsNewestFirst(Path run) {
        Path dir = run.resolve("checkpoints");
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isRegularFile(p.resolve(CONFIG)))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        } catch (IOException e) {
            throw new UserError(dir + ": cannot list checkpoints: " + Json.oneLine(e));
        }
    }

    /** Weights and tokenizer of a checkpoint (for training; generation goes through {@link ModelRuntime}). */
    public static Loaded load(Path path) {
        Path dir = resolve(path);
        Tokenizer tok = Tokenizer.load(dir);
        Torch.load();
        HfModel m = HfModel.load(dir); // the one loader (organism and Hugging Face checkpoints alike)
        if (tok.vocabSize() > m.config().vocabSize()) {
            m.close();
            throw new UserError(dir + ": tokenizer has " + tok.vocabSize() + " tokens but vocab_size is " + m.config().vocabSize());
        }
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
