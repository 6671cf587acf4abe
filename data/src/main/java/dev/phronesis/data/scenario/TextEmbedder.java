package dev.phronesis.data.scenario;

import java.util.List;

/** Sentence embeddings, L2-normalised, for semantic dedup and diversity metrics. */
public interface TextEmbedder extends AutoCloseable {
    String id();

    int dimension();

    /** One unit-length vector per text, in order. */
    float[][] embed(List<String> texts);

    @Override default void close() {}

    /** all-MiniLM-L6-v2 in process (ONNX Runtime; the weights ship inside the langchain4j jar, no download). */
    static TextEmbedder miniLm() { return new MiniLmEmbedder(); }
}
