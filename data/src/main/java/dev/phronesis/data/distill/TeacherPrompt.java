package dev.phronesis.data.distill;

import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.Constitution.Factor;
import dev.phronesis.core.constitution.ConstitutionRenderer;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.FactorAssessment;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.core.records.Turn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The teacher's prompt: the whole constitution (principles, hard constraints, heuristics, factor scales
 * with anchors, decision policy) and the request for a structured deliberation, plus the JSON Schema the
 * answer must satisfy and the parser that turns an answer back into a {@link Deliberation}.
 * The constitution appears only here, never in a training prompt (context distillation).
 */
public final class TeacherPrompt {
    public static final String SCHEMA_NAME = "deliberation";

    private TeacherPrompt() {}

    public static String system(Constitution c, Verbosity v) {
        return """
                You are the teacher in a deliberative-alignment pipeline. You will see a scenario that an AI assistant faces. \
                Deliberate about it strictly by the constitution below, then write the assistant's final response.

                %s
                Answer with one JSON object (no prose around it) with these fields:
                - population: who might send this, as the 1,000-users test: the mix of intents in words.
                - intent_mix: counts per intent id (%s) adding up to 1000.
                - principles_at_stake: the ids of the principles at stake.
                - heuristic_findings: for each heuristic id (%s), one sentence on what it finds.
                - harms: for EVERY harm factor (%s): {factor, level (a label of its scale), rationale (one line)}.
                - benefits: for every benefit (%s): {factor, level, rationale}.
                - flags: the hard-constraint flags that apply (%s), usually none.
                - weighing: how the harms and benefits weigh against each other.
                - decision: one response mode id (%s).
                - reasoning: the deliberation in natural language, walking through the steps above (%s).
                - response: the final answer to the user. It must end with the line "%s" and, when the assistant acts through tools, \
                exactly one tool call on the next line written as %s{"name": ..., "arguments": {...}}%s. Do not moralise.
                """.formatted(ConstitutionRenderer.text(c),
                String.join(", ", c.population().intents().stream().map(Constitution.Intent::id).toList()),
                String.join(", ", c.heuristics().stream().map(Constitution.Heuristic::id).toList()),
                String.join(", ", c.harmFactors().stream().map(Factor::id).toList()),
                String.join(", ", c.benefits().stream().map(Factor::id).toList()),
                String.join(", ", c.hardConstraints().stream().map(Constitution.HardConstraint::flag).toList()),
                String.join(", ", c.decision().modes().stream().map(Constitution.Mode::id).toList()),
                v == Verbosity.COMPACT ? "at most 60 words: the senders, the 2-3 decisive factors, the decision" : "thorough but without repetition",
                AnswerFormat.decisionLine("<decision>"), AnswerFormat.CALL_OPEN, AnswerFormat.CALL_CLOSE);
    }

    /** The scenario as the teacher sees it: the transcript and, for agents, the tools. */
    public static String scenario(Scenario s) {
        StringBuilder b = new StringBuilder();
        b.append("Scenario ").append(s.id()).append(" (").append(s.form().wire()).append(" form)\n\n");
        for (Turn t : s.messages()) b.append("[").append(t.role().wire()).append("]\n").append(t.content()).append("\n\n");
        if (s.form() == Form.AGENTIC && !s.tools().isEmpty()) {
            b.append("Tools available to the assistant:\n");
            for (ToolDef t : s.tools()) b.append("- ").append(t.name()).append(": ").append(t.description()).append(" parameters ").append(t.parametersSchemaJson()).append('\n');
        }
        return b.toString();
    }

    /** JSON Schema (as JSON text) of the structured deliberation, with the constitution's ids as enums. */
    public static String schemaJson(Constitution c) {
        ObjectNode root = Jsonl.MAPPER.createObjectNode();
        root.put("type", "object");
        root.put("additionalProperties", false);
        ObjectNode p = root.putObject("properties");
        p.putObject("population").put("type", "string");
        ObjectNode mix = p.putObject("intent_mix");
        mix.put("type", "object");
        ObjectNode mixProps = mix.putObject("properties");
        for (var i : c.population().intents()) mixProps.putObject(i.id()).put("type", "integer").put("minimum", 0);
        p.putObject("principles_at_stake").put("type", "array").putObject("items").put("type", "string")
                .set("enum", strings(c.principles().stream().map(Constitution.Principle::id).toList()));
        ObjectNode hf = p.putObject("heuristic_findings");
        hf.put("type", "object");
        ObjectNode hfp = hf.putObject("properties");
        for (var h : c.heuristics()) hfp.putObject(h.id()).put("type", "string");
        hf.set("required", strings(c.heuristics().stream().map(Constitution.Heuristic::id).toList()));
        p.set("harms", factorArray(c.harmFactors()));
        p.set("benefits", factorArray(c.benefits()));
        p.putObject("flags").put("type", "array").putObject("items").put("type", "string")
                .set("enum", strings(c.hardConstraints().stream().map(Constitution.HardConstraint::flag).toList()));
        p.putObject("weighing").put("type", "string");
        p.putObject("decision").put("type", "string").set("enum", strings(c.decision().modes().stream().map(Constitution.Mode::id).toList()));
        p.putObject("reasoning").put("type", "string");
        p.putObject("response").put("type", "string");
        root.set("required", strings(List.of("population", "intent_mix", "principles_at_stake", "heuristic_findings", "harms", "benefits",
                "flags", "weighing", "decision", "reasoning", "response")));
        return Jsonl.toJson(root);
    }

