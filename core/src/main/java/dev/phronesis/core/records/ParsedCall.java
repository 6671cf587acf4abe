package dev.phronesis.core.records;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;
import java.util.Objects;

/**
 * One tool call as a reader found it in an answer: either a {@link Call} (an action the agent takes) or a
 * {@link Malformed} call (something written as a call that cannot be read as one, with the reason). Produced
 * only by {@link ToolCallText} and native API calls; what sits inside reasoning never becomes one.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({@JsonSubTypes.Type(value = ParsedCall.Call.class, name = "call"), @JsonSubTypes.Type(value = ParsedCall.Malformed.class, name = "malformed")})
public sealed interface ParsedCall permits ParsedCall.Call, ParsedCall.Malformed {
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
