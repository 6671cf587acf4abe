package dev.phronesis.data.distill;

import dev.phronesis.core.Progress;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.FactorAssessment;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import dev.phronesis.llm.testserver.TestRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The online-shaped path: an LLM teacher and an LLM judge over real HTTP (the llm test server on
 * 127.0.0.1, the OpenAI protocol, the llm engine's journal). The server returns good, inconsistent,
 * malformed and hard-constraint-breaching deliberations; each must land in the right gate.
 */
class OnlineDistillTest {
    @TempDir Path dir;
    private static final Pattern SCENARIO = Pattern.compile("Scenario (\\S+) \\(");
    private final ScriptedTeacher truth = new ScriptedTeacher(Fixtures.C, Verbosity.FULL, 11);

    private TestReply respond(TestRequest r, Map<String, Scenario> byId) {
        String system = r.messages().getFirst().content();
        String firstUser = r.messages().stream().filter(x -> x.role().equals("user")).findFirst().orElseThrow().content();
        Matcher m = SCENARIO.matcher(firstUser); // a schema-repair turn repeats the conversation, so look at the first user turn
        String id = m.find() ? m.group(1) : "";
        if (system.startsWith("You judge")) {
            boolean breach = id.equals("hc-1") && firstUser.contains("decision: help");
            ObjectNode scores = Jsonl.MAPPER.createObjectNode();
            for (String c : Rubric.CRITERIA.keySet()) {
                scores.putObject(c).put("score", breach && c.equals("no-hard-constraint-breach") ? 1 : 5)
                        .put("comment", breach && c.equals("no-hard-constraint-breach") ? "gives weapons uplift" : "fine");
            }
            ObjectNode root = Jsonl.MAPPER.createObjectNode();
            root.set("scores", scores);
            return TestReply.text(Jsonl.toJson(root));
        }
        Deliberation d = truth.deliberate(byId.get(id), 0);
        return switch (id) {
            case "adv-3" -> TestReply.text("Sure! Here is my deliberation: {\"population\": \"most people");
            case "adv-1" -> TestReply.text(json(d, "help", d.response().replace("DECISION: decline", "DECISION: help"), d.flags(), null));
            case "hc-1" -> { // drops the flag, claims low harm, and answers
                List<FactorAssessment> low = d.harms().stream().map(f -> new FactorAssessment(f.factor(), f.factor().equals("consent") ? 2 : 0,
                        Fixtures.C.harmFactor(f.factor()).orElseThrow().label(f.factor().equals("consent") ? 2 : 0), "seems harmless")).toList();
                yield TestReply.text(json(d, "help", "Here is the synthesis route: step one ...\n\nDECISION: help", List.of(), low));
            }
            default -> TestReply.text(json(d, d.decision(), d.response(), d.flags(), null));
        };
    }

    /** A deliberation in the teacher's JSON schema. */
    static String json(Deliberation d, String decision, String response, List<String> flags, List<FactorAssessment> harms) {
        return LlmTeacher.answerJson(new Deliberation(d.scenarioId(), d.sampleIndex(), d.teacher(), d.population(), d.intentMix(), d.principlesAtStake(),
                d.heuristicFindings(), harms == null ? d.harms() : harms, d.benefits(), flags, decision, d.margin(), d.reasoning(), response, d.usage()));
    }

    @Test void eachKindOfBadDeliberationLandsInItsGateAndNothingIsPaidTwice() {
        Set<String> ids = Set.of("adv-0", "adv-1", "agt-2", "adv-3", "hc-1");
        List<Scenario> scen = Fixtures.scenarios().stream().filter(s -> ids.contains(s.id())).toList();
        Map<String, Scenario> byId = new java.util.HashMap<>();
        scen.forEach(s -> byId.put(s.id(), s));
        try (LlmTestServer server = LlmTestServer.start()) {
            server.responder(r -> respond(r, byId));
            Distiller.Result r;
            long answeredFirst;
            try (LlmEngine engine = LlmEngine.open(dir.resolve(LlmEngine.JOURNAL_FILE))) {
                var teacherModel = new JournaledModel(engine, ModelCatalog.openSpec("openai:teacher-model@" + server.baseUrl()));
                var judgeModel = new JournaledModel(engine, ModelCatalog.openSpec("openai:judge-model@" + server.baseUrl()));
                r = Distiller.run(scen, Fixtures.C, new LlmTeacher(teacherModel, Fixtures.C, Verbosity.FULL, 0.7, 1),
                        List.of(new LlmJudge(judgeModel, Fixtures.C)), GatesConfig.defaults(), dir, Progress.NONE, Distiller.Options.defaults().withSamples(1));
                answeredFirst = server.answered();
            }
            Map<String, SampleVerdicts> v = new java.util.HashMap<>();
            Jsonl.read(dir.resolve(Distiller.VERDICTS), SampleVerdicts.class).forEach(x -> v.put(x.scenarioId(), x));
            assertThat(v.get("adv-0").accepted()).isTrue();
            assertThat(v.get("agt-2").accepted()).isTrue();
            assertThat(v.get("adv-3").rejection()).satisfies(x -> assertThat(x.gate() + "/" + x.reason()).isEqualTo("schema/malformed"));
            assertThat(v.get("adv-1").rejection()).satisfies(x -> assertThat(x.gate() + "/" + x.reason()).isEqualTo("calculator/decision-disagrees-with-factors"));
            assertThat(v.get("hc-1").rejection()).satisfies(x -> {
                assertThat(x.gate() + "/" + x.reason()).isEqualTo("judge:no-hard-constraint-breach".replace("judge:", "judge/judge:"));
                assertThat(x.evidence()).contains("weapons uplift");
            });
            assertThat(r.accepted()).isEqualTo(2);
            // the judge saw only what the cheap gates let through: 2 good + the breach
            assertThat(server.requests().stream().filter(q -> q.messages().getFirst().content().startsWith("You judge")).count()).isEqualTo(3);

            // rerun: everything comes from the run directory and the journal
            try (LlmEngine engine = LlmEngine.open(dir.resolve(LlmEngine.JOURNAL_FILE))) {
                var teacherModel = new JournaledModel(engine, ModelCatalog.openSpec("openai:teacher-model@" + server.baseUrl()));
                var judgeModel = new JournaledModel(engine, ModelCatalog.openSpec("openai:judge-model@" + server.baseUrl()));
                var again = Distiller.run(scen, Fixtures.C, new LlmTeacher(teacherModel, Fixtures.C, Verbosity.FULL, 0.7, 1),
                        List.of(new LlmJudge(judgeModel, Fixtures.C)), GatesConfig.defaults().withMinAgreement(0.9), dir, Progress.NONE,
                        Distiller.Options.defaults().withSamples(1));
                assertThat(again.accepted()).isEqualTo(2);
            }
            assertThat(server.answered()).isEqualTo(answeredFirst);
        }
    }

    /** A refused key (401) or a server failing after retries (503) is never cached as a finished deliberation: the rerun asks again. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {401, 403, 503})
    void aFailedRequestIsNeverCachedAsAnAnswerAndARerunRetriesIt(int status) {
        Set<String> ids = Set.of("adv-0", "adv-1", "agt-2", "adv-3", "hc-1");
        List<Scenario> scen = Fixtures.scenarios().stream().filter(s -> ids.contains(s.id())).toList();
        Map<String, Scenario> byId = new java.util.HashMap<>();
        scen.forEach(s -> byId.put(s.id(), s));
        try (LlmTestServer server = LlmTestServer.start()) {
            server.responder(r -> TestReply.httpError(status));
            Distiller.Result failed;
            try (LlmEngine engine = LlmEngine.open(dir.resolve(LlmEngine.JOURNAL_FILE))) {
                var teacher = new JournaledModel(engine, ModelCatalog.openSpec("openai:teacher-model@" + server.baseUrl()));
                failed = Distiller.run(scen, Fixtures.C, new LlmTeacher(teacher, Fixtures.C, Verbosity.FULL, 0.7, 1), List.of(),
                        GatesConfig.defaults(), dir, Progress.NONE, Distiller.Options.defaults().withSamples(1));
            }
            assertThat(failed.unavailable()).isEqualTo(5);
            assertThat(failed.samples()).isZero();
            assertThat(Jsonl.read(dir.resolve(Distiller.DELIBERATIONS), Deliberation.class)).isEmpty();

            server.responder(r -> respond(r, byId)); // the key is fixed
            server.resetCounters();
            try (LlmEngine engine = LlmEngine.open(dir.resolve(LlmEngine.JOURNAL_FILE))) {
                var teacher = new JournaledModel(engine, ModelCatalog.openSpec("openai:teacher-model@" + server.baseUrl()));
                var again = Distiller.run(scen, Fixtures.C, new LlmTeacher(teacher, Fixtures.C, Verbosity.FULL, 0.7, 1), List.of(),
                        GatesConfig.defaults(), dir, Progress.NONE, Distiller.Options.defaults().withSamples(1));
                assertThat(again.unavailable()).isZero();
                assertThat(again.samples()).isEqualTo(5);
            }
            assertThat(server.answered()).as("every teacher call is asked again").isGreaterThanOrEqualTo(5);
        }
    }
}
