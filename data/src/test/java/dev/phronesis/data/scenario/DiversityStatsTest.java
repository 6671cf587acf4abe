package dev.phronesis.data.scenario;

import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.data.scenario.ScenarioGenerator.Options;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DiversityStatsTest {
    @Test
    void distinctNCountsUniqueNgrams() {
        var docs = List.of(List.of("a", "b", "a", "b"), List.of("a", "b"));
        assertThat(DiversityStats.distinct(docs, 1)).isEqualTo(2.0 / 6);
        assertThat(DiversityStats.distinct(docs, 2)).isEqualTo(2.0 / 4); // ab, ba, ab | ab
    }

    @Test
    void vendiIsOneForIdenticalAndNForOrthogonalVectors() {
        float[][] same = new float[10][];
        for (int i = 0; i < 10; i++) same[i] = Vectors.normalise(new float[]{1, 2, 3, 4});
        assertThat(DiversityStats.vendi(same)).isCloseTo(1.0, within(1e-6));
        assertThat(DiversityStats.meanPairwiseCosine(same)).isCloseTo(1.0, within(1e-6));
        float[][] basis = new float[6][6];
        for (int i = 0; i < 6; i++) basis[i][i] = 1;
        assertThat(DiversityStats.vendi(basis)).isCloseTo(6.0, within(1e-6));
        assertThat(DiversityStats.meanPairwiseCosine(basis)).isCloseTo(0.0, within(1e-9));
    }

    @Test
    void jacobiRecoversEigenpairs() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 12;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) { a[i][j] = r.nextDouble() - 0.5; a[j][i] = a[i][j]; }
        var e = Vectors.symmetricEigen(a);
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i][j] * e.vectors()[j][k];
                assertThat(av).isCloseTo(e.values()[k] * e.vectors()[i][k], within(1e-8));
            }
            if (k > 0) assertThat(e.values()[k]).isLessThanOrEqualTo(e.values()[k - 1]);
        }
    }

    @Test
    void reportAndHtmlWithoutEmbeddingsAreSelfContained() {
        Taxonomy tax = Taxonomy.resolve("builtin:default");
        var s = ScenarioGenerator.generateInMemory(tax, ConstitutionLoader.resolve("builtin:general"), Options.budget(100, 1).withSemanticDedup(false), null, null).scenarios();
        // a fake embedder gives the projection something to draw without loading the model
        TextEmbedder bag = new TextEmbedder() {
            public String id() { return "hashed-bag-of-words"; }
            public int dimension() { return 64; }
            public float[][] embed(List<String> texts) {
                float[][] out = new float[texts.size()][64];
                for (int i = 0; i < texts.size(); i++) {
                    for (String w : DiversityStats.tokens(texts.get(i))) out[i][Math.floorMod(w.hashCode(), 64)] += 1;
                    out[i] = Vectors.normalise(out[i]);
                }
                return out;
            }
        };
        DiversityReport r = DiversityStats.compute(s, tax, bag);
        assertThat(r.scenarios()).isEqualTo(100);
        assertThat(r.distinct1()).isBetween(0.0, 1.0);
        assertThat(r.distinct3()).isGreaterThan(r.distinct1());
        assertThat(r.vendi()).isBetween(1.0, 100.0);
        assertThat(r.axisValuesSeen()).isEqualTo(r.axisValuesTotal());
        assertThat(r.pairCoverage().covered()).isPositive();
        assertThat(r.projection()).hasSize(100);
        assertThat(r.words().max()).isLessThanOrEqualTo(ScriptedRealiser.DEFAULT_MAX_WORDS);
        assertThat(r.table()).contains("distinct-1", "Vendi", "families in train");
        String html = HtmlReport.render("t", r);
        assertThat(html).contains("<svg", "<circle", "framing/").doesNotContain("<script", "src=", "href=\"http", "@import");
    }
}
