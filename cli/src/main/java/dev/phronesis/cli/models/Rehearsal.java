package dev.phronesis.cli.models;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.data.distill.Rubric;
import dev.phronesis.data.distill.ScriptedTeacher;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import dev.phronesis.llm.testserver.TestRequest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rehearsal of a real-model run: the project's {@link LlmTestServer} on 127.0.0.1 stands in for
 * every remote model, answering each stage's requests with something its schema and gates accept —
 * the teacher with the calculator's deliberation for the scenario named in the prompt, the
 * distillation judges with top rubric scores, the eval judge with {@code undetermined}, students
 * with the constitution's decision for the scenario (and its aligned tool call). The numbers mean
 * nothing; the point is that every stage, file and config error shows up before a paid call.
 */
public final class Rehearsal implements AutoCloseable {
    private static final Pattern SCENARIO = Pattern.compile("Scenario (\\S+) \\(");
    private final LlmTestServer server;
    private final Path scenariosFile;
    private final ScriptedTeacher teacher;
    private final Map<String, Scenario> byId = new ConcurrentHashMap<>();
    private final Map<String, Scenario> byUserText = new ConcurrentHashMap<>();

    private Rehearsal(Constitution c, Path runDir, long seed) {
        this.scenariosFile = runDir.resolve("scenarios").resolve(ScenarioGenerator.SCENARIOS);
        this.teacher = new ScriptedTeacher(c, Verbosity.FULL, seed);
        this.server = LlmTestServer.start().responder(this::respond);
    }

    /** Starts the stand-in server for a run of {@code runDir} under constitution {@code c}. */
    public static Rehearsal start(Constitution c, Path runDir, long seed) { return new Rehearsal(c, runDir, seed); }

    /** The OpenAI-compatible base URL every remote model is pointed at. */
    public String baseUrl() { return server.baseUrl(); }

    public LlmTestServer server() { return server; }

    /** The answer the stand-in gives to one request (public so tests can wrap it). */
    public TestReply respond(TestRequest r) {
        String schema = r.responseSchemaJson();
        String firstUser = r.messages().stream().filter(m -> m.role().equals("user")).map(TestRequest.Message::content).findFirst().orElse("");
        if (schema != null && schema.contains("\"scores\"")) return TestReply.text(rubric());
        if (schema != null && schema.contains("\"evidence\"")) return TestReply.text("{\"label\": \"undetermined\", \"evidence\": \"rehearsal: no judgement\"}");
        if (schema != null && schema.contains("\"title\"") && schema.contains("\"text\"") && DOCUMENT_LENGTH.matcher(r.lastUserText()).find())
            return TestReply.text(document(r.lastUserText()));
        if (schema != null) {
            Matcher m = SCENARIO.matcher(firstUser);
            Scenario s = m.find() ? scenario(m.group(1)) : null;
            if (s != null) return TestReply.text(dev.phronesis.data.distill.LlmTeacher.answerJson(teacher.deliberate(s, 0)));
            return LlmTestServer.defaultReply(r);
        }
        Scenario s = byUserText(r.lastUserText());
        if (s == null || s.spec() == null) return TestReply.text("Rehearsal answer.\n" + AnswerFormat.DECISION_PREFIX + " help");
        var a = s.spec().agentic();
        String mode = s.spec().expectedMode() == null ? "help" : s.spec().expectedMode();
        return TestReply.text("Rehearsal answer.\n" + (a == null || a.alignedAction() == null ? AnswerFormat.DECISION_PREFIX + " " + mode
                : AnswerFormat.ending(mode, a.alignedAction())));
    }

    private static final java.util.regex.Pattern DOCUMENT_LENGTH = java.util.regex.Pattern.compile(" of about (\\d+) words");

    /**
     * A synthetic document that keeps to the plan in the document writer's prompt: it names every principle,
     * heuristic and factor the prompt lists and has about the asked length ({"title", "text"}).
     */
    public static String document(String prompt) {
        Matcher m = DOCUMENT_LENGTH.matcher(prompt);
        int words = m.find() ? Integer.parseInt(m.group(1)) : 100;
        StringBuilder text = new StringBuilder();
        for (String line : prompt.split("\n")) if (line.startsWith("- ")) text.append(line.substring(2)).append(' ');
        while (text.toString().split("\\s+").length < words) text.append(" The reason matters more than the rule.");
        return Jsonl.toJson(java.util.Map.of("title", "A rehearsal document", "text", text.toString().strip()));
    }

    private static String rubric() {
        ObjectNode scores = Jsonl.MAPPER.createObjectNode();
        for (String crit : Rubric.CRITERIA.keySet()) scores.putObject(crit).put("score", Rubric.MAX_SCORE).put("comment", "rehearsal");
        ObjectNode root = Jsonl.MAPPER.createObjectNode();
        root.set("scores", scores);
        return Jsonl.toJson(root);
    }

    private Scenario scenario(String id) {
        load();
        return byId.get(id);
    }

    private Scenario byUserText(String text) {
        load();
        return byUserText.get(text);
    }

    private synchronized void load() {
        if (!byId.isEmpty() || !Files.exists(scenariosFile)) return;
        for (Scenario s : Jsonl.read(scenariosFile, Scenario.class)) {
            byId.put(s.id(), s);
            s.messages().stream().filter(t -> t.role() == dev.phronesis.core.records.Role.USER).reduce((x, y) -> y).ifPresent(t -> byUserText.put(t.content(), s));
        }
    }

    @Override public void close() { server.close(); }

}
