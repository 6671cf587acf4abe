package dev.phronesis.bench;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phronesis.train.AdamW;
import dev.phronesis.train.Torch;
import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.HfConfig;
import dev.phronesis.train.hf.HfModel;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.train.hf.HfSftData;
import dev.phronesis.train.hf.RandomCheckpoint;
import dev.phronesis.train.lora.Lora;
import dev.phronesis.train.lora.LoraConfig;
import dev.phronesis.train.lora.LoraTrainer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * LoRA training cost on CPU, two ratios:
 * <ol>
 *   <li>LoRA step time / full fine-tune step time on the same small random Llama checkpoint (~6M parameters);</li>
 *   <li>LoRA training tokens/s on a ~100M-parameter random Llama-layout checkpoint, Phronesis (DJL) / PyTorch eager
 *       (transformers + peft) on the same files, same shapes and threads — when a Python venv with torch is found.</li>
 * </ol>
 * Usage: {@code bench/run LoraBench [small|large|both] [--python PATH] [--steps N] [--threads N]}.
 */
public final class LoraBench {
    /** r=16, alpha=32 on q/k/v/o: PEFT's usual setting. */
    static final LoraConfig LORA = LoraConfig.of(16, 32, 0.0, false);
    static final int BATCH = 2, SEQ = 128;

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 && !args[0].startsWith("--") ? args[0] : "both";
        String python = null;
        int steps = 5, threads = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--python" -> python = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> { }
            }
        }
        threads = Torch.threads(threads);
        Torch.noGrad();
        System.out.printf(Locale.ROOT, "LoraBench: %d torch threads, batch %d x %d tokens, LoRA r=%d alpha=%s on %s%n", threads, BATCH, SEQ,
                LORA.rank(), LORA.alpha(), LORA.targetModules());
        Path tmp = Files.createTempDirectory("lora-bench");
        try {
            if (!which.equals("large")) small(steps);
            if (!which.equals("small")) large(tmp, steps, threads, python);
        } finally {
            try (var s = Files.walk(tmp)) { s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete()); }
        }
    }

    static List<HfSftData.Row> rows(int vocab, long seed) {
        Random r = new Random(seed);
        List<HfSftData.Row> out = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            int[] ids = new int[SEQ];
            boolean[] mask = new boolean[SEQ];
            for (int j = 0; j < SEQ; j++) { ids[j] = r.nextInt(vocab); mask[j] = true; }
            out.add(new HfSftData.Row(ids, mask));
        }
        return out;
    }

    /** Seconds per step over {@code steps} timed steps after one warm-up step. */
    static double time(HfModel m, Map<String, Parameter> trainable, List<HfSftData.Row> data, int steps) {
        int[] idx = new int[data.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        long[] tok = new long[1];
        try (AdamW opt = new AdamW(trainable, 0.9, 0.999, 1e-8, 0.0)) {
            LoraTrainer.step(m, trainable, opt, data, idx, 1e-4, 1.0, tok);
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) LoraTrainer.step(m, trainable, opt, data, idx, 1e-4, 1.0, tok);
            return (System.nanoTime() - t0) / 1e9 / steps;
        }
    }

    static HfConfig llama(int vocab, int hidden, int intermediate, int layers, int heads, int kv) {
        return new HfConfig(HfConfig.Arch.LLAMA, vocab, hidden, intermediate, layers, heads, kv, hidden / heads, 2048, 1e-5, 10000.0,
                new HfConfig.RopeScaling.None(), true, false, false, false, 1, List.of(2));
    }

    static void small(int steps) {
        HfConfig c = llama(4096, 256, 688, 4, 8, 4);
        var data = rows(c.vocabSize(), 1);
        double full, lora;
        long trainable;
        try (HfModel m = HfModel.fromState(null, c, RandomCheckpoint.weights(c, 1, 0.02))) {
            full = time(m, m.namedParameters(), data, steps);
        }
        try (HfModel m = HfModel.fromState(null, c, RandomCheckpoint.weights(c, 1, 0.02)); Lora l = Lora.attach(m, LORA, 2)) {
            lora = time(m, l.parameters(), data, steps);
            trainable = l.trainableParameterCount();
        }
        System.out.printf(Locale.ROOT, "[small] %,d-parameter Llama: full fine-tune %.3f s/step, LoRA %.3f s/step (%,d trainable, %.2f%%)%n",
                c.parameterCount(), full, lora, trainable, 100.0 * trainable / c.parameterCount());
        System.out.printf(Locale.ROOT, "[small] ratio LoRA step time / full fine-tune step time = %.2f (< 1: LoRA is cheaper)%n", lora / full);
    }

    static void large(Path tmp, int steps, int threads, String python) throws Exception {
        HfConfig c = llama(32000, 768, 2048, 12, 12, 4); // ~100M: a SmolLM/TinyLlama-shaped small model
        Path dir = tmp.resolve("llama-100m");
        Files.createDirectories(dir);
        c.write(dir.resolve("config.json"));
        HfSafetensors.writeModel(dir, RandomCheckpoint.weights(c, 3, 0.02), DType.BF16, HfSafetensors.DEFAULT_SHARD_BYTES);
        var data = rows(c.vocabSize(), 2);
        double sps;
        long trainable;
        try (HfModel m = HfModel.load(dir); Lora l = Lora.attach(m, LORA, 2)) {
            sps = time(m, l.parameters(), data, steps);
            trainable = l.trainableParameterCount();
        }
        double tps = BATCH * (SEQ - 1) / sps;
        System.out.printf(Locale.ROOT, "[large] %,d-parameter Llama (BF16 files -> F32), LoRA (%,d trainable): Phronesis/DJL %.2f s/step, %.0f training tokens/s%n",
                c.parameterCount(), trainable, sps, tps);
        Path py = python != null ? Path.of(python) : findPython();
        if (py == null) {
            System.out.println("[large] PyTorch eager baseline skipped: no Python venv with torch+transformers+peft (use --python PATH or <repo>/.venv)");
            return;
        }
        Path script = tmp.resolve("lora_torch.py");
        try (var in = LoraBench.class.getResourceAsStream("lora_torch.py")) { Files.write(script, in.readAllBytes()); }
        ObjectMapper json = dev.phronesis.core.Json.MAPPER;
        String arg = json.writeValueAsString(Map.of("dir", dir.toString(), "r", LORA.rank(), "alpha", LORA.alpha(), "targets", LORA.targetModules(),
                "vocab", c.vocabSize(), "batch", BATCH, "seq", SEQ, "steps", steps, "warmup", 1, "threads", threads));
        Process p = new ProcessBuilder(py.toString(), script.toString(), arg).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (p.waitFor() != 0) {
            System.out.println("[large] PyTorch eager baseline failed: " + out);
            return;
        }
        String last = out.lines().reduce((a, b) -> b).orElse("{}");
        double torchTps = json.readTree(last).path("tokens_per_s").asDouble();
        System.out.printf(Locale.ROOT, "[large] PyTorch eager (transformers + peft, %d threads): %.0f training tokens/s%n", threads, torchTps);
        System.out.printf(Locale.ROOT, "[large] ratio Phronesis LoRA tokens/s / PyTorch eager LoRA tokens/s = %.2f%n", tps / torchTps);
    }

    static Path findPython() {
        String env = System.getenv("PHRONESIS_PYTHON");
        if (env != null && Files.isExecutable(Path.of(env))) return Path.of(env);
        Path p = Path.of(".venv/bin/python").toAbsolutePath();
        return Files.isExecutable(p) ? p : null;
    }
}
