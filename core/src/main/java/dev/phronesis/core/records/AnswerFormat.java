package dev.phronesis.core.records;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;
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

    private AnswerFormat() {}

    public static String decisionLine(String mode) { return DECISION_PREFIX + " " + mode; }

    public static String toolCall(Action a) {
        ObjectNode n = Jsonl.MAPPER.createObjectNode();
        n.put("name", a.tool());
        ObjectNode args = n.putObject("arguments");
        new java.util.TreeMap<>(a.arguments()).forEach(args::put); // sorted, as every JSON map the project writes (and the catalogue's schemas) is
        return CALL_OPEN + Jsonl.toJson(n) + CALL_CLOSE;
    }

    /** The answer's ending: the decision line and, if {@code action} is not null, the tool call on the next line. */
    public static String ending(String mode, Action action) {
        return action == null ? decisionLine(mode) : decisionLine(mode) + "\n" + toolCall(action);
    }

    /** The last DECISION line outside the reasoning, if any. */
    public static Optional<String> decision(String answer) {
        String visible = AnswerParser.split(answer).visible();
        Matcher m = DECISION.matcher(visible);
        String last = null;
        while (m.find()) last = m.group(1).toLowerCase(Locale.ROOT);
        return Optional.ofNullable(last);
    }

    /** Every tool call written in the answer outside its reasoning, in order (see {@link AnswerParser}). */
    public static List<ParsedCall> toolCalls(String answer) { return AnswerParser.calls(answer); }
}
