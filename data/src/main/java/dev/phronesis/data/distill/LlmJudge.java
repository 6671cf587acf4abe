package dev.phronesis.data.distill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionRenderer;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.FactorAssessment;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real model as judge. It sees the constitution, the rubric, the scenario and the deliberation and
 * returns {@code {"scores": {criterion: {"score": 1..5, "comment": "..."}}}} through a JSON Schema.
 * Temperature 0: a judge should not be creative.
 */
public final class LlmJudge implements Judge {
    /** A verdict is short. */
    public static final int MAX_OUTPUT_TOKENS = 1024;
    public static final String SCHEMA_NAME = "judge_verdict";

    private final ChatModel model;
    private final String systemPrompt;
    private final String schema;

    public LlmJudge(ChatModel model, Constitution c) {
        this.model = model;
        StringBuilder rubric = new StringBuilder();
        Rubric.CRITERIA.forEach((k, v) -> rubric.append("- ").append(k).append(": ").append(v).append('\n'));
        this.systemPrompt = """
                You judge training data for an AI assistant. Each item is a scenario, a teacher's deliberation about it under the \
                constitution below, and the final response. Score every rubric criterion from 1 (bad) to %d (excellent) with a one-line comment.

                %s
                Rubric:
                %s
                Answer with one JSON object: {"scores": {"<criterion>": {"score": <1-%d>, "comment": "..."}}} covering every criterion.
                """.formatted(Rubric.MAX_SCORE, ConstitutionRenderer.text(c), rubric, Rubric.MAX_SCORE);
        this.schema = schemaJson();
    }

    @Override public String id() { return "llm:" + model.id(); }

    @Override public JudgeVerdict judge(Scenario s, Deliberation d) {
        ChatRequest req = ChatRequest.of(List.of(ChatMessage.system(systemPrompt), ChatMessage.user(item(s, d))))
                .withSampling(0.0, 1.0, MAX_OUTPUT_TOKENS)
                .withSchema(SCHEMA_NAME, schema)
                .withTag("judge/" + s.id() + "#" + d.sampleIndex());
        return switch (model.chat(req)) {
            case ChatResult.Completed done -> parse(id(), done.content());
            case ChatResult.Failed failed when !LlmTeacher.retryable(failed.kind()) -> JudgeVerdict.unreadable(id(), failed.kind() + ": " + oneLine(failed.message()));
            case ChatResult.Failed failed -> throw new Judge.Unavailable("judge " + id() + " failed on " + s.id() + "#" + d.sampleIndex()
                    + " (" + failed.kind() + "): " + failed.message());
        };
    }

    static String item(Scenario s, Deliberation d) {
        StringBuilder b = new StringBuilder(TeacherPrompt.scenario(s));
        b.append("Deliberation\n");
        b.append("population: ").append(d.population()).append('\n');
        b.append("principles at stake: ").append(d.principlesAtStake()).append('\n');
        d.heuristicFindings().forEach((k, v) -> b.append("heuristic ").append(k).append(": ").append(v).append('\n'));
        for (FactorAssessment f : d.harms()) b.append("harm ").append(f.factor()).append(" = ").append(f.label()).append(": ").append(f.rationale()).append('\n');
        for (FactorAssessment f : d.benefits()) b.append("benefit ").append(f.factor()).append(" = ").append(f.label()).append(": ").append(f.rationale()).append('\n');
        b.append("flags: ").append(d.flags()).append("\ndecision: ").append(d.decision()).append("\n\nReasoning\n").append(d.reasoning())
                .append("\n\nResponse\n").append(d.response()).append('\n');
        return b.toString();
    }

    static JudgeVerdict parse(String judge, String raw) {
        JsonNode n;
        try {
            n = Jsonl.MAPPER.readTree(raw == null ? "" : raw.strip());
        } catch (Exception e) {
            return JudgeVerdict.unreadable(judge, "not JSON: " + oneLine(e.getMessage()));
        }
        if (n == null || !n.path("scores").isObject()) return JudgeVerdict.unreadable(judge, "no \"scores\" object");
        Map<String, Integer> scores = new LinkedHashMap<>();
        Map<String, String> comments = new LinkedHashMap<>();
        for (var e : n.path("scores").properties()) {
            if (!Rubric.CRITERIA.containsKey(e.getKey())) continue;
            JsonNode v = e.getValue();
            JsonNode score = v.isObject() ? v.path("score") : v;
            if (!score.canConvertToInt() || score.asInt() < 1 || score.asInt() > Rubric.MAX_SCORE) {
                return JudgeVerdict.unreadable(judge, e.getKey() + ": score '" + score + "' is not within 1.." + Rubric.MAX_SCORE);
            }
            scores.put(e.getKey(), score.asInt());
            comments.put(e.getKey(), v.path("comment").asText(""));
        }
        return new JudgeVerdict.Scored(judge, scores, comments);
    }

    private static String schemaJson() {
        ObjectNode root = Jsonl.MAPPER.createObjectNode();
        root.put("type", "object");
        ObjectNode scores = root.putObject("properties").putObject("scores");
        scores.put("type", "object");
        ObjectNode props = scores.putObject("properties");
        for (String k : Rubric.CRITERIA.keySet()) {
            ObjectNode c = props.putObject(k);
            c.put("type", "object");
            ObjectNode cp = c.putObject("properties");
            cp.putObject("score").put("type", "integer").put("minimum", 1).put("maximum", Rubric.MAX_SCORE);
            cp.putObject("comment").put("type", "string");
            c.putArray("required").add("score").add("comment");
        }
        var req = scores.putArray("required");
        Rubric.CRITERIA.keySet().forEach(req::add);
        root.putArray("required").add("scores");
        return Jsonl.toJson(root);
    }

    static String oneLine(String s) {
        String t = s == null ? "" : s.replaceAll("\\s+", " ").strip();
        return t.length() > 200 ? t.substring(0, 200) + "…" : t;
    }
}
