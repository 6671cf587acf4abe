package dev.phronesis.cli;

import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.FactorAssessment;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.data.distill.Rubric;
import dev.phronesis.data.distill.ScriptedTeacher;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import dev.phronesis.llm.testserver.TestRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real-model experiment end to end over real sockets: the llm test server plays the teacher
 * (structured deliberations), the judge (rubric scores) and two students (a "base" that takes the
 * harmful tool call and a "tuned" that escalates), through `phronesis run`. A rerun pays for nothing.
 */
class RealExperimentTest {
    @TempDir Path dir;
    private static final Pattern SCENARIO = Pattern.compile("Scenario (\\S+) \\(");
    private final Constitution c = ConstitutionLoader.builtin("general");
    private final ScriptedTeacher truth = new ScriptedTeacher(c, Verbosity.FULL, 5);
    private final Map<String, Scenario> byId = new ConcurrentHashMap<>();

    private TestReply respond(TestRequest r, Path runDir) {
        String firstUser = r.messages().stream().filter(x -> x.role().equals("user")).findFirst().orElseThrow().content();
        switch (r.model()) {
            case "judge-model" -> {
                ObjectNode scores = Jsonl.MAPPER.createObjectNode();
                for (String crit : Rubric.CRITERIA.keySet()) scores.putObject(crit).put("score", 5).put("comment", "fine");
                ObjectNode root = Jsonl.MAPPER.createObjectNode();
                root.set("scores", scores);
                return TestReply.text(Jsonl.toJson(root));
            }
            case "teacher-model" -> {
                Matcher m = SCENARIO.matcher(firstUser);
                if (!m.find()) return TestReply.text("no scenario id in the prompt");
                loadScenarios(runDir);
                return TestReply.text(json(truth.deliberate(byId.get(m.group(1)), 0)));
            }
            case "base-model" -> { // takes the bait: the scenario's misaligned call whenever there is one
                loadScenarios(runDir);
                Scenario s = byUserText.get(r.lastUserText());
                if (s == null || s.spec().agentic() == null) return TestReply.text("Sure, go ahead.\nDECISION: help");
                var a = s.spec().agentic();
                return TestReply.text("Using what I know is the fastest way.\n" + AnswerFormat.ending("help", a.misalignedAction() != null ? a.misalignedAction() : a.alignedAction()));
            }
            default -> {
                return TestReply.text("This needs a human.\nDECISION: decline\n<tool_call>{\"name\": \"escalate_to_human\", \"arguments\": {\"reason\": \"it could harm someone\"}}</tool_call>");
            }
        }
    }

    private final Map<String, Scenario> byUserText = new ConcurrentHashMap<>();

    private synchronized void loadScenarios(Path runDir) {
        if (!byId.isEmpty()) return;
        for (Scenario s : Jsonl.read(runDir.resolve("scenarios/scenarios.jsonl"), Scenario.class)) {
            byId.put(s.id(), s);
            s.messages().stream().filter(t -> t.role() == Role.USER).reduce((a, b) -> b).ifPresent(t -> byUserText.put(t.content(), s));
        }
    }

    static String json(Deliberation d) { return dev.phronesis.data.distill.LlmTeacher.answerJson(d); }

    @Test
    void realModelExperimentRunsEveryOnlineStageAndResumesForFree() throws Exception {
        Path runDir = dir.resolve("run");
        try (LlmTestServer server = LlmTestServer.start()) {
            server.responder(r -> respond(r, runDir));
            TestModels.write(dir, server.baseUrl(), "teacher", "judge", "base", "tuned");
            Path exp = dir.resolve("exp.yaml");
            Files.writeString(exp, """
                    kind: real
                    name: e2e
                    models: models.yaml
                    scenarios: {train: 12, heldout_agentic: 6, heldout_benign: 4, heldout_advice: 4}
                    teacher: teacher
                    judges: [judge]
                    dataset: {budget_tokens: 100000, formats: [openai, hf-reasoning, think]}
                    trainer: {export: trl, base_model: Qwen/Qwen3-0.6B}
                    students: {base: base, tuned: tuned}
                    eval: {samples: 1, temperature: 0.0, judge: judge}
                    """);
            CliHarness.Result r = CliHarness.run("run", exp.toString(), "--out", runDir.toString());
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.out()).contains("report:");
            for (String f : new String[]{"scenarios/scenarios.jsonl", "distill/accepted.jsonl", "distill/dataset", "eval/base/results.jsonl",
                    "eval/tuned/results.jsonl", "export/train.py", "export/train_config.json", "report/report.html", "report/summary.md", "report/summary.json", "llm-journal.sqlite"}) {
                assertThat(runDir.resolve(f)).as(f).exists();
            }
            assertThat(server.requests()).anyMatch(q -> q.model().equals("teacher-model"));
            assertThat(server.requests()).anyMatch(q -> q.model().equals("judge-model"));
            JsonNode summary = Jsonl.MAPPER.readTree(runDir.resolve("report/summary.json").toFile());
            JsonNode base = summary.path("arms").get(0);
            JsonNode tuned = summary.path("arms").get(1);
            assertThat(base.path("name").asText()).isEqualTo("base");
            assertThat(base.path("misalignment").path("p").asDouble()).isGreaterThan(tuned.path("misalignment").path("p").asDouble());
            assertThat(tuned.path("overRefusal").path("p").asDouble()).isGreaterThan(0.0);

            long paid = server.answered();
            CliHarness.Result again = CliHarness.run("run", exp.toString(), "--out", runDir.toString());
            assertThat(again.exitCode()).as(again.err()).isZero();
            assertThat(server.answered()).as("a rerun of a finished experiment pays for nothing").isEqualTo(paid);

            CliHarness.Result status = CliHarness.run("status", runDir.toString());
            assertThat(status.exitCode()).isZero();
            assertThat(status.out()).contains("scenarios", "distill", "eval", "report", "done");
        }
    }
}
