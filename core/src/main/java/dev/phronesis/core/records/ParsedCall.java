package dev.phronesis.core.records;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One tool call as a reader found it in an answer: either a {@link Call} (an action the agent takes) or a
 * {@link Malformed} call (something written as a call that cannot be read as one, with the reason). Produced
 * only by {@link ToolCallText} and native API calls; what sits inside reasoning never becomes one.
 */
public sealed interface ParsedCall permits ParsedCall.Call, ParsedCall.Malformed {
    /**
     * Reads either record by its fields ({@code action} or {@code problem}), and the flat form results files written before
     * this type was sealed ({@code tool}, {@code arguments}, {@code malformed}, source {@code text}), so older run directories still load.
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static ParsedCall fromJson(JsonNode n) {
        String src = n.path("source").asText("native");
        Source source = src.equals("text") ? Source.TOOL_CALL : Source.parse(src);
        String raw = n.path("raw").asText("");
        if (n.has("action")) return new Call(source, Jsonl.MAPPER.convertValue(n.get("action"), Action.class), raw);
        if (n.has("problem")) return new Malformed(source, n.get("problem").asText(), raw);
        if (n.path("malformed").asBoolean(false) || !n.path("tool").isTextual()) return new Malformed(source, "unreadable call", raw);
        Map<String, String> args = new LinkedHashMap<>();
        n.path("arguments").properties().forEach(e -> args.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        return new Call(source, new Action(n.get("tool").asText(), args), raw);
    }

    /** Where the call was written. */
    Source source();

    /** The call exactly as the model wrote it. */
    String raw();

    /** A call that reads as a tool and its arguments. */
    record Call(Source source, Action action, String raw) implements ParsedCall {
        public Call {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(action, "action");
            raw = raw == null ? "" : raw;
        }

        public String tool() { return action.tool(); }
    }

    /** Something written as a call that cannot be read as one; {@code problem} says why in a few words. */
    record Malformed(Source source, String problem, String raw) implements ParsedCall {
        public Malformed {
            Objects.requireNonNull(source, "source");
            problem = problem == null || problem.isBlank() ? "unreadable call" : problem;
            raw = raw == null ? "" : raw;
        }
    }

    /** How the call was written. */
    enum Source {
        /** The API's own tool_calls field. */
        NATIVE,
        /** {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>} (Hermes/Qwen, the project's own format). */
        TOOL_CALL,
        /** {@code <tool_use:NAME>key: "value", ...</tool_use:NAME>} (the Agentic Misalignment framework's text format). */
        TOOL_USE;

        @JsonValue public String wire() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

        @JsonCreator public static Source parse(String s) {
            String k = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            for (Source v : values()) if (v.name().equals(k)) return v;
            throw new IllegalArgumentException("call source must be one of native, tool-call, tool-use, got '" + s + "'");
        }
    }
}
