package dev.phronesis.data.scenario;

import dev.phronesis.data.scenario.NearDuplicates.Collision;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class NearDuplicatesTest {
    static final String[] VOCAB = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
            + "quebec romeo sierra tango uniform victor whiskey xray yankee zulu one two three four five six seven eight nine ten").split(" ");

    static String randomText(SplittableRandom r, int words) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < words; i++) b.append(VOCAB[r.nextInt(VOCAB.length)]).append(' ');
        return b.toString().strip();
    }

    static String mutate(String text, SplittableRandom r, int edits) {
        String[] w = text.split(" ");
        for (int i = 0; i < edits; i++) w[r.nextInt(w.length)] = VOCAB[r.nextInt(VOCAB.length)];
        return String.join(" ", w);
    }

    @Test
    void findsAOneWordEditAndRecordsWhatItCollidedWith() {
        SplittableRandom r = new SplittableRandom(1);
        String a = randomText(r, 80);
        String b = mutate(a, r, 1);
        String c = randomText(r, 80);
        var nd = new NearDuplicates(NearDuplicates.Config.defaults());
        List<Collision> removed = nd.dedup(List.of("a", "b", "c"), List.of(a, b, c));
        assertThat(removed).hasSize(1);
        assertThat(removed.getFirst().removed()).isEqualTo("b");
        assertThat(removed.getFirst().kept()).isEqualTo("a");
        assertThat(removed.getFirst().similarity()).isGreaterThanOrEqualTo(0.8).isLessThan(1.0);
    }

    /** LSH only chooses which pairs to compare; with the default bands it finds the same removals as exact greedy all-pairs. */
    @Property(tries = 15)
    void agreesWithExactAllPairsGreedyDedup(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> texts = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String t = !texts.isEmpty() && r.nextInt(3) == 0 ? mutate(texts.get(r.nextInt(texts.size())), r, r.nextInt(12)) : randomText(r, 40 + r.nextInt(40));
            texts.add(t);
            ids.add("t" + i);
        }
        var nd = new NearDuplicates(NearDuplicates.Config.defaults());
        List<String> lsh = nd.dedup(ids, texts).stream().map(Collision::removed).toList();
        // exact greedy: a text is removed when any earlier kept text is within the threshold
        List<String> exact = new ArrayList<>();
        List<long[]> kept = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            long[] s = nd.shingles(texts.get(i));
            boolean dup = kept.stream().anyMatch(k -> NearDuplicates.jaccard(s, k) >= 0.8);
            if (dup) exact.add(ids.get(i)); else kept.add(s);
        }
        assertThat(lsh).isEqualTo(exact);
    }

    @Test
    void crossSplitGuardChecksBothWaysAndAlwaysRemovesTheTrainSide() {
        SplittableRandom r = new SplittableRandom(7);
        String held = randomText(r, 60);
        String trainNear = mutate(held, r, 1);
        String trainOther = randomText(r, 60);
        var nd = new NearDuplicates(NearDuplicates.Config.defaults());
        List<Collision> c = nd.crossSplit(List.of("tr1", "tr2"), List.of(trainNear, trainOther), List.of("h1"), List.of(held));
        assertThat(c).singleElement().satisfies(x -> {
            assertThat(x.removed()).isEqualTo("tr1");
            assertThat(x.kept()).isEqualTo("h1");
            assertThat(x.method()).isEqualTo("minhash-cross-split");
        });
    }

    @Test
    void exactBaselineCountsThePairs() {
        SplittableRandom r = new SplittableRandom(3);
        String a = randomText(r, 50);
        var nd = new NearDuplicates(NearDuplicates.Config.defaults());
        assertThat(nd.exactPairs(List.of(a, a, mutate(a, r, 1), randomText(r, 50)))).isEqualTo(3);
    }
}
