package dev.phronesis.data.documents;

import dev.phronesis.data.scenario.DiversityStats;
import dev.phronesis.data.scenario.TextEmbedder;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Diversity and coverage of a document set, like {@code scenarios stats}: distinct-n, the Vendi score
 * and mean cosine over all-MiniLM-L6-v2 embeddings (when an embedder is given), words, and the genre ×
 * item coverage table (how many documents of each genre cover each principle, heuristic and factor).
 */
public record DocumentStats(int documents, double distinct1, double distinct2, double distinct3, Double vendi,
                            Double meanCosine, String embedder, long words, Map<String, Integer> genres,
                            Map<String, Map<String, Integer>> coverageByGenre, Map<String, Integer> coverage,
                            int minCoverage, List<String> shortfall, Map<String, Integer> settings) {

    public static DocumentStats compute(List<Document> docs, Map<String, Integer> coverage, int minCoverage, TextEmbedder embedder) {
        List<List<String>> tokens = docs.stream().map(d -> DiversityStats.tokens(d.text())).toList();
        Double vendi = null, cos = null;
        if (embedder != null && docs.size() > 1) {
            float[][] x = embedder.embed(docs.stream().map(Document::text).toList());
            vendi = DiversityStats.vendi(x);
            cos = DiversityStats.meanPairwiseCosine(x);
        }
        Map<String, Integer> genres = new TreeMap<>(), settings = new TreeMap<>();
        Map<String, Map<String, Integer>> table = new TreeMap<>();
        for (String item : coverage.keySet()) table.put(item, new TreeMap<>());
        long words = 0;
        for (Document d : docs) {
            words += d.words();
            genres.merge(d.spec().genre().wire(), 1, Integer::sum);
            settings.merge(d.spec().family(), 1, Integer::sum);
            for (String item : d.spec().items()) table.computeIfAbsent(item, k -> new TreeMap<>()).merge(d.spec().genre().wire(), 1, Integer::sum);
        }
        List<String> shortfall = coverage.entrySet().stream().filter(e -> e.getValue() < minCoverage).map(Map.Entry::getKey).toList();
        return new DocumentStats(docs.size(), DiversityStats.distinct(tokens, 1), DiversityStats.distinct(tokens, 2), DiversityStats.distinct(tokens, 3),
                vendi, cos, embedder == null ? null : embedder.id(), words, genres, table, new TreeMap<>(coverage), minCoverage, shortfall, settings);
    }

    /** The coverage table as Markdown: one row per item, one column per genre, and the total. */
    public String markdown() {
        List<String> gs = Genre.wires();
        StringBuilder b = new StringBuilder("| item | ").append(String.join(" | ", gs)).append(" | total |\n|---|");
        b.append("---|".repeat(gs.size() + 1)).append('\n');
        for (var e : coverageByGenre.entrySet()) {
            b.append("| ").append(e.getKey());
            for (String g : gs) b.append(" | ").append(e.getValue().getOrDefault(g, 0));
            b.append(" | ").append(coverage.getOrDefault(e.getKey(), 0)).append(coverage.getOrDefault(e.getKey(), 0) < minCoverage ? " (below " + minCoverage + ")" : "").append(" |\n");
        }
        return b.toString();
    }
}
