package dev.phronesis.data.scenario;

import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.ConstitutionLoader;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TaxonomyTest {
    static final String MINIMAL = """
            id: tiny
            families:
              axes: [dilemma]
              heldout: [b]
            axes:
              - id: dilemma
                values:
                  - id: a
                    text: {situation: "{name} did a thing.", act: "tell {obj}", tool: send_email}
                  - id: b
                    text: {situation: "{name} did b.", act: "ask {obj}"}
              - id: severity
                factor: severity
                values: [minor, serious]
              - id: kind
                values: [harmful, benign]
              - id: form
                values: [advice, agentic]
            constraints:
              - never: {dilemma: b, form: agentic}
            people:
              - {name: Dana, pronoun: she}
            """;

    @Test
    void builtinDefaultLoadsAndEncodesTheOrganismWorld() {
        Taxonomy t = Taxonomy.resolve("builtin:default");
        assertThat(t.axis("form").values()).extracting(Taxonomy.AxisValue::id).containsExactly("advice", "agentic");
        assertThat(t.axis("dilemma").values()).extracting(Taxonomy.AxisValue::id)
                .contains("leverage", "leaking", "sabotage", "framing", "deceiving-oversight", "snooping");
        assertThat(t.families().axes()).containsExactly("dilemma", "domain");
        assertThat(t.families().splitOf("framing/hospital")).isEqualTo(dev.phronesis.core.records.Split.HELDOUT);
        assertThat(t.families().splitOf("leverage/workplace")).isEqualTo(dev.phronesis.core.records.Split.TRAIN);
        assertThat(t.cues().get("consent").get("none").heldout()).isNotEmpty();
        // the taxonomy agrees with the general constitution (labels, tools, mixes)
        new SpecBuilder(t, ConstitutionLoader.resolve("builtin:general"), 0.5);
    }

    @Test
    void minimalTaxonomyParses() {
        Taxonomy t = Taxonomy.parse("t.yaml", MINIMAL);
        assertThat(t.axes()).hasSize(4);
        assertThat(t.axis("severity").value("serious").harm()).containsEntry("severity", "serious");
        assertThat(t.constraints().getFirst().never()).containsKeys("dilemma", "form");
        assertThat(t.hash()).hasSize(64);
    }

    @Test
    void unknownAxisInConstraintIsReportedWithPositionAndSuggestion() {
        String bad = MINIMAL.replace("never: {dilemma: b, form: agentic}", "never: {dilema: b, form: agentic}");
        assertThatThrownBy(() -> Taxonomy.parse("t.yaml", bad)).isInstanceOf(UserError.class)
                .hasMessageContaining("t.yaml:20:").hasMessageContaining("unknown axis 'dilema'").hasMessageContaining("did you mean 'dilemma'");
    }

    @Test
    void unknownValueUnknownKeyAndBadPatternAreAllReportedAtOnce() {
        String bad = MINIMAL.replace("heldout: [b]", "heldout: [b/c]").replace("values: [minor, serious]", "valuez: [minor]")
                .replace("never: {dilemma: b, form: agentic}", "never: {dilemma: z, form: agentic}");
        assertThatThrownBy(() -> Taxonomy.parse("t.yaml", bad)).isInstanceOf(UserError.class)
                .hasMessageContaining("t.yaml:4:").hasMessageContaining("needs 1 parts")
                .hasMessageContaining("unknown key 'valuez'").hasMessageContaining("has no value 'z'")
                .hasMessageContaining("taxonomy not loaded");
    }

    @Test
    void missingFormAxisAndBadPronounAreErrors() {
        String bad = MINIMAL.replace("  - id: form\n    values: [advice, agentic]\n", "").replace("never: {dilemma: b, form: agentic}", "never: {dilemma: b, kind: harmful}")
                .replace("pronoun: she", "pronoun: it");
        assertThatThrownBy(() -> Taxonomy.parse("t.yaml", bad)).isInstanceOf(UserError.class)
                .hasMessageContaining("the axis 'form' is required").hasMessageContaining("'it' is not one of [she, he]");
    }

    @Test
    void levelsAndToolsAreCheckedAgainstTheConstitutionWithThePositionOfTheValue() {
        var c = ConstitutionLoader.resolve("builtin:general");
        Taxonomy badLevel = Taxonomy.parse("t.yaml", MINIMAL.replace("values: [minor, serious]", "values: [minor, grave]"));
        assertThatThrownBy(() -> new SpecBuilder(badLevel, c, 0.5)).isInstanceOf(UserError.class)
                .hasMessageContaining("t.yaml:14:").hasMessageContaining("severity has no level 'grave'");
        Taxonomy badTool = Taxonomy.parse("t.yaml", MINIMAL.replace("tool: send_email", "tool: send_mail"));
        assertThatThrownBy(() -> new SpecBuilder(badTool, c, 0.5)).isInstanceOf(UserError.class)
                .hasMessageContaining("t.yaml:8:").hasMessageContaining("unknown tool 'send_mail'").hasMessageContaining("did you mean 'send_email'");
    }

    @Test
    void mixMustSumToTheThousandSenders() {
        String bad = MINIMAL.replace("values: [harmful, benign]", "values: [{id: harmful, mix: {benign: 500, malicious: 400}}, benign]");
        assertThatThrownBy(() -> Taxonomy.parse("t.yaml", bad)).isInstanceOf(UserError.class).hasMessageContaining("must add up to 1000 senders, found 900");
    }
}
