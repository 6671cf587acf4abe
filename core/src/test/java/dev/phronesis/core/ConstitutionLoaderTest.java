package dev.phronesis.core;

import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ConstitutionLoaderTest {
    static String general() {
        try (InputStream in = ConstitutionLoader.class.getResourceAsStream("/constitutions/general.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static UserError errorOf(String yaml) {
        return catchThrowableOfType(UserError.class, () -> ConstitutionLoader.parse("c.yaml", yaml));
    }

    static int lineOf(String text, String needle) {
        int idx = text.indexOf(needle);
        assertThat(idx).as("fixture contains %s", needle).isGreaterThanOrEqualTo(0);
        return (int) text.substring(0, idx).chars().filter(ch -> ch == '\n').count() + 1;
    }

    @ParameterizedTest
    @ValueSource(strings = {"general", "health", "finance"})
    void shippedConstitutionsLoadCompletely(String name) {
        Constitution c = ConstitutionLoader.builtin(name);
        assertThat(c.harmFactors()).extracting(Constitution.Factor::id).containsAll(ConstitutionLoader.REQUIRED_HARM_FACTORS);
        assertThat(c.heuristics()).extracting(Constitution.Heuristic::id).containsAll(ConstitutionLoader.REQUIRED_HEURISTICS);
        assertThat(c.decision().modes()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(c.hash()).hasSize(64).matches("[0-9a-f]+");
        assertThat(c.harmFactors()).allSatisfy(f -> assertThat(f.levels()).allSatisfy(l -> assertThat(l.anchor()).isNotBlank()));
    }

    @Test
    void hashIgnoresLayoutButNotContent() {
        String text = general();
        Constitution a = ConstitutionLoader.parse("a.yaml", text);
        Constitution b = ConstitutionLoader.parse("b.yaml", "# a comment that changes nothing\n" + text.replace("tiers: [safe, ethical, guidelines, helpful]", "tiers:\n  - safe\n  - ethical\n  - guidelines\n  - helpful"));
        Constitution c = ConstitutionLoader.parse("c.yaml", text.replace("weight: 3.0\n    direction: aggravating", "weight: 3.5\n    direction: aggravating"));
        assertThat(b.hash()).isEqualTo(a.hash());
        assertThat(c.hash()).isNotEqualTo(a.hash());
    }

    @Test
    void unknownKeyGetsPositionAndDidYouMean() {
        String text = general().replace("    weight: 2.0\n    direction: aggravating\n    default: unlikely", "    wieght: 2.0\n    direction: aggravating\n    default: unlikely");
        UserError e = errorOf(text);
        int line = lineOf(text, "wieght");
        assertThat(e.getMessage()).contains("c.yaml:" + line + ":5: harm_factors[0]: unknown key 'wieght' (did you mean 'weight'?)");
        assertThat(e.getMessage()).contains("missing required field 'weight'");
        assertThat(e.getMessage()).endsWith("constitution not loaded");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        String text = general()
                .replace("tier: helpful\n    text: Do not moralise", "tier: helpfull\n    text: Do not moralise")
                .replace("- id: honesty", "- id: support-oversight")
                .replace("from: 5.5", "from: 2.0")
                .replace("consent: {at_most: none}", "consent: {at_most: nobody}")
                .replace("on_hard_constraint: decline", "on_hard_constraint: refuse");
        String msg = errorOf(text).getMessage();
        assertThat(msg).contains("unknown tier 'helpfull' (did you mean 'helpful'?)");
        assertThat(msg).contains("duplicate id 'support-oversight' (first at line " + lineOf(text, "- id: support-oversight") + ")");
        assertThat(msg).contains("thresholds must increase");
        assertThat(msg).contains("level 'nobody' is out of range for 'consent'");
        assertThat(msg).contains("unknown mode 'refuse'");
        assertThat(msg).contains("5 problems");
        assertThat(msg.lines().filter(l -> l.matches("c\\.yaml:\\d+:\\d+: .*")).count()).isEqualTo(5);
    }

    @Test
    void missingFieldsAndRequiredFactors() {
        String text = general().replace("title: General assistant\n", "").replace("  - id: breadth\n", "  - id: breath\n");
        String msg = errorOf(text).getMessage();
        assertThat(msg).contains("missing required field 'title'");
        assertThat(msg).contains("missing required harm factor 'breadth' (did you mean 'breath'?)");
    }

    @Test
    void levelOutOfRangeAndScaleOrder() {
        String text = general().replace("{level: 2, label: plausible", "{level: 5, label: plausible");
        assertThat(errorOf(text).getMessage()).contains("levels must be numbered 0, 1, 2, ... in order; expected 2, found 5");
        String weight = general().replace("weight: 2.0\n    direction: aggravating\n    default: unlikely", "weight: -1\n    direction: aggravating\n    default: unlikely");
        assertThat(errorOf(weight).getMessage()).contains("-1 is out of range [0, 1000]");
    }

    @Test
    void rulesMustPointTowardHarm() {
        String text = general().replace("consent: {at_most: none}", "consent: {at_least: informed}");
        assertThat(errorOf(text).getMessage()).contains("a rule may only point toward harm (use at_most for mitigating 'consent')");
    }

    @Test
    void populationMustAddUpToOneThousand() {
        String text = general().replace("benign: 850", "benign: 800");
        assertThat(errorOf(text).getMessage()).contains("the mix must add up to 1000 senders, found 950");
    }

    @Test
    void syntaxErrorsAreOneLineWithPosition() {
        UserError e = errorOf("id: x\ntitle: [unclosed\n");
        assertThat(e.getMessage()).startsWith("c.yaml:").contains("YAML syntax error").doesNotContain("\n");
        assertThat(errorOf("id: x\n\ttitle: tab\n").getMessage()).contains("c.yaml:2:1").contains("tabs");
    }

    @Test
    void duplicateKeysAreReported() {
        assertThat(errorOf("id: a\nid: b\n").getMessage()).contains("c.yaml:2:1: duplicate key 'id' (first at line 1)");
    }

    @Test
    void emptyAndNonMappingDocuments() {
        assertThat(errorOf("").getMessage()).contains("empty file");
        assertThat(errorOf("- a\n- b\n").getMessage()).contains("expected a mapping, found a list");
    }

    @Test
    void missingFileIsOneLine() {
        assertThatThrownBy(() -> ConstitutionLoader.load(java.nio.file.Path.of("/nonexistent/c.yaml")))
                .isInstanceOf(UserError.class).hasMessage("/nonexistent/c.yaml: no such file");
    }
}
