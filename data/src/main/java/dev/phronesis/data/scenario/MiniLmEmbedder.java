package dev.phronesis.data.scenario;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

import java.util.ArrayList;
import java.util.List;

/**
 * all-MiniLM-L6-v2 through langchain4j's in-process ONNX model. The model is loaded once per instance
 * (about 6 s on 2 cores); embedding is thread-safe. Vectors are re-normalised so cosine = dot product.
 */
final class MiniLmEmbedder implements TextEmbedder {
    /** Texts per call to the model: large enough to amortise call overhead, small enough to bound memory. */
    private static final int BATCH = 256;
    private static final int DIMENSION = 384;

    private volatile AllMiniLmL6V2EmbeddingModel model;

    private AllMiniLmL6V2EmbeddingModel model() {
        var m = model;
        if (m == null) {
            synchronized (this) {
                if (model == null) {
                    // langchain4j logs through SLF4J; without a provider SLF4J prints a 3-line warning on stderr
                    if (System.getProperty("slf4j.internal.verbosity") == null) System.setProperty("slf4j.internal.verbosity", "ERROR");
                    model = new AllMiniLmL6V2EmbeddingModel();
                }
                m = model;
            }
        }
        return m;
    }

    @Override public String id() { return "all-minilm-l6-v2"; }

    @Override public int dimension() { return DIMENSION; }

    @Override
    public float[][] embed(List<String> texts) {
        AllMiniLmL6V2EmbeddingModel m = model(); // first: it quiets SLF4J before any langchain4j class logs
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += BATCH) {
            List<TextSegment> segs = new ArrayList<>();
            for (int i = from; i < Math.min(texts.size(), from + BATCH); i++) {
                String t = texts.get(i);
                segs.add(TextSegment.from(t.isBlank() ? "(empty)" : t));
            }
            List<Embedding> res = m.embedAll(segs).content();
            for (int i = 0; i < res.size(); i++) out[from + i] = Vectors.normalise(res.get(i).vector());
        }
        return out;
    }
}
