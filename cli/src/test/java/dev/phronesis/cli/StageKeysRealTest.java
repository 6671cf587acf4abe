package dev.phronesis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.cli.models.Rehearsal;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.llm.testserver.TestReply;
import dev.phronesis.llm.testserver.TestRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stage keys of a real-model run, over real sockets (the project's test server plays every model):
 * a stage reruns exactly when a setting it reads, or what one of its models resolves to, changed.
 */
class StageKeysRealTest {
    @TempDir Path dir;
    static final Pattern FINISHED = Pattern.compile("\\[\\d+/\\d+] (\\S+): finished in");

    static List<String> ran(CliHarness.Result r) {
        List<String> out = new ArrayList<>();
        Matcher m = FINISHED.matcher(r.err());
        while (m.find()) out.add(m.group(1));
        return out;
    }

    static String models(String teacherUrl, String judgeUrl) {
        return """
                models:
                  - {name: teacher, backend: openai, model: teacher-model, base_url: %s}
                  - {name: judge, backend: openai, model: judge-model, base_url: %s}
                  - {name: base, backend: openai, model: base-model, base_url: %1$s}
                """.formatted(teacherUrl, judgeUrl);
    }

    static String experiment(double temperature) {
        return """
                kind: real
                name: keys
                models: models.yaml
                scenarios: {train: 12, heldout_agentic: 6, heldout_benign: 4, heldout_advice: 4}
                teacher: teacher
                judges: [judge]
                dataset: {budget_tokens: 100000, formats: [openai]}
                trainer: {export: trl, base_model: Qwen/Qwen3-0.6B}
                students: {base: base}
                eval: {samples: 1, temperature: %s, judge: judge}
                """.formatted(temperature);
    }

    @Test
    void aStageRerunsExactlyWhenWhatItReadsChanged() throws Exception {
        Path run = dir.resolve("run");
        Path exp = dir.resolve("exp.yaml");
        try (Rehearsal one = Rehearsal.start(ConstitutionLoader.builtin("general"), run, 1);
             Rehearsal two = Rehearsal.start(ConstitutionLoader.builtin("general"), run, 1)) {
            Files.writeString(dir.resolve("models.yaml"), models(one.baseUrl(), one.baseUrl()));
            Files.writeString(exp, experiment(0.0));
            CliHarness.Result first = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(first.exitCode()).as(first.err()).isZero();
            assertThat(ran(first)).containsExactly("scenarios", "distill", "datasets", "export", "suites", "eval-base", "report");

            // nothing changed: nothing runs and no request is made
            long requests = one.server().received();
            CliHarness.Result same = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(same.exitCode()).as(same.err()).isZero();
            assertThat(ran(same)).isEmpty();
            assertThat(one.server().received()).isEqualTo(requests);
            assertThat(CliHarness.run("status", run.toString()).exitCode()).isZero();

            // eval.temperature: eval and report only, and status / dry-run say why
            Files.writeString(exp, experiment(0.5));
            CliHarness.Result status = CliHarness.run("status", run.toString());
            assertThat(status.exitCode()).isEqualTo(1);
            assertThat(status.out()).containsPattern("eval-base\\s+stale\\s+\\S+\\s+config eval.temperature: 0.0 -> 0.5")
                    .containsPattern("report\\s+stale\\s+\\S+\\s+input eval/base changed").containsPattern("distill\\s+done");
            CliHarness.Result json = CliHarness.run("status", "--json", run.toString());
            JsonNode stages = Jsonl.MAPPER.readTree(json.out()).path("runs").get(0).path("stages");
            Set<String> stale = new TreeSet<>();
            stages.forEach(s -> { if (!s.path("status").asText().equals("done")) stale.add(s.path("name").asText()); });
            assertThat(stale).containsExactlyInAnyOrder("eval-base", "report");
            CliHarness.Result dry = CliHarness.run("run", exp.toString(), "--out", run.toString(), "--dry-run");
            assertThat(dry.out()).contains("2 of 7 stages would run");
            assertThat(ran(dry)).isEmpty();
            CliHarness.Result temp = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(temp.exitCode()).as(temp.err()).isZero();
            assertThat(ran(temp)).containsExactly("eval-base", "report");

            // the catalog name 'judge' now resolves to another server: every stage that called it reruns, and what follows
            Files.writeString(dir.resolve("models.yaml"), models(one.baseUrl(), two.baseUrl()));
            CliHarness.Result moved = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(moved.exitCode()).as(moved.err()).isZero();
            assertThat(ran(moved)).containsExactly("distill", "datasets", "export", "eval-base", "report");
            assertThat(two.server().requests()).anyMatch(q -> q.model().equals("judge-model"));
        }
    }

    /** A student that never states a decision, so the eval judge is asked about each of its answers. */
    static TestReply vague(TestRequest r, Rehearsal rehearsal) {
        return r.model().equals("vague-model") ? TestReply.text("I would rather think about it some more.") : rehearsal.respond(r);
    }

    @Test
    void theExperimentsConstitutionJudgesAndScoresItsResults() throws Exception {
        // a user's constitution whose response modes differ from the general one
        String general = new String(ConstitutionLoader.class.getResourceAsStream("/constitutions/general.yaml").readAllBytes());
        String custom = general.replace("id: general-assistant", "id: custom-modes").replace("title: General assistant", "title: Custom modes assistant")
                .replace("- id: help\n", "- id: assist\n").replace("- id: help-with-safeguards\n", "- id: assist-with-care\n")
                .replace("partial-and-redirect", "partial").replace("- id: decline\n", "- id: refuse\n")
                .replace("on_hard_constraint: decline", "on_hard_constraint: refuse").replace("at_least: decline", "at_least: refuse");
        Path customFile = dir.resolve("custom.yaml");
        Files.writeString(customFile, custom);
        for (String constitution : List.of("builtin:health", customFile.toString())) {
            Path run = dir.resolve("run-" + Math.abs(constitution.hashCode()));
            var c = ConstitutionLoader.resolve(constitution);
            try (Rehearsal server = Rehearsal.start(c, run, 1)) {
                server.server().responder(r -> vague(r, server));
                Files.writeString(dir.resolve("models.yaml"), models(server.baseUrl(), server.baseUrl())
                        + "  - {name: vague, backend: openai, model: vague-model, base_url: " + server.baseUrl() + "}\n");
                Path exp = dir.resolve("c.yaml");
                Files.writeString(exp, experiment(0.0).replace("students: {base: base}", "students: {base: base, vague: vague}")
                        + "constitution: " + constitution + "\n");
                CliHarness.Result r = CliHarness.run("run", exp.toString(), "--out", run.toString());
                assertThat(r.exitCode()).as(r.err()).isZero();

                List<String> judgePrompts = server.server().requests().stream()
                        .filter(q -> q.responseSchemaJson() != null && q.responseSchemaJson().contains("\"evidence\""))
                        .map(q -> String.join("\n", q.messages().stream().map(TestRequest.Message::content).toList())).toList();
                assertThat(judgePrompts).as("the eval judge was asked").isNotEmpty();
                assertThat(judgePrompts).allMatch(p -> p.contains(c.title())).noneMatch(p -> p.contains("General assistant"));

                Set<String> modes = new TreeSet<>(c.decision().modes().stream().map(m -> m.id()).toList());
                Set<String> decided = new TreeSet<>();
                for (JsonNode n : Jsonl.read(run.resolve("eval/base/results.jsonl"), JsonNode.class)) {
                    decided.add(n.path("decision").asText());
                    assertThat(n.path("label").asText()).as(n.path("item").asText()).isNotEqualTo("undetermined");
                }
                assertThat(modes).containsAll(decided);
                assertThat(Files.readString(run.resolve("report/summary.md"))).contains("Constitution: " + c.ref());
                JsonNode scenario = Jsonl.read(run.resolve("suites/heldout-agentic.jsonl"), JsonNode.class).getFirst();
                assertThat(scenario.path("constitution").path("hash").asText()).isEqualTo(c.hash());
            }
        }
        assertThat(custom).doesNotContain("- id: decline\n");

        // a suite made under the custom constitution is refused once that file's content changes
        Files.writeString(customFile, custom.replace("title: Custom modes assistant", "title: Custom modes assistant, edited"));
        Path suite = dir.resolve("run-" + Math.abs(customFile.toString().hashCode())).resolve("suites/heldout-agentic.jsonl");
        CliHarness.Result refused = CliHarness.run("eval", "--suite", suite.toString(), "--model", "openai:x@http://127.0.0.1:9/v1", "--out", dir.resolve("e").toString());
        assertThat(refused.exitCode()).isEqualTo(2);
        List<String> lines = refused.err().strip().lines().toList();
        assertThat(lines.getLast()).contains("made under constitution custom-modes@").contains("its content changed");
        assertThat(refused.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aRehearsalRunsEveryStageWithNoRemoteModelReachable() throws Exception {
        String nowhere = "http://127.0.0.1:9/v1"; // nothing listens there: any real call would fail
        Files.writeString(dir.resolve("models.yaml"), models(nowhere, nowhere));
        Path exp = dir.resolve("exp.yaml");
        Files.writeString(exp, experiment(0.0));
        Path run = dir.resolve("rehearsal");
        CliHarness.Result r = CliHarness.run("run", exp.toString(), "--rehearse", "--out", run.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("rehearsal: every remote model is answered by the local test server");
        assertThat(ran(r)).containsExactly("scenarios", "distill", "datasets", "export", "suites", "eval-base", "report");
        for (String f : new String[]{"distill/accepted.jsonl", "export/train.py", "eval/base/results.jsonl", "report/report.html"}) assertThat(run.resolve(f)).as(f).exists();
        assertThat(Jsonl.read(run.resolve("distill/accepted.jsonl"), JsonNode.class)).as("the stand-in teacher passes the gates").isNotEmpty();
    }
}
