package dev.phronesis.data.distill;

import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.ParsedCall;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Scenario;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
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
}
