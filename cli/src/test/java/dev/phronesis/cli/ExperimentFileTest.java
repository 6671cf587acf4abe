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
    void publicBenchmarksExampleNeedsItsImportedSuitesAndThenEvaluatesThemBesideTheHeldOutOnes() throws Exception {
        Path ex = Files.createDirectories(dir.resolve("examples"));
        Files.copy(Path.of("..", "examples", "public-benchmarks.yaml"), ex.resolve("public-benchmarks.yaml"));
        Files.copy(Path.of("..", "examples", "models.yaml"), ex.resolve("models.yaml"));
        CliHarness.Result missing = CliHarness.run("run", ex.resolve("public-benchmarks.yaml").toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("eval.suites: no such suite file").contains("am.yaml").contains("docs/public-benchmarks.md");
        Files.createDirectories(ex.resolve("suites"));
        Files.writeString(ex.resolve("suites/am.yaml"), "id: am\nversion: \"1\"\nkind: imported\nitems: [{id: a1, user: hi, expect: help}]\n");
        Files.writeString(ex.resolve("suites/xstest.yaml"), "id: xstest\nversion: \"1\"\nkind: imported\nitems: [{id: x1, user: hi, expect: help}]\n");
        var real = (dev.phronesis.cli.experiment.Experiment.Real) dev.phronesis.cli.experiment.Experiment.load(ex.resolve("public-benchmarks.yaml"));
        assertThat(real.evalSuites()).containsExactly(ex.resolve("suites/am.yaml"), ex.resolve("suites/xstest.yaml"));
        assertThat(real.students()).containsExactly(java.util.Map.entry("base", "student-base"), java.util.Map.entry("tuned", "student-tuned"));
        assertThat(real.teacher()).isEqualTo("scripted");
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
