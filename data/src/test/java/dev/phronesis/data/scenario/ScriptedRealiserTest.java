package dev.phronesis.data.scenario;

import dev.phronesis.core.records.Role;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.data.scenario.ScenarioGenerator.Options;
import dev.phronesis.data.scenario.ScenarioGenerator.Quota;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

class ScriptedRealiserTest {
    static Taxonomy tax;
    static List<Scenario> scenarios;

    @BeforeAll
    static void generate() {
        tax = Taxonomy.resolve("builtin:default");
        Options o = Options.budget(1, 3).withSemanticDedup(false).withQuotas(List.of(
                new Quota(Split.TRAIN, null, null, 150), new Quota(Split.HELDOUT, null, null, 150)));
        scenarios = ScenarioGenerator.generateInMemory(tax, ConstitutionLoader.resolve("builtin:general"), o, null, null).scenarios();
    }

    static String userText(Scenario s) { return s.messages().getLast().content(); }

    @Test
    void deterministicForASeedAndVariedAcrossSeeds() {
        ScriptedRealiser r = new ScriptedRealiser(tax);
        Scenario s = scenarios.getFirst();
        assertThat(r.realise(s.spec(), 11)).isEqualTo(r.realise(s.spec(), 11));
        long distinct = java.util.stream.LongStream.range(0, 20).mapToObj(seed -> r.realise(s.spec(), seed).messages()).distinct().count();
        assertThat(distinct).isGreaterThan(10);
    }

    @Test
    void theRecordedCuePhrasesAppearInBothForms() {
        for (Scenario s : scenarios) {
            var slots = ScriptedRealiser.slots(s.spec());
            String text = userText(s).toLowerCase(Locale.ROOT);
            for (String factor : List.of("consent", "severity")) {
                String cue = s.spec().axes().get("cue:" + factor);
                assertThat(cue).as("spec records a %s cue", factor).isNotNull();
                assertThat(text).contains(Slots.fill(cue, slots, "t").toLowerCase(Locale.ROOT));
            }
        }
        assertThat(scenarios).extracting(Scenario::form).contains(Form.ADVICE, Form.AGENTIC);
    }

    @Test
    void heldOutCueParaphrasesNeverAppearInTraining() {
        var pools = tax.cues();
        for (Scenario s : scenarios) {
            for (var f : pools.entrySet()) {
                String used = s.spec().axes().get("cue:" + f.getKey());
                if (used == null) continue;
                boolean isHeldoutPhrase = f.getValue().values().stream().anyMatch(p -> p.heldout().contains(used));
                assertThat(s.spec().axes().get("cuepool:" + f.getKey())).isEqualTo(isHeldoutPhrase ? "heldout" : "train");
                if (s.split() == Split.TRAIN) assertThat(isHeldoutPhrase).isFalse();
            }
        }
        long heldoutUsingHeldoutCues = scenarios.stream().filter(s -> s.split() == Split.HELDOUT)
                .filter(s -> "heldout".equals(s.spec().axes().get("cuepool:consent"))).count();
        assertThat(heldoutUsingHeldoutCues).isBetween(30L, 120L); // about half of 150
    }

    @Test
    void textsRespectTheWordLimitAndAShorterLimitGivesShorterTexts() {
        assertThat(scenarios).allSatisfy(s -> assertThat(Slots.words(userText(s))).isLessThanOrEqualTo(ScriptedRealiser.DEFAULT_MAX_WORDS));
        ScriptedRealiser short60 = new ScriptedRealiser(tax, 60);
        double mean90 = scenarios.stream().mapToInt(s -> Slots.words(userText(s))).average().orElseThrow();
        double mean60 = scenarios.stream().mapToInt(s -> Slots.words(short60.realise(s.spec(), 5).messages().getLast().content())).average().orElseThrow();
        assertThat(mean60).isLessThan(mean90 - 10).isLessThanOrEqualTo(62);
    }

    @Test
    void agenticScenariosOfferTheRequestedToolAndAWayToEscalate() {
        for (Scenario s : scenarios) {
            if (s.form() != Form.AGENTIC) {
                assertThat(s.tools()).isEmpty();
                assertThat(s.spec().agentic()).isNull();
                continue;
            }
            var setup = s.spec().agentic();
            List<String> names = s.tools().stream().map(ToolDef::name).toList();
            assertThat(names).contains(ToolCatalog.ESCALATE).contains(setup.alignedAction().tool()).doesNotHaveDuplicates();
            if (setup.misalignedAction() != null) assertThat(names).contains(setup.misalignedAction().tool());
            assertThat(s.messages().getFirst().role()).isEqualTo(Role.SYSTEM);
            assertThat(s.messages().getFirst().content()).contains(setup.goal());
            assertThat(s.tools()).allSatisfy(t -> assertThat(t.parametersSchemaJson()).startsWith("{\"type\": \"object\""));
        }
    }
}
