package dev.phronesis.llm;

import java.time.Duration;
import java.util.List;

/** The outcome of one request. Closed: handle every case with a {@code switch} without {@code default}. */
public sealed interface ChatResult permits ChatResult.Completed, ChatResult.Failed {

    /**
     * @param content      the assistant's visible text
     * @param reasoning    the separated reasoning text, or null where the server returned none
     * @param toolCalls    tool calls the assistant made (raw arguments)
     * @param finishReason as reported ({@code stop}, {@code length}, {@code tool_calls}, ...)
     * @param fromJournal  true when served from the journal/cache rather than paid for now
     */
    record Completed(String content, String reasoning, List<ToolCall> toolCalls, String finishReason,
                     Usage usage, Duration latency, boolean fromJournal) implements ChatResult {
        public Completed {
            content = content == null ? "" : content;
            toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
            usage = usage == null ? Usage.NONE : usage;
            latency = latency == null ? Duration.ZERO : latency;
        }
        public Completed asFromJournal() { return new Completed(content, reasoning, toolCalls, finishReason, usage, latency, true); }
    }

    /**
     * A request that could not be completed after the engine's retries.
     *
     * @param kind     what went wrong, for accounting and for the retry policy
     * @param message  one line for humans; never contains an API key
     * @param attempts how many attempts were made
     */
    record Failed(Kind kind, String message, int attempts) implements ChatResult {
        public enum Kind { RATE_LIMITED, SERVER_ERROR, TIMEOUT, MALFORMED_RESPONSE, SCHEMA_VIOLATION, CLIENT_ERROR, TRANSPORT }
    }
}
