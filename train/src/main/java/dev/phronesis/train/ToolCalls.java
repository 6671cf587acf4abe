package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.llm.ToolCall;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tool calls written in generated text the Hermes/Qwen way,
 * {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}, taken out of the text into
 * OpenAI-shaped calls (arguments as a JSON string). A span whose JSON is not a call stays in the
 * text, so nothing the model wrote is lost.
 */
public final class ToolCalls {
    private static final Pattern CALL = Pattern.compile(Pattern.quote(AnswerFormat.CALL_OPEN) + "\\s*(.*?)\\s*" + Pattern.quote(AnswerFormat.CALL_CLOSE), Pattern.DOTALL);

    /** The text without its well-formed call spans, and those calls in order. */
    public record Extracted(String content, List<ToolCall> calls) {}

    private ToolCalls() {}

    public static Extracted extract(String text) {
        List<ToolCall> calls = new ArrayList<>();
        StringBuilder rest = new StringBuilder();
        Matcher m = CALL.matcher(text);
        int from = 0;
        while (m.find()) {
            ToolCall c = call(m.group(1));
            if (c == null) continue;
            rest.append(text, from, m.start());
            from = m.end();
            calls.add(c);
        }
        rest.append(text.substring(from));
        return new Extracted(calls.isEmpty() ? text : rest.toString().strip(), calls);
    }

    private static ToolCall call(String json) {
        try {
            JsonNode n = Json.MAPPER.readTree(json);
            if (n == null || !n.isObject() || !n.path("name").isTextual()) return null;
            JsonNode a = n.path("arguments");
            String args = a.isTextual() ? a.asText() : a.isMissingNode() || a.isNull() ? "{}" : Json.MAPPER.writeValueAsString(a);
            return new ToolCall("call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24), n.get("name").asText(), args);
        } catch (Exception e) {
            return null;
        }
    }
}
