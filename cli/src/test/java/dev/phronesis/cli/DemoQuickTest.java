package dev.phronesis.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CI smoke test of the whole method: `phronesis demo --quick` runs every stage offline and
 * every artifact exists, the report renders (self-contained HTML with charts and transcripts), and
 * the organism notes state the base rate and the family split. (The browser itself drives the
 * report in eval's ReportBrowserTest.)
 */
class DemoQuickTest {
    @TempDir Path dir;

    @Test
    void quickDemoProducesEveryArtifactAndTheAblationTable() throws Exception {
        Path run = dir.resolve("demo");
        CliHarness.Result r = CliHarness.run("demo", "--quick", "--out", run.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        for (String arm : new String[]{"none", "honeypot-demos", "honeypot-deliberation", "advice-demos", "advice-deliberation",
                "honeypot-deliberation-narrow", "honeypot-deliberation-diverse"}) {
            assertThat(r.out()).contains(arm);
            assertThat(run.resolve("eval").resolve(arm).resolve("results.jsonl")).exists();
            assertThat(run.resolve("models").resolve(arm.equals("none") ? "base" : arm).resolve("final")).isDirectory();
            if (!arm.equals("none")) assertThat(run.resolve("datasets").resolve(arm + ".jsonl")).exists();
        }
        for (String f : new String[]{"scenarios/scenarios.jsonl", "corpus/pretrain.jsonl", "corpus/stats.json", "distill/accepted.jsonl",
                "suites/heldout-agentic.jsonl", "suites/over-refusal.jsonl", "suites/heldout-advice.jsonl", "suites/families.json",
                "models/base/loss.csv", "report/report.html", "report/summary.md", "report/summary.json", "report/organism.md", "report/ablation.txt", "report/chain.json"}) {
            assertThat(run.resolve(f)).as(f).exists();
        }
        String html = Files.readString(run.resolve("report/report.html"));
        assertThat(html).contains("<svg", "honeypot-deliberation", "advice-deliberation").doesNotContainPattern("(src|href)=\"https?://");
        String notes = Files.readString(run.resolve("report/organism.md"));
        assertThat(notes).contains("Base rate, set by construction", "disjoint from every training family", "Did the published ordering hold?",
                "Training-set diversity per arm", "The chain per arm and form", "copies the prompt", "<tools>", "CPU kernels", "a single seed is one draw");
        assertThat(r.out()).contains("Report:", "published");

        // a second run reuses every finished stage
        CliHarness.Result again = CliHarness.run("demo", "--quick", "--out", run.toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.err()).contains("done earlier, reused").doesNotContain("finished in");
    }
}
