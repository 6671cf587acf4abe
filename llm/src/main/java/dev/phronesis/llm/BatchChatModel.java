package dev.phronesis.llm;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model behind a batch API (OpenAI Batch, Anthropic Message Batches): requests are submitted in
 * bulk under custom ids (their journal keys), polled, and collected. The engine's {@link BatchRunner}
 * persists batch ids before polling, so a restarted process resumes the same batches.
 * {@link #chat} submits a batch of one and waits; use {@link LlmEngine#chatAll} for real work.
 */
abstract class BatchChatModel implements ChatModel {
    /** Default wait between polls; batches take minutes to hours. Override with {@code params.poll_interval}. */
    static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(30);

    final ModelSpec spec;

    BatchChatModel(ModelSpec spec) { this.spec = spec; }

    ModelSpec spec() { return spec; }

    @Override public String id() { return spec.id(); }

    /** Most requests per submitted batch. */
    abstract int maxBatchSize();

    /** Submits the requests under their custom ids and returns the batch id. */
    abstract String submit(List<Map.Entry<String, ChatRequest>> items) throws AttemptException;

    /** Empty while the batch is still running; when it has ended, the result of every custom id it knows. */
    abstract Optional<Map<String, ChatResult>> poll(String batchId) throws AttemptException;

    Duration pollInterval() {
        Object v = spec.params().get("poll_interval");
        if (v == null) return DEFAULT_POLL_INTERVAL;
        String s = v.toString().trim();
        if (s.endsWith("ms")) return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
        if (s.endsWith("s")) return Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1).trim()) * 1000));
        if (s.endsWith("m")) return Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1).trim()) * 60_000));
        return Duration.ofMillis((long) (Double.parseDouble(s) * 1000));
    }

    /** Parameters that steer the batch machinery and are not sent to the model. */
    static boolean isControlParam(String k) { return k.equals("poll_interval") || k.equals("max_batch_size"); }

    @Override public ChatResult chat(ChatRequest request) {
        try (LlmEngine e = LlmEngine.open(null).progress(null)) {
            return e.chatAll(this, List.of(request), "batch-of-one").getFirst();
        }
    }

    @Override public String toString() { return spec.name() + " (" + spec.backend().wire() + ":" + spec.model() + "@" + spec.baseUrl() + ")"; }
}
