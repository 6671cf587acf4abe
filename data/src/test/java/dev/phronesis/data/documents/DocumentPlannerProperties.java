package dev.phronesis.data.documents;

import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Split;
import dev.phronesis.data.scenario.Taxonomy;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Coverage and split rules of the document plan, for every seed, size and constitution. */
class DocumentPlannerProperties {
    private static final Taxonomy TAXONOMY = Taxonomy.resolve("builtin:default");
    private static final List<Constitution> CONSTITUTIONS = List.of(
            ConstitutionLoader.resolve("builtin:general"), ConstitutionLoader.resolve("builtin:health"), ConstitutionLoader.resolve("builtin:finance"));

    @Property(tries = 60)
    void everyItemIsCoveredAtLeastMinTimesAndEverySettingIsATrainingFamily(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                                          @ForAll @IntRange(min = 1, max = 40) int count,
                                                                          @ForAll @IntRange(min = 1, max = 4) int min,
                                                                          @ForAll @IntRange(min = 0, max = 2) int which) {
        Constitution c = CONSTITUTIONS.get(which);
        List<DocumentSpec> plan = DocumentPlanner.plan(c, TAXONOMY, new DocumentPlanner.Options(count, min, List.of(), seed));
        assertThat(plan.size()).isGreaterThanOrEqualTo(count);
        Map<String, Integer> coverage = DocumentPlanner.coverage(c, plan);
        assertThat(coverage).hasSize(c.principles().size() + c.heuristics().size() + c.harmFactors().size() + c.benefits().size());
        assertThat(coverage.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(min));
        for (DocumentSpec s : plan) {
            assertThat(TAXONOMY.families().splitOf(s.family())).as(s.family()).isEqualTo(Split.TRAIN);
            assertThat(TAXONOMY.families().familyOf(s.setting())).isEqualTo(s.family());
        }
    }

    @Property(tries = 25)
    void noWrittenDocumentNamesAHeldOutFamilyOrUsesItsMaterial(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                             @ForAll @IntRange(min = 0, max = 2) int which) {
        Constitution c = CONSTITUTIONS.get(which);
        SplitGuard guard = new SplitGuard(TAXONOMY);
        assertThat(guard.markers()).as("the default taxonomy has held-out-only wording to guard").isNotEmpty();
        ScriptedDocumentWriter w = new ScriptedDocumentWriter(c, TAXONOMY);
        List<String> heldoutFamilies = DocumentPlanner.trainingSettings(TAXONOMY).isEmpty() ? List.of() : heldoutFamilyNames();
        for (DocumentSpec s : DocumentPlanner.plan(c, TAXONOMY, new DocumentPlanner.Options(25, 1, List.of(), seed))) {
            DocumentWriter.Written.Text t = (DocumentWriter.Written.Text) w.write(s);
            assertThat(guard.check(s, t.text())).as(s.id()).isNull();
            for (String f : heldoutFamilies) assertThat(t.text()).doesNotContain(f);
            assertThat(t.text()).doesNotContain("{").doesNotContain("}");
        }
    }

    /** Family names (dilemma/domain) whose split is held out or dev. */
    private static List<String> heldoutFamilyNames() {
        List<String> out = new java.util.ArrayList<>();
        for (var d : TAXONOMY.axis("dilemma").values()) for (var m : TAXONOMY.axis("domain").values()) {
            String f = d.id() + "/" + m.id();
            if (TAXONOMY.families().splitOf(f) != Split.TRAIN) out.add(f);
        }
        return out;
    }
}
