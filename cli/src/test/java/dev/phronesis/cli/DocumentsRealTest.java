package dev.phronesis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.cli.models.Rehearsal;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real-model experiment with a {@code documents} section (the project's test server plays every model, the teacher
 * also writing the documents through the run's journal): a documents stage runs before the datasets, the exported job gets a mid-training stage on its dataset, and a changed documents
 * setting reruns the documents and the export only.
 */
class DocumentsRealTest {
    @TempDir Path dir;

    static String experiment(int count) { return experiment("teacher", count); }

    static String experiment(String writer, int count) {
        return """
                kind: real
                name: docs
                models: models.yaml
                scenarios: {train: 12, heldout_agentic: 6, heldout_benign: 4, heldout_advice: 4}
                teacher: teacher
                judges: [judge]
                dataset: {budget_tokens: 100000, formats: [openai]}
                documents: {writer: %s, count: %d, min_coverage: 1, budget_tokens: 40000, genres: [explainer, story], midtrain_steps: 7}
                trainer: {export: trl, base_model: Qwen/Qwen3-0.6B}
                students: {base: base}
                eval: {samples: 1, temperature: 0.0}
                """.formatted(writer, count);
    }

    @Test
    void documentsStageFeedsTheExportedJobsMidtrainingAndRerunsAloneWhenItsSettingsChange() throws Exception {
        Path run = dir.resolve("run");
        Path exp = dir.resolve("exp.yaml");
        try (Rehearsal one = Rehearsal.start(ConstitutionLoader.builtin("general"), run, 1)) {
            Files.writeString(dir.resolve("models.yaml"), StageKeysRealTest.models(one.baseUrl(), one.baseUrl()));
            Files.writeString(exp, experiment(10));
            CliHarness.Result first = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(first.exitCode()).as(first.err()).isZero();
            assertThat(StageKeysRealTest.ran(first)).containsExactly("scenarios", "distill", "documents", "datasets", "export", "suites", "eval-base", "report");
            JsonNode cfg = Jsonl.MAPPER.readTree(run.resolve("export/train_config.json").toFile());
            assertThat(cfg.path("midtrain").path("max_steps").asInt()).isEqualTo(7);
            assertThat(cfg.path("midtrain").path("dataset").asText()).isEqualTo("data/documents.jsonl");
            assertThat(Files.readAllLines(run.resolve("export/data/documents.jsonl")))
                    .isEqualTo(Files.readAllLines(run.resolve("documents/dataset/documents.jsonl"))).isNotEmpty();
            for (String line : Files.readAllLines(run.resolve("documents/dataset/documents.jsonl")))
                assertThat(Jsonl.MAPPER.readTree(line).path("genre").asText()).isIn("explainer", "story");
            assertThat(Files.readString(run.resolve("export/README.md"))).contains("--stage midtrain");
            // the LLM writer went through the run's journal: a rerun asks for nothing
            assertThat(one.server().requests()).anyMatch(q -> q.lastUserText().contains(" of about ") && q.lastUserText().contains("constitution"));
            assertThat(Jsonl.MAPPER.readTree(Files.readAllLines(run.resolve("documents/documents.jsonl")).getFirst()).path("realiser").asText()).startsWith("llm:");
            long requests = one.server().received();
            CliHarness.Result same = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(same.exitCode()).as(same.err()).isZero();
            assertThat(StageKeysRealTest.ran(same)).isEmpty();
            assertThat(one.server().received()).isEqualTo(requests);

            Files.writeString(exp, experiment(12));
            JsonNode stages = Jsonl.MAPPER.readTree(CliHarness.run("status", "--json", run.toString()).out()).path("runs").get(0).path("stages");
            Set<String> stale = new TreeSet<>();
            stages.forEach(s -> { if (!s.path("status").asText().equals("done")) stale.add(s.path("name").asText()); });
            assertThat(stale).containsExactlyInAnyOrder("documents", "export");
            CliHarness.Result again = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(again.exitCode()).as(again.err()).isZero();
            assertThat(StageKeysRealTest.ran(again)).containsExactly("documents", "export");
        }
    }

    @Test
    void badDocumentsSectionsAreReportedWithPositions() throws Exception {
        Files.writeString(dir.resolve("models.yaml"), StageKeysRealTest.models("http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1"));
        Path exp = dir.resolve("bad.yaml");
        Files.writeString(exp, experiment("nosuchmodel", 10).replace("genres: [explainer, story]", "genres: [explainer, storie]"));
        CliHarness.Result r = CliHarness.run("run", exp.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("documents.genres: 'storie' is not a genre").contains("(did you mean 'story'?)")
                .contains(":8:21: 'nosuchmodel' is not a model of models.yaml").doesNotContain("\tat ");
    }
}
