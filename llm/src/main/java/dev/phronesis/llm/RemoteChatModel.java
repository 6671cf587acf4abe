package dev.phronesis.llm;

/**
 * A model behind a network API. The engine drives it one {@link #attempt} at a time so that it can
 * apply its own retry, backoff and rate-limit policy; {@link #chat} is a single attempt for callers
 * that use a model without the engine.
 */
abstract class RemoteChatModel implements ChatModel {
    final ModelSpec spec;

    RemoteChatModel(ModelSpec spec) { this.spec = spec; }

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
