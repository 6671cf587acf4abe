package dev.phronesis.llm;

/**
 * Anything that answers chat requests: a remote OpenAI-compatible or Anthropic model, a batch API,
 * the scripted organism, or the embedded DJL student. Deliberately small so that every stage and
 * every backend can meet here.
 *
 * <p>Implementations must be safe to call from many (virtual) threads at once. A backend never
 * throws for a failed request; it returns {@link ChatResult.Failed} with a clear message (and never
 * the API key), so that one bad request never aborts a run.
 */
public interface ChatModel extends AutoCloseable {

    /** A stable identity of the model behind this backend, e.g. {@code openai:gpt-4o-mini} or {@code embedded:runs/x/sft}. Part of every cache key. */
    String id();

    /** Answers one request, blocking the calling (virtual) thread. */
    ChatResult chat(ChatRequest request);

    @Override default void close() {}
}
