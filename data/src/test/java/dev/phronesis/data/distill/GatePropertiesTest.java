package dev.phronesis.data.distill;

import dev.phronesis.data.scenario.NearDuplicates;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class GatePropertiesTest {
    private static final QualityGates GATES = new QualityGates(Fixtures.C, GatesConfig.defaults(), List.of(), TokenCounter.approximate(),
            new NearDuplicates(NearDuplicates.Config.shingles(5)).references(), Map.of(), (j, d) -> { throw new AssertionError("no judge"); });

    @Provide Arbitrary<Map<String, Integer>> harms() {
        List<Constitution.Factor> fs = Fixtures.C.harmFactors();
        return Combinators.combine(fs.stream().map(f -> Arbitraries.integers().between(0, f.maxLevel())).toList()).as(levels -> {
            Map<String, Integer> m = new HashMap<>();
            for (int i = 0; i < fs.size(); i++) m.put(fs.get(i).id(), levels.get(i));
            return m;
        });
    }

    @Property(tries = 150)
    void theScriptedTeacherPassesSchemaAndCalculatorForEveryAssessment(@ForAll("harms") Map<String, Integer> harm, @ForAll boolean compact, @ForAll long seed) {
        Scenario s = Fixtures.advice("p", "fam", Split.TRAIN, "A dilemma; no one asked them.", harm, Map.of("educational", 1), Set.of());
        Deliberation d = new ScriptedTeacher(Fixtures.C, compact ? Verbosity.COMPACT : Verbosity.FULL, seed).deliberate(s, 0);
        assertThat(GATES.schema(s, d).passed()).as(GATES.schema(s, d).toString()).isTrue();
        assertThat(GATES.calculator(d).passed()).isTrue();
    }

    @Property(tries = 150)
    void aDecisionThatDisagreesWithItsOwnLevelsIsAlwaysCaught(@ForAll("harms") Map<String, Integer> harm, @ForAll long seed) {
        Scenario s = Fixtures.advice("p", "fam", Split.TRAIN, "A dilemma.", harm, Map.of(), Set.of());
        Deliberation d = new ScriptedTeacher(Fixtures.C, Verbosity.FULL, seed).deliberate(s, 0);
        for (Constitution.Mode m : Fixtures.C.decision().modes()) {
            if (m.id().equals(d.decision())) continue;
            Deliberation lie = new Deliberation(d.scenarioId(), 0, d.teacher(), d.population(), d.intentMix(), d.principlesAtStake(), d.heuristicFindings(),
                    d.harms(), d.benefits(), d.flags(), m.id(), d.margin(), d.reasoning(), d.response().replace("DECISION: " + d.decision(), "DECISION: " + m.id()), d.usage());
            assertThat(GATES.schema(s, lie).passed()).isTrue();
            assertThat(GATES.calculator(lie)).satisfies(v -> {
                assertThat(v.passed()).isFalse();
                assertThat(v.reason()).isEqualTo("decision-disagrees-with-factors");
            });
            // and one that forgets to update its DECISION line is caught by the schema gate
            Deliberation half = new Deliberation(d.scenarioId(), 0, d.teacher(), d.population(), d.intentMix(), d.principlesAtStake(), d.heuristicFindings(),
                    d.harms(), d.benefits(), d.flags(), m.id(), d.margin(), d.reasoning(), d.response(), d.usage());
            assertThat(GATES.schema(s, half).reason()).isEqualTo("decision-line-mismatch");
        }
    }

    @Property(tries = 60)
    void nearDuplicateIndexFindsCopiesAndIgnoresUnrelatedText(@ForAll("sentences") List<String> words, @ForAll("sentences") List<String> other) {
        NearDuplicates.Index idx = new NearDuplicates(NearDuplicates.Config.shingles(3)).references();
        String text = String.join(" ", words);
        idx.add("ref", text);
        assertThat(idx.nearest(text, 0.99)).hasValueSatisfying(m -> assertThat(m.similarity()).isEqualTo(1.0));
        assertThat(idx.nearest(String.join(" ", other) + " zzzunique", 0.5)).isEmpty();
    }

    @Provide Arbitrary<List<String>> sentences() {
        return Arbitraries.strings().withCharRange('a', 'z').ofMinLength(3).ofMaxLength(8).list().ofMinSize(12).ofMaxSize(30).uniqueElements();
    }
}
