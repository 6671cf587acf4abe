package dev.phronesis.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ScenariosCliTest {
    @Test
    void generateThenStatsWithoutEmbeddings(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        var g = CliHarness.run("scenarios", "generate", "--budget", "40", "--seed", "3", "--no-semantic-dedup", "--out", run.toString());
        assertThat(g.exitCode()).as(g.err()).isZero();
        assertThat(g.out()).contains("40 scenarios", "t=2: covered");
        assertThat(Files.readAllLines(run.resolve("scenarios.jsonl"))).hasSize(40);
        var again = CliHarness.run("scenarios", "generate", "--budget", "40", "--seed", "3", "--no-semantic-dedup", "--out", run.toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.err()).contains("nothing left to do");
        var s = CliHarness.run("scenarios", "stats", "--no-embeddings", run.toString());
        assertThat(s.exitCode()).as(s.err()).isZero();
        assertThat(s.out()).contains("distinct-1", "axis-value pairs covered", "families in train");
        assertThat(run.resolve("stats.html")).exists();
        var sj = CliHarness.run("scenarios", "stats", "--no-embeddings", "--json", run.toString());
        assertThat(sj.exitCode()).as(sj.err()).isZero();
        assertThat(dev.phronesis.core.Json.MAPPER.readTree(sj.out()).path("scenarios").asInt()).isEqualTo(40);
    }

    @Test
    void badInputsAreOneLineUsageErrors(@TempDir Path dir) {
        var q = CliHarness.run("scenarios", "generate", "--quota", "heldout/agentic=5", "--out", dir.toString());
        assertThat(q.exitCode()).isEqualTo(2);
        assertThat(q.err()).contains("must look like SPLIT/FORM/KIND=N");
        var k = CliHarness.run("scenarios", "generate", "--quota", "heldout/agentic/benigne=5", "--no-semantic-dedup", "--out", dir.resolve("k").toString());
        assertThat(k.exitCode()).isEqualTo(2);
        assertThat(k.err()).contains("axis kind has no value 'benigne'");
        var changed = CliHarness.run("scenarios", "generate", "--budget", "10", "--no-semantic-dedup", "--out", dir.resolve("c").toString());
        assertThat(changed.exitCode()).isZero();
        var changed2 = CliHarness.run("scenarios", "generate", "--budget", "11", "--no-semantic-dedup", "--out", dir.resolve("c").toString());
        assertThat(changed2.exitCode()).isEqualTo(2);
        assertThat(changed2.err()).contains("different inputs or options");
        var stats = CliHarness.run("scenarios", "stats", dir.resolve("nope").toString());
        assertThat(stats.exitCode()).isEqualTo(2);
        assertThat(stats.err()).contains("no such file");
    }
}
