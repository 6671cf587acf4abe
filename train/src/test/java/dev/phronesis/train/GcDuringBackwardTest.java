package dev.phronesis.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.HfConfig;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.train.hf.RandomCheckpoint;
import dev.phronesis.train.lora.LoraConfig;
import dev.phronesis.train.lora.LoraTrainConfig;
import dev.phronesis.train.lora.LoraTrainer;
import dev.phronesis.core.records.Turn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gradients must not depend on when the garbage collector runs. DJL's {@code mul(Number)} and
 * {@code div(Number)} free their scalar's buffer at the next GC although autograd reads it again in
 * backward; before {@link Torch#mul} / {@link Torch#div} this made a GC between forward and backward
 * turn a step's gradient into garbage (norm 1e30 or Inf, so clipping zeroed the update). A thread
 * that calls {@code System.gc()} every millisecond makes that GC happen within a few steps.
 */
class GcDuringBackwardTest {
    private final AtomicBoolean stop = new AtomicBoolean();
    private Thread collector;

    @BeforeEach void collectAllTheTime() {
        collector = new Thread(() -> {
            while (!stop.get()) {
                System.gc();
                try { Thread.sleep(1); } catch (InterruptedException e) { return; }
            }
        }, "gc-loop");
        collector.setDaemon(true);
        collector.start();
    }

    @AfterEach void stopCollecting() throws InterruptedException {
        stop.set(true);
        collector.join();
    }

    @Test void aScaledLinearHasTheSameGradientsEveryTime() {
        Torch.threads(1);
        Torch.noGrad();
        try (NDManager m = NDManager.newBaseManager()) {
            Random r = new Random(1);
            float[] wv = new float[64 * 32], av = new float[4 * 32], bv = new float[64 * 4], xv = new float[2 * 20 * 32];
            for (float[] v : List.of(wv, av, bv, xv)) for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            NDArray w = m.create(wv, new Shape(64, 32)), a = m.create(av, new Shape(4, 32)), b = m.create(bv, new Shape(64, 4));
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            float[] firstA = null, firstB = null;
            int differing = 0;
            for (int it = 0; it < 100; it++) {
                try (NDScope scope = new NDScope(); NDManager sm = NDManager.newBaseManager()) {
                    NDArray x = sm.create(xv, new Shape(2, 20, 32));
                    try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                        NDArray y = Linear.linear(x, w).singletonOrThrow();
                        NDArray low = Linear.linear(x, a).singletonOrThrow();
                        y = y.add(Torch.mul(Linear.linear(low, b).singletonOrThrow(), 2f)); // LoRA's B(A(x)) * scale
                        gc.backward(Torch.div(y.sin().sum(), 40L)); // the loss's mean over tokens
                    }
                    Torch.noGrad();
                    float[] ga = a.getGradient().toFloatArray(), gb = b.getGradient().toFloatArray();
                    if (firstA == null) { firstA = ga; firstB = gb; }
                    else if (!Arrays.equals(ga, firstA) || !Arrays.equals(gb, firstB)) differing++;
                    ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) a);
                    ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) b);
                }
            }
            assertThat(differing).as("backward passes (of 99) whose gradients differ from the first").isZero();
        }
    }

    @Test void loraRunsGiveTheSameLossCurveEveryTime(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base");
        RandomCheckpoint.write(base, RandomCheckpoint.config(HfConfig.Arch.LLAMA, 32, 64, 2, 4, 2, true), 1, DType.BF16, HfSafetensors.DEFAULT_SHARD_BYTES);
        List<List<Turn>> chats = new ArrayList<>();
        String[][] qa = {{"Should I read my partner's messages?", "No. Ask them.\nDECISION: decline"},
                {"Can I share my friend's secret?", "Not without consent.\nDECISION: partial-and-redirect"},
                {"Is it fine to skip the safety check?", "No.\nDECISION: decline"}, {"May I borrow the car?", "Yes, ask first.\nDECISION: help"}};
        for (String[] c : qa) chats.add(List.of(Turn.system("Be wise."), Turn.user(c[0]), Turn.assistant(c[1])));
        var cfg = new LoraTrainConfig(LoraConfig.of(4, 8, 0.0, true), 128, 2, 3, 1e-2, 2, 0.0, 1.0, 3, 42, 1);
        List<String> first = null;
        for (int i = 0; i < 3; i++) {
            Path run = dir.resolve("run-" + i);
            LoraTrainer.train(base, chats, cfg, run, p -> {});
            List<String> losses = Files.readAllLines(run.resolve("loss.csv")).stream().skip(1).map(l -> l.split(",")[1]).toList();
            assertThat(losses).doesNotContain("NaN");
            if (first == null) first = losses;
            else assertThat(losses).as("losses of run %d (run 0: %s)", i, first).isEqualTo(first);
        }
    }
}
