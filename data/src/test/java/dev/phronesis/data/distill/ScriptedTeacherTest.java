package dev.phronesis.data.distill;

import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.ParsedCall;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Scenario;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ScriptedTeacherTest {
    private final DeliberationCalculator calc = new DeliberationCalculator(Fixtures.C);

    @Test void decisionFollowsTheCalculatorAndTheAnswerEndsWithTheSharedEnding() {
        ScriptedTeacher t = new ScriptedTeacher(Fixtures.C, Verbosity.FULL, 7);
        for (Scenario s : Fixtures.scenarios()) {
            Deliberation d = t.deliberate(s, 0);
            assertThat(d.decision()).isEqualTo(calc.decideMode(s.spec().assessment()));
            assertThat(AnswerFormat.decision(d.response())).contains(d.decision());
            assertThat(d.harms()).hasSize(Fixtures.C.harmFactors().size());
            assertThat(d.intentMix().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(1000);
            if (s.form() == Form.AGENTIC) {
                var calls = AnswerFormat.toolCalls(d.response());
                assertThat(calls).hasSize(1);
                assertThat(((ParsedCall.Call) calls.getFirst()).action()).isEqualTo(
                        Fixtures.C.decision().indexOf(d.decision()) == 0 ? s.spec().agentic().misalignedAction() : s.spec().agentic().alignedAction());
            } else {
                assertThat(AnswerFormat.toolCalls(d.response())).isEmpty();
            }
        }
    }

    @Test void deterministicPerSeedAndVariedAcrossSamples() {
        Scenario s = Fixtures.scenarios().get(1);
        ScriptedTeacher a = new ScriptedTeacher(Fixtures.C, Verbosity.FULL, 7);
        ScriptedTeacher b = new ScriptedTeacher(Fixtures.C, Verbosity.FULL, 7);
        assertThat(a.deliberate(s, 3)).isEqualTo(b.deliberate(s, 3));
        Set<String> texts = new HashSet<>();
        for (int i = 0; i < 8; i++) texts.add(a.deliberate(s, i).reasoning());
        assertThat(texts).hasSizeGreaterThan(3);
        Set<String> decisions = new HashSet<>();
        for (int i = 0; i < 8; i++) decisions.add(a.deliberate(s, i).decision());
        assertThat(decisions).hasSize(1);
    }

    @Test void compactReasoningIsShortAndNamesPopulationCuesAndDecision() {
        ScriptedTeacher t = new ScriptedTeacher(Fixtures.C, Verbosity.COMPACT, 1);
        for (Scenario s : Fixtures.scenarios()) {
            for (int i = 0; i < 4; i++) {
                Deliberation d = t.deliberate(s, i);
                assertThat(d.reasoning().split("\\s+").length).as(d.reasoning()).isLessThanOrEqualTo(60);
                assertThat(d.reasoning()).containsPattern("1,000").contains(d.decision());
            }
        }
        Deliberation d = t.deliberate(Fixtures.scenarios().get(1), 0); // "no one asked them", consent none + serious: the rule decides
        assertThat(d.reasoning()).contains("no one asked them").containsIgnoringCase("consent");
        System.out.println(d.reasoning());
        System.out.println(new ScriptedTeacher(Fixtures.C, Verbosity.FULL, 1).deliberate(Fixtures.scenarios().get(2), 0).reasoning());
    }

    /**
     * Given consent adds nothing to the score, so the two largest terms never name it; the compact reasoning must still say
     * what the prompt states when that statement decides the case (had they not agreed, the answer would differ).
     */
    @Test void compactReasoningNamesTheStatedFactorThatWouldChangeTheDecision() {
        var taxonomyCues = Map.of("consent", Map.of("informed", List.of("{subj} gave clear permission"), "none", List.of("{subj} does not know about this")));
        ScriptedTeacher t = new ScriptedTeacher(Fixtures.C, Verbosity.COMPACT, 1, taxonomyCues);
        int named = 0, cases = 0;
        for (int severity = 0; severity <= 3; severity++) for (int probability = 0; probability <= 3; probability++) for (int breadth = 0; breadth <= 2; breadth++) {
            Map<String, Integer> harm = Map.of("severity", severity, "consent", 2, "probability", probability, "breadth", breadth);
            var a = new dev.phronesis.core.calculator.Assessment(harm, Map.of(), Map.of(), Set.of());
            var d = calc.decide(a);
            boolean consentFlips = d.sensitivity().stream().anyMatch(f -> f.factor().equals("consent"));
            if (!consentFlips || !(d.decidedBy() instanceof dev.phronesis.core.calculator.DecidedBy.Score)) continue;
            cases++;
            Scenario s = Fixtures.advice("c-" + severity + probability + breadth, "workplace-loyalty", dev.phronesis.core.records.Split.TRAIN,
                    "My colleague wants me to share her notes with the team. She gave clear permission. What should I do?", harm, Map.of(), Set.of());
            String r = t.deliberate(s, 0).reasoning();
            assertThat(r.split("\\s+").length).as(r).isLessThanOrEqualTo(70);
            if (r.contains("she gave clear permission")) named++;
        }
        // the only stated factor is consent: wherever it would change the decision, the reasoning quotes it
        assertThat(cases).isGreaterThan(3);
        assertThat(named).isEqualTo(cases);
        Deliberation unstated = new ScriptedTeacher(Fixtures.C, Verbosity.COMPACT, 1).deliberate(Fixtures.advice("u", "workplace-loyalty",
                dev.phronesis.core.records.Split.TRAIN, "My colleague wants me to share her notes with the team. She gave clear permission. What should I do?",
                Map.of("severity", 1, "consent", 2, "probability", 2, "breadth", 1), Map.of(), Set.of()), 0);
        assertThat(unstated.reasoning()).as("without the taxonomy's cue words the phrase is not a known cue").doesNotContain("gave clear permission");
    }
}
