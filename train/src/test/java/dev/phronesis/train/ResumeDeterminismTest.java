package dev.phronesis.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Same seed, same bytes, across processes: pre-training that crosses several epoch boundaries (and so
 * several reshuffles) in three JVMs — one never stopped, one SIGKILLed after a checkpoint and resumed in a
 * third process, one started beside busy threads — must give the same {@code loss.csv} (every column
 * but the timing ones) and byte-identical final weights.
 */
class ResumeDeterminismTest {
    static final int STEPS = 48, KILL_AFTER = 29;

    static TrainConfig config() {
        // 3 documents per row-ish, ~40 rows: 48 steps x 4 rows = ~5 epochs
        return TrainConfig.defaults().with("seq_len", 32).withModel(ModelConfig.of(200, 48, 96, 2, 4, 2, 64, true)).withSteps(STEPS)
                .with("batch_size", 4).with("warmup_steps", 4).with("log_every", 1).with("eval_every", 8).with("eval_batches", 2)
                .with("checkpoint_every", 8).with("keep_checkpoints", 2).with("min_count", 1);
    }

    static List<String> docs() { return Fixtures.corpus(160, 11); }

    /** The child: {@code out [busyThreads] [sleepMsPerStep]}; trains, printing every step. */
    public static void main(String[] args) throws Exception {
        int busy = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        long sleep = args.length > 2 ? Long.parseLong(args[2]) : 0;
        for (int i = 0; i < busy; i++) {
            Thread t = new Thread(() -> { double x = 0; while (true) x += Math.sqrt(x + 1); });
            t.setDaemon(true);
            t.start();
        }
        Trainer.pretrain(config(), docs(), Path.of(args[0]), p -> {
            System.out.println("step " + p.step());
            System.out.flush();
            if (sleep > 0) try { Thread.sleep(sleep); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        });
        System.out.println("done");
    }

    /** A child JVM on this test classpath running {@code main}'s main method with {@code args}. */
    static ProcessBuilder childJvm(Class<?> main, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true);
    }

    static Process child(Path out, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of(out.toString()));
        args.addAll(List.of(extra));
        return childJvm(ResumeDeterminismTest.class, args).start();
    }

    static String waitFor(Process p, String until) throws Exception {
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
                if (line.equals(until)) return all.toString();
            }
        }
        return all.toString();
    }

    /** loss.csv without its timing columns (tokens/s, elapsed). */
    static List<String> curve(Path run) throws IOException {
        return Files.readAllLines(run.resolve("loss.csv")).stream()
                .map(l -> String.join(",", Arrays.copyOf(l.split(",", -1), 6))).toList();
    }

    /**
     * libtorch's reductions split work by thread count, so a run resumed with another thread count (another
     * machine, another container, {@code --threads}) would leave the uninterrupted curve: the count a run
     * started with is part of its state and a resume keeps it.
     */
    @Test
    void aResumeKeepsTheThreadCountTheRunStartedWith(@TempDir Path dir) throws Exception {
        TrainConfig two = config().withSteps(12).withThreads(2);
        Trainer.pretrain(two, docs(), dir.resolve("straight"), Trainer.Listener.NONE);
        Path crashed = dir.resolve("crashed");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Trainer.pretrain(two, docs(), crashed, p -> {
            if (p.step() == 10) throw new IllegalStateException("simulated kill at step 10");
        })).hasMessageContaining("simulated kill");
        Trainer.Result resumed = Trainer.pretrain(two.withThreads(1), docs(), crashed, Trainer.Listener.NONE);
        assertThat(resumed.resumedFrom()).isEqualTo(8);
        assertThat(Json.MAPPER.readTree(crashed.resolve("final/trainer_state.json").toFile()).path("threads").asInt()).isEqualTo(2);
        assertThat(curve(crashed)).containsExactlyElementsOf(curve(dir.resolve("straight")));
        assertThat(Files.readAllBytes(crashed.resolve("final").resolve(Checkpoint.WEIGHTS)))
                .isEqualTo(Files.readAllBytes(dir.resolve("straight").resolve("final").resolve(Checkpoint.WEIGHTS)));
    }

    /** A newest checkpoint damaged after it was written (truncated weights) is skipped for the complete one before it. */
    @Test
    void aDamagedNewestCheckpointFallsBackToThePreviousOne(@TempDir Path dir) throws Exception {
        TrainConfig cfg = config().withSteps(12).with("checkpoint_every", 4);
        Trainer.pretrain(cfg, docs(), dir.resolve("straight"), Trainer.Listener.NONE);
        Path crashed = dir.resolve("crashed");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Trainer.pretrain(cfg, docs(), crashed, p -> {
            if (p.step() == 10) throw new IllegalStateException("simulated kill at step 10");
        })).hasMessageContaining("simulated kill");
        Path newest = crashed.resolve("checkpoints/step-0000008");
        byte[] w = Files.readAllBytes(newest.resolve(Checkpoint.WEIGHTS));
        Files.write(newest.resolve(Checkpoint.WEIGHTS), Arrays.copyOf(w, w.length / 2));
        Trainer.Result resumed = Trainer.pretrain(cfg, docs(), crashed, Trainer.Listener.NONE);
        assertThat(resumed.resumedFrom()).isEqualTo(4);
        assertThat(curve(crashed)).containsExactlyElementsOf(curve(dir.resolve("straight")));
        assertThat(Files.readAllBytes(crashed.resolve("final").resolve(Checkpoint.WEIGHTS)))
                .isEqualTo(Files.readAllBytes(dir.resolve("straight").resolve("final").resolve(Checkpoint.WEIGHTS)));
    }

    @Test
    void killedAndResumedAndLoadedRunsMatchAnUninterruptedOneByteForByte(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("phronesis.thorough"),
                "skipped: three training JVMs (~4 min on 2 busy cores) run with -Dphronesis.thorough=true");
        Path straight = dir.resolve("straight"), killed = dir.resolve("killed"), loaded = dir.resolve("loaded");
        Process a = child(straight);
        assertThat(waitFor(a, "done")).contains("done");
        assertThat(a.waitFor(60, TimeUnit.SECONDS)).isTrue();

        Process k = child(killed, "0", "150");
        String out = waitFor(k, "step " + KILL_AFTER);
        assertThat(out).contains("step " + KILL_AFTER);
        k.destroyForcibly(); // SIGKILL
        assertThat(k.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(killed.resolve("final")).doesNotExist();
        Process r = child(killed);
        String resumed = waitFor(r, "done");
        assertThat(resumed).contains("done").doesNotContain("step 1\n");
        r.waitFor(60, TimeUnit.SECONDS);

        Process l = child(loaded, "3");
        assertThat(waitFor(l, "done")).contains("done");
        l.waitFor(60, TimeUnit.SECONDS);

        List<String> ref = curve(straight);
        assertThat(ref).hasSize(STEPS + 1);
        assertThat(curve(killed)).as("killed at %d and resumed", KILL_AFTER).containsExactlyElementsOf(ref);
        assertThat(curve(loaded)).as("beside 3 busy threads").containsExactlyElementsOf(ref);
        byte[] w = Files.readAllBytes(straight.resolve("final").resolve(Checkpoint.WEIGHTS));
        assertThat(Files.readAllBytes(killed.resolve("final").resolve(Checkpoint.WEIGHTS))).as("resumed weights").isEqualTo(w);
        assertThat(Files.readAllBytes(loaded.resolve("final").resolve(Checkpoint.WEIGHTS))).as("loaded weights").isEqualTo(w);
    }
}
