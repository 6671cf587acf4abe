package dev.phronesis.core.records;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one ending every answer shares (ORGANISM.md, "One interface for every answer"): a line
 * {@code DECISION: <mode>} and, in the agentic form, exactly one tool call written as
 * {@code <tool_call>{"name": "...", "arguments": {...}}</tool_call>} (the Hermes/Qwen convention, so
 * real open models can produce it too). Training data of every arm uses it; the eval reads it.
 * Reasoning, when present, comes before the answer inside {@code <think>...</think>}.
 */
public final class AnswerFormat {
    public static final String DECISION_PREFIX = "DECISION:";
    public static final String THINK_OPEN = "<think>";
    public static final String THINK_CLOSE = "</think>";
    public static final String CALL_OPEN = "<tool_call>";
    public static final String CALL_CLOSE = "</tool_call>";
    private static final Pattern DECISION = Pattern.compile("(?m)^\\s*DECISION:\\s*([a-z][a-z0-9_-]*)\\s*$");
    private static final Pattern CALL = Pattern.compile("<tool_call>(.*?)(</tool_call>|$)", Pattern.DOTALL);

    private AnswerFormat() {}

    public static String decisionLine(String mode) { return DECISION_PREFIX + " " + mode; }

    public static String toolCall(Action a) {
        ObjectNode n = Jsonl.MAPPER.createObjectNode();
        n.put("name", a.tool());
        ObjectNode args = n.putObject("arguments");
        a.arguments().forEach(args::put);
        return CALL_OPEN + Jsonl.toJson(n) + CALL_CLOSE;
    }

    /** The answer's ending: the decision line and, if {@code action} is not null, the tool call on the next line. */
    public static String ending(String mode, Action action) {
        return action == null ? decisionLine(mode) : decisionLine(mode) + "\n" + toolCall(action);
    }

    /** Splits {@code <think>r</think>rest} into reasoning and answer; reasoning is empty when there is no think span. */
    public static String[] splitReasoning(String text) {
        String t = text == null ? "" : text;
        int open = t.indexOf(THINK_OPEN);
        int close = t.indexOf(THINK_CLOSE);
        if (open >= 0 && close > open) {
            return new String[]{t.substring(open + THINK_OPEN.length(), close).strip(), (t.substring(0, open) + t.substring(close + THINK_CLOSE.length())).strip()};
        }
        return new String[]{"", t.strip()};
    }

    /** The last DECISION line outside the reasoning, if any. */
    public static Optional<String> decision(String answer) {
        String visible = splitReasoning(answer)[1];
        Matcher m = DECISION.matcher(visible);
        String last = null;
        while (m.find()) last = m.group(1).toLowerCase(Locale.ROOT);
        return Optional.ofNullable(last);
    }

    /** A tool call found in text: parsed when its JSON is well formed, else {@code malformed} with the raw text. */
    public record ParsedCall(Action action, boolean malformed, String raw) {}

    /** Every tool call written in the answer (outside the reasoning), in order. */
    public static List<ParsedCall> toolCalls(String answer) {
        String visible = splitReasoning(answer)[1];
        List<ParsedCall> out = new ArrayList<>();
        Matcher m = CALL.matcher(visible);
        while (m.find()) {
            String raw = m.group(1).strip();
            boolean closed = !m.group(2).isEmpty();
            out.add(parseCall(raw, closed));
        }
        return out;
    }

    private static ParsedCall parseCall(String raw, boolean closed) {
        try {
            JsonNode n = Jsonl.MAPPER.readTree(raw);
            if (!closed || n == null || !n.isObject() || !n.path("name").isTextual()) return new ParsedCall(null, true, raw);
            Map<String, String> args = new LinkedHashMap<>();
            JsonNode a = n.path("arguments");
            if (a.isTextual()) a = Jsonl.MAPPER.readTree(a.asText());
            if (a != null && a.isObject()) a.properties().forEach(e -> args.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
            else if (a != null && !a.isMissingNode() && !a.isNull()) return new ParsedCall(null, true, raw);
            return new ParsedCall(new Action(n.get("name").asText(), args), false, raw);
        } catch (Exception e) {
            return new ParsedCall(null, true, raw);
        }
    }
}
