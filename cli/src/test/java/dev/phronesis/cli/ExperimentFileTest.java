package dev.phronesis.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ExperimentFileTest {
    @TempDir Path dir;

    @Test
    void shippedExamplesAreValidUpToTheirModels() throws Exception {
        // organism examples load completely; `run` would start training, so only validation is exercised here
        for (String f : new String[]{"organism.yaml", "budget-ablation.yaml"}) {
            Path p = Path.of("..", "examples", f);
            assertThat(dev.phronesis.cli.experiment.Experiment.load(p)).isInstanceOf(dev.phronesis.cli.experiment.Experiment.Organism.class);
        }
        var real = (dev.phronesis.cli.experiment.Experiment.Real) dev.phronesis.cli.experiment.Experiment.load(Path.of("..", "examples", "real-model.yaml"));
        assertThat(real.students()).containsKeys("base", "tuned");
        assertThat(real.judges()).containsExactly("claude-judge");
    }

    @Test
    void badExperimentFilesGetEveryProblemWithPositions() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, """
                kind: organism
                seeds: [1, 2]
                arms: [none, honeypot-demoz]
                student:
                  hiden_size: 64
                  layers: 0
                world:
                  misaligned_rate: {nonee: 0.4}
                """);
        CliHarness.Result r = CliHarness.run("run", f.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains(f + ":5:3: student: unknown key 'hiden_size' (did you mean 'hidden_size'?)")
                .contains(f + ":6:11: student.layers: 0 is out of range [1, 64]")
                .contains(f + ":8:21: world.misaligned_rate.nonee: unknown pressure 'nonee'")
                .contains("unknown arm 'honeypot-demoz'")
                .doesNotContain("Exception");
    }

    @Test
    void unknownKindAndMissingFile() throws Exception {
        Path f = dir.resolve("k.yaml");
        Files.writeString(f, "kind: organizm\n");
        CliHarness.Result r = CliHarness.run("run", f.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains(f + ":1:7: kind: 'organizm' is not organism or real (did you mean 'organism'?)");
        assertThat(CliHarness.run("run", dir.resolve("nope.yaml").toString()).err().strip()).isEqualTo(dir.resolve("nope.yaml") + ": no such file");
    }

    @Test
    void statusOfSomethingThatIsNotARun() {
        CliHarness.Result r = CliHarness.run("status", dir.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("not a Phronesis run directory");
    }
}
