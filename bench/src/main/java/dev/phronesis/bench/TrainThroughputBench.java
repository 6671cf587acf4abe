package dev.phronesis.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.phronesis.train.ModelConfig;
import dev.phronesis.train.TrainConfig;
import dev.phronesis.train.Torch;
import dev.phronesis.train.Trainer;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Training tokens/s of the organism-sized student (DJL) against the same model, batch, sequence
 * length and thread count in PyTorch eager, and model FLOPs utilisation against the machine's
 * matmul peak measured through the same engine. Usage: {@code bench/run TrainThroughputBench [threads] [steps]}.
 */
public final class TrainThroughputBench {
    /** Organism shape: batch 32 rows of 128 tokens, 2,000-word vocabulary. */
    private static final int BATCH = 32, SEQ = 128, VOCAB = 2000, WARMUP_STEPS = 3;
    /** Square matmul side for the peak: large enough to be compute-bound on a CPU core. */
    private static final int PEAK_N = 1024, PEAK_REPS = 20;

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        ModelConfig model = ModelConfig.organism(VOCAB);
        TrainConfig cfg = TrainConfig.defaults().withModel(model).with("batch_size", BATCH).with("seq_len", SEQ).withThreads(threads);
        Torch.threads(threads);
        System.out.printf(Locale.ROOT, "model: %,d parameters (hidden %d, %d layers, vocab %d), batch %d x %d tokens, %d thread(s), %d timed steps%n",
                model.parameterCount(), model.hiddenSize(), model.numHiddenLayers(), VOCAB, BATCH, SEQ, threads, steps);

        double peak = matmulPeakFlops();
        double djl = Trainer.measureThroughput(cfg, WARMUP_STEPS, steps);
        double flopsPerToken = 6.0 * model.parameterCount() + 12.0 * model.numHiddenLayers() * model.hiddenSize() * SEQ;
        System.out.printf(Locale.ROOT, "DJL      : %8.0f tokens/s  (%.2f steps/s)%n", djl, djl / (BATCH * SEQ));
        System.out.printf(Locale.ROOT, "matmul peak through DJL: %.1f GFLOP/s (%dx%d F32)%n", peak / 1e9, PEAK_N, PEAK_N);
        System.out.printf(Locale.ROOT, "MFU ratio (model FLOPs/s / matmul peak): %.3f%n", djl * flopsPerToken / peak);

        Optional<Path> py = python();
        if (py.isEmpty()) {
            System.out.println("PyTorch ratio: skipped (no python with torch: set PHRONESIS_PYTHON or create .venv, see bin/python-peers.sh)");
            return;
        }
        Path dir = Files.createTempDirectory("train-bench");
        Path script = dir.resolve("llama_ref.py"), config = dir.resolve("config.json");
        try (InputStream in = Trainer.class.getResourceAsStream("/dev/phronesis/train/llama_ref.py")) {
            Files.write(script, in.readAllBytes());
        }
        model.write(config);
        Process p = new ProcessBuilder(py.get().toString(), script.toString(), "bench", config.toString(), "" + BATCH, "" + SEQ,
                "" + steps, "" + threads).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (p.waitFor() != 0) {
            System.out.println("PyTorch ratio: skipped (reference failed: " + out.lines().reduce((a, b) -> b).orElse("") + ")");
            return;
        }
        String last = out.lines().reduce((a, b) -> b).orElseThrow();
        double torch = Double.parseDouble(last.replaceAll(".*\"tokens_per_s\": ([0-9.eE+-]+).*", "$1"));
        System.out.printf(Locale.ROOT, "PyTorch  : %8.0f tokens/s  (%.2f steps/s, eager, %s)%n", torch, torch / (BATCH * SEQ), py.get());
        System.out.printf(Locale.ROOT, "ratio DJL / PyTorch eager: %.2f (target >= 0.8)%n", djl / torch);
    }

    /** Best of a few timed {@code PEAK_N}² matmuls, in FLOP/s. */
    static double matmulPeakFlops() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(PEAK_N, PEAK_N)), b = m.randomNormal(new Shape(PEAK_N, PEAK_N));
            double best = 0;
            for (int rep = 0; rep < PEAK_REPS; rep++) {
                long t = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0); // forces completion
                }
                best = Math.max(best, 2.0 * PEAK_N * PEAK_N * PEAK_N / ((System.nanoTime() - t) / 1e9));
            }
            return best;
        }
    }

    static Optional<Path> python() {
        String env = System.getenv("PHRONESIS_PYTHON");
        if (env != null && Files.isExecutable(Path.of(env))) return Optional.of(Path.of(env));
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve(".venv/bin/python");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    private TrainThroughputBench() {}

}
