package dev.phronesis.cli;

import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** distill -> report -> dataset build -> dataset check, on scenarios from the real generator, through the CLI. */
class DistillCliTest {
    @TempDir Path dir;

    @Test void theWholeOfflinePathRunsFromTheCommandLine() throws Exception {
        var scen = ScenarioGenerator.generateInMemory(Taxonomy.builtin("default"), ConstitutionLoader.builtin("general"),
                ScenarioGenerator.Options.budget(40, 5).withSemanticDedup(false), null, null).scenarios();
        Jsonl.writeAll(dir.resolve("scenarios.jsonl"), scen);

        var d = CliHarness.run("distill", "--scenarios", dir.toString(), "--verbosity", "compact", "--judge", "scripted", "--samples", "2");
        assertThat(d.exitCode()).as(d.err()).isZero();
        assertThat(d.out()).contains("gate", "self-consistency", "accepted");
        var again = CliHarness.run("distill", "--scenarios", dir.toString(), "--verbosity", "compact", "--judge", "scripted", "--samples", "2");
        assertThat(again.out()).contains("new deliberations 0, new verdicts 0");

        var rep = CliHarness.run("distill", "report", dir.toString());
        assertThat(rep.exitCode()).isZero();
        assertThat(rep.out()).contains("teacher scripted:compact@seed1", "judges [\"scripted-judge\"]");

        var b = CliHarness.run("dataset", "build", dir.toString(), "--budget-tokens", "4000");
        assertThat(b.exitCode()).as(b.err()).isZero();
        assertThat(dir.resolve("dataset/card.md")).exists();
        assertThat(dir.resolve("dataset/deliberative/think-train.jsonl")).exists();

        Path qwen = Path.of(getClass().getResource("/distill/qwen3.tokenizer_config.json").toURI());
        var ok = CliHarness.run("dataset", "check", dir.toString(), "--chat-template", qwen.toString(), "--variant", "deliberative", "--format", "think,hf-reasoning");
        assertThat(ok.exitCode()).as(ok.out()).isZero();
        var demo = CliHarness.run("dataset", "check", dir.toString(), "--chat-template", qwen.toString(), "--variant", "demonstration");
        assertThat(demo.exitCode()).isEqualTo(1);
        assertThat(demo.out()).contains("empty-think-block");
    }

    @Test void badInputIsOneLineAndExitTwo() {
        var r = CliHarness.run("distill", "--scenarios", dir.resolve("nope").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        var g = CliHarness.run("dataset", "build", dir.toString());
        assertThat(g.exitCode()).isEqualTo(2);
        assertThat(g.err()).contains("not a distilled run");
    }
}
