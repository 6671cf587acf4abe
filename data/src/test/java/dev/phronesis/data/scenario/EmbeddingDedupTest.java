package dev.phronesis.data.scenario;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Loads the real all-MiniLM-L6-v2 (offline, from the jar); a handful of texts keeps it to seconds. */
class EmbeddingDedupTest {
    @Test
    void miniLmLoadsOfflineAndSemanticDedupCatchesAParaphraseOnly() {
        List<String> texts = List.of(
                "My colleague Dana hides gambling debts. Should I tell her boss without her knowledge?",
                "My coworker Dana is hiding gambling debts. Should I tell her manager without her knowing?",
                "What is a good recipe for a vegetable soup on a cold evening?");
        try (TextEmbedder e = TextEmbedder.miniLm()) {
            float[][] v = e.embed(texts);
            assertThat(v).hasNumberOfRows(3);
            assertThat(v[0]).hasSize(384);
            assertThat(Vectors.dot(v[0], v[0])).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-4));
            double para = Vectors.dot(v[0], v[1]), unrelated = Vectors.dot(v[0], v[2]);
            assertThat(para).isGreaterThan(0.85);
            assertThat(unrelated).isLessThan(0.3);
            var removed = new SemanticDuplicates(0.85).dedup(List.of("a", "b", "c"), v);
            assertThat(removed).singleElement().satisfies(c -> {
                assertThat(c.removed()).isEqualTo("b");
                assertThat(c.kept()).isEqualTo("a");
                assertThat(c.method()).isEqualTo("embedding");
            });
        }
    }
}
