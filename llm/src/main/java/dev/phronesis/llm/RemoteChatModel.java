package dev.phronesis.llm;

/**
 * A model behind a network API. The engine drives it one {@link #attempt} at a time so that it can
 * apply its own retry, backoff and rate-limit policy; {@link #chat} is a single attempt for callers
 * that use a model without the engine.
 */
abstract class RemoteChatModel implements ChatModel {
    final ModelSpec spec;

    /** Idle keep-alive connections are kept this long, so a full concurrency window reuses sockets. */
    static final java.time.Duration KEEP_ALIVE = java.time.Duration.ofMinutes(5);
    /** The fewest idle connections a client keeps, whatever the model's in-flight limit. */
    static final int MIN_IDLE_CONNECTIONS = 5;
    /** What a backend without structured output (or a model set to {@code structured_output: prompt}) is told before the schema. */
    static final String SCHEMA_INSTRUCTION = "Answer with only a JSON value (no prose, no code fences) that satisfies this JSON Schema:\n";

    RemoteChatModel(ModelSpec spec) { this.spec = spec; }

    /** The key the SDK is given: a local server needs none, but the SDKs refuse an empty one. */
    static String keyOrPlaceholder(String apiKey) { return apiKey == null || apiKey.isBlank() ? "no-key" : apiKey; }

    /** Idle connections a client keeps: one per request the model may have in flight. */
    int idleConnections() { return Math.max(MIN_IDLE_CONNECTIONS, spec.limits().maxInFlight()); }

    /** One attempt; throws with the failure's kind, retryability and Retry-After. */
    abstract ChatResult.Completed attempt(ChatRequest request) throws AttemptException;

    @Override public String id() { return spec.id(); }

    ModelSpec spec() { return spec; }

    @Override public ChatResult chat(ChatRequest request) {
        try {
            return attempt(request);
        } catch (AttemptException e) {
            return e.toFailed(1);
        }
    }

    @Override public String toString() { return spec.name() + " (" + spec.backend().wire() + ":" + spec.model() + "@" + spec.baseUrl() + ")"; }
}
