package dev.phronesis.train;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A real SIGKILL of a training JVM mid-run, then a resume that retraces the uninterrupted loss curve. Thorough only. */
class KillNineTest {
    static TrainConfig config() {
        return TrainConfig.defaults().with("seq_len", 24).withModel(Fixtures.tiny(200, true)).withSteps(16).withThreads(1)
                .with("batch_size", 4).with("warmup_steps", 2).with("log_every", 1).with("eval_every", 4)
                .with("checkpoint_every", 4).with("min_count", 1);
    }

    /** The child: trains in {@code args[0]}, printing each step, slowly enough to be killed midway. */
    public static void main(String[] args) {
        Trainer.pretrain(config(), Fixtures.corpus(120, 3), Path.of(args[0]), p -> {
            System.out.println("step " + p.step());
            System.out.flush();
            try { Thread.sleep(200); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        });
    }

    @Test
    void killNineThenResume(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("phronesis.thorough"), "skipped: runs with -Dphronesis.thorough=true");
        Path killed = dir.resolve("killed");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), KillNineTest.class.getName(), killed.toString())
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.equals("step 10")) break;
            }
        }
        child.destroyForcibly(); // SIGKILL
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(killed.resolve("final")).doesNotExist();

        Trainer.Result resumed = Trainer.pretrain(config(), Fixtures.corpus(120, 3), killed, Trainer.Listener.NONE);
        assertThat(resumed.resumedFrom()).isBetween(8, 12);
        Trainer.Result straight = Trainer.pretrain(config(), Fixtures.corpus(120, 3), dir.resolve("straight"), Trainer.Listener.NONE);
        List<String> a = Files.readAllLines(dir.resolve("straight/loss.csv")), b = Files.readAllLines(killed.resolve("loss.csv"));
        assertThat(b).hasSameSizeAs(a);
        for (int i = 1; i < a.size(); i++)
            assertThat(Double.parseDouble(b.get(i).split(",")[3])).isCloseTo(Double.parseDouble(a.get(i).split(",")[3]), within(1e-5));
        assertThat(resumed.trainLoss()).isCloseTo(straight.trainLoss(), within(1e-5));
    }
}
