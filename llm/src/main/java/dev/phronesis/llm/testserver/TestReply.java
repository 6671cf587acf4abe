package dev.phronesis.llm.testserver;

import dev.phronesis.llm.ToolCall;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What {@link LlmTestServer} should answer to one request: an answer (text, reasoning, tool calls)
 * or a fault. Build with the static factories and {@code with...} helpers, e.g.
 * {@code TestReply.text("hi").withReasoning("because").after(Duration.ofMillis(50))}.
 */
public record TestReply(Kind kind, String text, String reasoning, List<ToolCall> toolCalls, String finishReason,
                        int status, Duration retryAfter, Duration delay) {
    public enum Kind {
        /** a normal 200 answer */
        ANSWER,
        /** HTTP 429 with Retry-After (seconds) and retry-after-ms headers */
        RATE_LIMITED,
        /** an HTTP error status with a protocol-shaped error body (5xx, or 4xx for client errors) */
        HTTP_ERROR,
        /** HTTP 200 whose body is not valid JSON */
        MALFORMED_JSON,
        /** HTTP 200 whose body stops half way and whose connection is then closed */
        TRUNCATED,
        /** HTTP 200 whose (well-formed) body trickles out over {@link #delay()}: slower than a client's read timeout */
        SLOW_BODY
    }

    public TestReply {
        Objects.requireNonNull(kind);
        text = text == null ? "" : text;
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        retryAfter = retryAfter == null ? Duration.ZERO : retryAfter;
        delay = delay == null ? Duration.ZERO : delay;
    }

    public static TestReply text(String text) { return new TestReply(Kind.ANSWER, text, null, List.of(), null, 200, null, null); }
    public static TestReply toolCalls(List<ToolCall> calls) { return new TestReply(Kind.ANSWER, "", null, calls, null, 200, null, null); }
    public static TestReply rateLimited(Duration retryAfter) { return new TestReply(Kind.RATE_LIMITED, null, null, null, null, 429, retryAfter, null); }
    public static TestReply httpError(int status) { return new TestReply(Kind.HTTP_ERROR, null, null, null, null, status, null, null); }
    public static TestReply serverError() { return httpError(500); }
    public static TestReply malformedJson() { return new TestReply(Kind.MALFORMED_JSON, null, null, null, null, 200, null, null); }
    public static TestReply truncated() { return new TestReply(Kind.TRUNCATED, null, null, null, null, 200, null, null); }
    /** A 200 answer of {@code text} whose body bytes trickle out evenly over {@code over} (headers at once). */
    public static TestReply slowBody(String text, Duration over) { return new TestReply(Kind.SLOW_BODY, text, null, null, null, 200, null, over); }

    /** For faults: the error message the server puts in its error body. */
    public TestReply withMessage(String m) { return new TestReply(kind, m, reasoning, toolCalls, finishReason, status, retryAfter, delay); }
    public TestReply withReasoning(String r) { return new TestReply(kind, text, r, toolCalls, finishReason, status, retryAfter, delay); }
    public TestReply withToolCalls(List<ToolCall> calls) { return new TestReply(kind, text, reasoning, calls, finishReason, status, retryAfter, delay); }
    public TestReply withFinishReason(String f) { return new TestReply(kind, text, reasoning, toolCalls, f, status, retryAfter, delay); }
    /** Answer only after {@code d} (on top of the server's service latency): a slow response. */
    public TestReply after(Duration d) { return new TestReply(kind, text, reasoning, toolCalls, finishReason, status, retryAfter, d); }
}
