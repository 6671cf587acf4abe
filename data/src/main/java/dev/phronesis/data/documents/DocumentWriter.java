package dev.phronesis.data.documents;

/** Turns a planned document into text: {@link ScriptedDocumentWriter} offline, {@link LlmDocumentWriter} through the engine. */
public interface DocumentWriter {
    /** Recorded in every document's provenance, e.g. {@code scripted:v1} or {@code llm:<model>}. */
    String id();

    Written write(DocumentSpec spec);

    /**
     * Called once with every document still to write, before any {@link #write}: a writer whose model answers
     * through a batch API asks for all first attempts at once (the answers land in the journal, where each
     * {@code write} then finds its own). Nothing by default.
     */
    default void prefetch(java.util.List<DocumentSpec> specs) {}

    /** A written document, or why none could be written (kept in rejected.jsonl with the reason). */
    sealed interface Written {
        record Text(String title, String text) implements Written {}

        /** @param retryable true when the failure was not the model's answer (auth, network, 5xx): a rerun asks again */
        record Failed(String reason, boolean retryable) implements Written {}
    }
}