    private static ObjectNode factorArray(List<Factor> factors) {
        ObjectNode a = Jsonl.MAPPER.createObjectNode();
        a.put("type", "array");
        ObjectNode item = a.putObject("items");
        item.put("type", "object");
        ObjectNode ip = item.putObject("properties");
        ip.putObject("factor").put("type", "string").set("enum", strings(factors.stream().map(Factor::id).toList()));
        ip.putObject("level").put("type", "string");
        ip.putObject("rationale").put("type", "string");
        item.set("required", strings(List.of("factor", "level", "rationale")));
        return a;
    }

    private static ArrayNode strings(List<String> xs) {
        ArrayNode a = Jsonl.MAPPER.createArrayNode();
        xs.forEach(a::add);
        return a;
    }

    /**
     * Parses a teacher's JSON answer. Never throws: malformed output gives a deliberation with a null
     * decision and the raw text in {@code response}; unknown factors or levels keep level -1 so the schema
     * gate names them. A missing reasoning text is rendered from the structure.
     */
    public static Deliberation parse(Constitution c, String scenarioId, int sampleIndex, String teacher, String raw, Map<String, Long> usage) {
        JsonNode n;
        try {
            n = Jsonl.MAPPER.readTree(stripFence(raw));
        } catch (Exception e) {
            n = null;
        }
        if (n == null || !n.isObject()) return new Deliberation(scenarioId, sampleIndex, teacher, null, null, null, null, null, null, null, null, 0, null, raw, usage);
        Map<String, Integer> mix = new LinkedHashMap<>();
        n.path("intent_mix").properties().forEach(e -> mix.put(e.getKey(), e.getValue().asInt(-1)));
        List<String> principles = new ArrayList<>();
        n.path("principles_at_stake").forEach(x -> principles.add(x.asText()));
        Map<String, String> findings = new LinkedHashMap<>();
        n.path("heuristic_findings").properties().forEach(e -> findings.put(e.getKey(), e.getValue().asText()));
        List<FactorAssessment> harms = factors(n.path("harms"), c.harmFactors());
        List<FactorAssessment> benefits = factors(n.path("benefits"), c.benefits());
        List<String> flags = new ArrayList<>();
        n.path("flags").forEach(x -> flags.add(x.asText()));
        String decision = n.path("decision").isTextual() ? n.path("decision").asText() : null;
        String population = n.path("population").asText("");
        String reasoning = n.path("reasoning").asText("");
        if (reasoning.isBlank() && decision != null) {
            reasoning = ReasoningWriter.fromStructure(population, principles, findings, harms, benefits, n.path("weighing").asText(""), decision);
        }
        return new Deliberation(scenarioId, sampleIndex, teacher, population, mix, principles, findings, harms, benefits, flags,
                decision, 0, reasoning, n.path("response").asText(""), usage);
    }

    private static List<FactorAssessment> factors(JsonNode arr, List<Factor> scale) {
        List<FactorAssessment> out = new ArrayList<>();
        for (JsonNode x : arr) {
            String id = x.path("factor").asText("");
            String level = x.path("level").asText("");
            int lvl = scale.stream().filter(f -> f.id().equals(id)).findFirst().flatMap(f -> f.levelOf(level)).orElse(-1);
            String label = lvl >= 0 ? scale.stream().filter(f -> f.id().equals(id)).findFirst().orElseThrow().label(lvl) : level;
            out.add(new FactorAssessment(id, lvl, label, x.path("rationale").asText("")));
        }
        return out;
    }

    /** Models sometimes wrap JSON in a Markdown fence; accept that, nothing looser. */
    private static String stripFence(String raw) {
        String t = raw == null ? "" : raw.strip();
        if (t.startsWith("```")) {
            int nl = t.indexOf('\n');
            int end = t.lastIndexOf("```");
            if (nl > 0 && end > nl) return t.substring(nl + 1, end);
        }
        return t;
    }
}
