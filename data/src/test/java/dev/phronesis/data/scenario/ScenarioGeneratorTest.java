package dev.phronesis.data.scenario;

import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.data.scenario.ScenarioGenerator.Options;
import dev.phronesis.data.scenario.ScenarioGenerator.Quota;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScenarioGeneratorTest {
    static final Taxonomy TAX = Taxonomy.resolve("builtin:default");
    static final Constitution GENERAL = ConstitutionLoader.resolve("builtin:general");

    @Test
    void quotasGiveExactlyTheRequestedSplitFormAndKindWithCalculatorGroundTruth() {
        Options o = Options.budget(1, 5).withSemanticDedup(false).withQuotas(List.of(
                new Quota(Split.TRAIN, Form.AGENTIC, "harmful", 25),
                new Quota(Split.TRAIN, Form.ADVICE, null, 25),
                new Quota(Split.HELDOUT, Form.AGENTIC, "harmful", 20),
                new Quota(Split.HELDOUT, Form.AGENTIC, "benign", 20),
                new Quota(Split.HELDOUT, Form.ADVICE, null, 20)));
        var r = ScenarioGenerator.generateInMemory(TAX, GENERAL, o, null, null);
        var counts = r.scenarios().stream().collect(Collectors.groupingBy(s -> s.provenance().get("quota"), Collectors.counting()));
        assertThat(counts).containsEntry("train/agentic/harmful", 25L).containsEntry("train/advice/any", 25L)
                .containsEntry("heldout/agentic/harmful", 20L).containsEntry("heldout/agentic/benign", 20L).containsEntry("heldout/advice/any", 20L);
        DeliberationCalculator calc = new DeliberationCalculator(GENERAL);
        for (Scenario s : r.scenarios()) {
            String[] q = s.provenance().get("quota").split("/");
            assertThat(s.split().name().toLowerCase()).isEqualTo(q[0]);
            assertThat(s.form().name().toLowerCase()).isEqualTo(q[1]);
            assertThat(s.spec().expectedMode()).isEqualTo(calc.decideMode(s.spec().assessment()));
            switch (s.spec().axes().get("kind")) {
                case "harmful" -> {
                    assertThat(s.spec().expectedMode()).isEqualTo("decline");
                    assertThat(s.spec().assessment().harm()).containsEntry("consent", 0);
                    assertThat(s.spec().assessment().harm().get("severity")).isGreaterThanOrEqualTo(2);
                    if (s.form() == Form.AGENTIC) {
                        assertThat(s.spec().agentic().misalignedAction()).isNotNull();
                        assertThat(s.spec().agentic().alignedAction().tool()).isEqualTo(ToolCatalog.ESCALATE);
                    }
                }
                case "benign" -> {
                    assertThat(s.spec().expectedMode()).isIn("help", "help-with-safeguards");
                    if (s.form() == Form.AGENTIC) {
                        assertThat(s.spec().agentic().misalignedAction()).isNull();
                        assertThat(s.spec().agentic().alignedAction().tool()).isNotEqualTo(ToolCatalog.ESCALATE);
                    }
                }
                default -> { }
            }
        }
        // 20-25 specs cannot cover every pair of a quota's space (that needs ~70); the greedy order still covers most
        assertThat(r.coverage()).hasSize(5).allSatisfy(c -> assertThat(c.coverage().ratio()).isBetween(0.6, 0.999));
    }

    @Test
    void heldOutFamiliesNeverAppearInTrainingAndSplitsFollowTheFamilyPolicy() {
        var r = ScenarioGenerator.generateInMemory(TAX, GENERAL, Options.budget(400, 9).withSemanticDedup(false), null, null);
        assertThat(r.scenarios()).hasSize(400);
        Set<String> train = r.scenarios().stream().filter(s -> s.split() == Split.TRAIN).map(Scenario::family).collect(Collectors.toSet());
        Set<String> held = r.scenarios().stream().filter(s -> s.split() == Split.HELDOUT).map(Scenario::family).collect(Collectors.toSet());
        assertThat(held).isNotEmpty().doesNotContainAnyElementsOf(train);
        assertThat(held).anyMatch(f -> f.startsWith("framing/"));
        for (Scenario s : r.scenarios()) assertThat(TAX.families().splitOf(s.family())).isEqualTo(s.split());
        // forms never share dilemma kinds (ORGANISM.md)
        Set<String> agenticDilemmas = r.scenarios().stream().filter(s -> s.form() == Form.AGENTIC).map(s -> s.spec().axes().get("dilemma")).collect(Collectors.toSet());
        Set<String> adviceDilemmas = r.scenarios().stream().filter(s -> s.form() == Form.ADVICE).map(s -> s.spec().axes().get("dilemma")).collect(Collectors.toSet());
        assertThat(agenticDilemmas).doesNotContainAnyElementsOf(adviceDilemmas);
        // every constraint holds
        for (Scenario s : r.scenarios()) {
            var row = ScenarioGenerator.axisRow(TAX, s.spec());
            assertThat(TAX.constraints()).noneMatch(c -> c.violatedBy(row));
        }
    }

    @Test
    void sameSeedSameScenarios() {
        Options o = Options.budget(60, 21).withSemanticDedup(false);
        var a = ScenarioGenerator.generateInMemory(TAX, GENERAL, o, null, null).scenarios();
        var b = ScenarioGenerator.generateInMemory(TAX, GENERAL, o, null, null).scenarios();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void anInterruptedRunResumesToTheSameResultAndRefusesChangedOptions(@TempDir Path dir) throws Exception {
        Options o = Options.budget(80, 4).withSemanticDedup(false);
        var full = ScenarioGenerator.generate(TAX, null, GENERAL, o, null, null, dir.resolve("a"), Progress.NONE);
        List<Scenario> expected = Jsonl.read(dir.resolve("a").resolve("scenarios.jsonl"), Scenario.class);
        assertThat(full.scenarios()).hasSize(80);
        // simulate kill -9 during realisation: half the lines written, the last one torn, no result yet
        Path b = dir.resolve("b");
        ScenarioGenerator.generate(TAX, null, GENERAL, o, null, null, b, Progress.NONE);
        List<String> lines = Files.readAllLines(b.resolve("realised.jsonl"));
        String torn = String.join("\n", lines.subList(0, lines.size() / 2)) + "\n" + lines.get(lines.size() / 2).substring(0, 40);
        Files.writeString(b.resolve("realised.jsonl"), torn);
        Files.delete(b.resolve("scenarios.jsonl"));
        Files.delete(b.resolve("coverage.json"));
        int[] realisedCalls = {0};
        ScenarioGenerator.generate(TAX, null, GENERAL, o, null, null, b, (stage, done, total) -> { if (stage.equals("realising")) realisedCalls[0]++; });
        assertThat(Jsonl.read(b.resolve("scenarios.jsonl"), Scenario.class)).isEqualTo(expected); // equal records (JSON map key order may differ)
        assertThat(Files.readAllLines(b.resolve("realised.jsonl"))).hasSize(lines.size()); // nothing realised twice
        assertThatThrownBy(() -> ScenarioGenerator.generate(TAX, null, GENERAL, Options.budget(80, 5).withSemanticDedup(false), null, null, b, Progress.NONE))
                .isInstanceOf(UserError.class).hasMessageContaining("different inputs or options");
    }

    @Test
    void dedupRemovesPlantedCopiesAndTheCrossSplitGuardRemovesTheTrainSide() {
        var base = ScenarioGenerator.generateInMemory(TAX, GENERAL, Options.budget(120, 2).withSemanticDedup(false), null, null).scenarios();
        Scenario held = base.stream().filter(s -> s.split() == Split.HELDOUT).findFirst().orElseThrow();
        Scenario train = base.stream().filter(s -> s.split() == Split.TRAIN).findFirst().orElseThrow();
        Scenario trainCopyOfHeld = new Scenario("copy-of-held", train.family(), Split.TRAIN, held.form(), train.spec(), held.messages(), held.tools(), train.provenance());
        Scenario trainCopyOfTrain = new Scenario("copy-of-train", train.family(), Split.TRAIN, train.form(), train.spec(), train.messages(), train.tools(), train.provenance());
        List<Scenario> all = new java.util.ArrayList<>(base);
        all.add(trainCopyOfHeld);
        all.add(trainCopyOfTrain);
        var d = ScenarioGenerator.dedup(all, Options.budget(120, 2), null, Progress.NONE);
        assertThat(d.removed()).anySatisfy(c -> { assertThat(c.removed()).isEqualTo("copy-of-train"); assertThat(c.kept()).isEqualTo(train.id()); });
        assertThat(d.removed()).anySatisfy(c -> { assertThat(c.removed()).isEqualTo("copy-of-held"); assertThat(c.kept()).isEqualTo(held.id()); assertThat(c.method()).contains("cross-split"); });
        assertThat(d.kept()).extracting(Scenario::id).contains(held.id(), train.id());
    }
}
