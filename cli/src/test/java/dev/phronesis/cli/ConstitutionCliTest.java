package dev.phronesis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ConstitutionCliTest {
    @TempDir Path dir;

    static String general() throws Exception {
        try (InputStream in = Main.class.getResourceAsStream("/constitutions/general.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static int lineOf(String text, String needle) {
        return (int) text.substring(0, text.indexOf(needle)).chars().filter(ch -> ch == '\n').count() + 1;
    }

    @Test
    void helpListsCommandsWithOneLineDescriptions() {
        CliHarness.Result r = CliHarness.run("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("constitution", "Validate and show constitution files.", "deliberate", "Exit codes:");
    }

    @Test
    void validateGoodAndBadFiles() throws Exception {
        Path good = dir.resolve("good.yaml");
        Files.writeString(good, general());
        Path bad = dir.resolve("bad.yaml");
        String badText = general().replace("tiers: [safe", "teirs: [safe");
        Files.writeString(bad, badText);
        int teirsLine = lineOf(badText, "teirs:");
        int firstKeyLine = lineOf(badText, "id: general-assistant");
        CliHarness.Result ok = CliHarness.run("constitution", "validate", good.toString(), "builtin:health");
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.out()).contains("good.yaml: ok", "builtin:health: ok");

        CliHarness.Result r = CliHarness.run("constitution", "validate", good.toString(), bad.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains(bad + ":" + teirsLine + ":1: unknown key 'teirs' (did you mean 'tiers'?)")
                .contains(bad + ":" + firstKeyLine + ":1: missing required field 'tiers'")
                .doesNotContain("Exception").doesNotContain("\tat ");

        CliHarness.Result j = CliHarness.run("constitution", "validate", "--json", good.toString(), bad.toString());
        assertThat(j.exitCode()).isEqualTo(1);
        var arr = dev.phronesis.core.Json.MAPPER.readTree(j.out());
        assertThat(arr).hasSize(2);
        assertThat(arr.get(0).path("ok").asBoolean()).isTrue();
        assertThat(arr.get(0).path("sha256").asText()).hasSize(64);
        assertThat(arr.get(0).path("principles").asInt()).isPositive();
        assertThat(arr.get(1).path("ok").asBoolean()).isFalse();
        assertThat(arr.get(1).path("error").asText()).contains(bad + ":" + teirsLine + ":1: unknown key 'teirs'");
    }

    @Test
    void missingFileIsAUsageErrorWithoutStackTrace() {
        CliHarness.Result r = CliHarness.run("constitution", "show", dir.resolve("nope.yaml").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo(dir.resolve("nope.yaml") + ": no such file");
    }

    @Test
    void showRendersEverySection() {
        CliHarness.Result r = CliHarness.run("constitution", "show", "builtin:general");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("The 1,000-users test", "Hard constraints", "Decision policy", "consent", "no-consent-serious-harm", "sha256");
    }

    @Test
    void deliberatePrintsDecisionContributionsAndSensitivity() throws Exception {
        CliHarness.Result r = CliHarness.run("deliberate", "--constitution", "builtin:general", "--assess", "probability=likely,severity=serious,consent=none");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("decision:     decline", "rule:no-consent-serious-harm", "consent", "sensitivity:  consent none -> implied");

        CliHarness.Result j = CliHarness.run("deliberate", "--constitution", "builtin:general", "--assess", "intent.benign=500,intent.malicious=500,severity=serious", "--json");
        JsonNode n = new ObjectMapper().readTree(j.out());
        assertThat(n.get("misuseShare").asDouble()).isEqualTo(0.5);
        assertThat(n.get("mode").asText()).isEqualTo("partial-and-redirect");
        assertThat(n.get("decidedBy").asText()).isEqualTo("rule:misuse-majority-serious");
    }

    @Test
    void deliberateFromAnAssessmentFile() throws Exception {
        Path a = dir.resolve("a.yaml");
        Files.writeString(a, "harm:\n  probability: likely\n  severty: serious\nflags: [mass_casualty_uplift]\n");
        CliHarness.Result bad = CliHarness.run("deliberate", "--constitution", "builtin:general", "--assessment", a.toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains(a + ":3:3: harm.severty: unknown harm factor 'severty' (did you mean 'severity'?)");
        Files.writeString(a, "harm:\n  probability: likely\nflags: [mass_casualty_uplift]\n");
        CliHarness.Result ok = CliHarness.run("deliberate", "--constitution", "builtin:general", "--assessment", a.toString());
        assertThat(ok.out()).contains("decision:     decline", "hard-constraint:no-mass-casualty-uplift");
    }

    @Test
    void badAssessmentIsOneLine() {
        CliHarness.Result r = CliHarness.run("deliberate", "--constitution", "builtin:general", "--assess", "severity=apocalyptic");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("--assess: severity: 'apocalyptic' is not a level (0..3 or one of [trivial, minor, serious, irreversible])");
        CliHarness.Result u = CliHarness.run("deliberatee");
        assertThat(u.exitCode()).isEqualTo(2);
        assertThat(u.err()).contains("deliberate");
    }
}
