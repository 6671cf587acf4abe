package dev.phronesis.llm;

import dev.phronesis.core.UserError;
import dev.phronesis.llm.testserver.LlmTestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelCatalogTest {
    @TempDir Path dir;

    Path write(String yaml) throws Exception {
        Path p = dir.resolve("models.yaml");
        Files.writeString(p, yaml);
        return p;
    }

    @Test void loadsAFullEntry() throws Exception {
        Path p = write("""
                models:
                  - name: teacher
                    backend: openai
                    model: gpt-4o-mini
                    base_url: http://127.0.0.1:9/v1/
                    api_key_env: MY_KEY
                    limits: {max_in_flight: 32, requests_per_minute: 500, tokens_per_minute: 200000, timeout: 90s, max_attempts: 4}
                    prices: {input: 0.15, output: 0.6, cached_input: 0.075}
                    params: {reasoning_effort: low, extra_body: {top_k: 20}}
                  - name: judge
                    backend: anthropic
                    model: claude-x
                """);
        ModelCatalog c = ModelCatalog.load(p, Map.of());
        assertThat(c.names()).containsExactly("teacher", "judge");
        ModelSpec t = c.spec("teacher");
        assertThat(t.baseUrl()).isEqualTo("http://127.0.0.1:9/v1");
        assertThat(t.limits()).isEqualTo(new ModelLimits(32, 500, 200000, Duration.ofSeconds(90), 4));
        assertThat(t.prices()).isEqualTo(new ModelPrices(0.15, 0.6, 0.075));
        assertThat(t.params()).containsEntry("reasoning_effort", "low").containsEntry("extra_body", Map.of("top_k", 20L));
        assertThat(c.spec("judge").baseUrl()).isEqualTo("https://api.anthropic.com");
    }

    @Test void unknownKeysAreErrorsWithPlaceAndSuggestion() throws Exception {
        Path p = write("""
                models:
                  - name: teacher
                    backend: openai
                    modle: gpt
                """);
        assertThatThrownBy(() -> ModelCatalog.load(p, Map.of()))
                .isInstanceOf(UserError.class)
                .hasMessageContaining("models.yaml:4:5")
                .hasMessageContaining("unknown key 'modle'")
                .hasMessageContaining("did you mean 'model'");
    }

    @Test void badYamlAndBadValuesNameLineAndColumn() throws Exception {
        assertThatThrownBy(() -> ModelCatalog.load(write("models:\n  - name: [unclosed\n"), Map.of()))
                .isInstanceOf(UserError.class).hasMessageContaining("models.yaml:").hasMessageContaining("YAML syntax error");
        assertThatThrownBy(() -> ModelCatalog.load(write("models:\n  - name: a\n    backend: openia\n    model: m\n"), Map.of()))
                .hasMessageContaining("models.yaml:3:14").hasMessageContaining("did you mean 'openai'");
        assertThatThrownBy(() -> ModelCatalog.load(write("models:\n  - name: a\n    backend: openai\n    model: m\n    limits: {max_in_flight: 0}\n"), Map.of()))
                .hasMessageContaining("models.yaml:5:").hasMessageContaining("max_in_flight");
        assertThatThrownBy(() -> ModelCatalog.load(write("models:\n  - name: a\n    backend: openai\n    model: m\n    api_key_env: sk-live-123\n"), Map.of()))
                .hasMessageContaining("NAME of an environment variable");
    }

    @Test void aMissingKeyVariableIsNamedButNoValueIsShown() throws Exception {
        Path p = write("models:\n  - name: a\n    backend: openai\n    model: m\n    api_key_env: PHRONESIS_TEST_ABSENT_KEY\n");
        ModelCatalog c = ModelCatalog.load(p, Map.of());
        assertThatThrownBy(() -> c.open("a")).isInstanceOf(UserError.class)
                .hasMessageContaining("models.yaml:5:18")
                .hasMessageContaining("PHRONESIS_TEST_ABSENT_KEY")
                .hasMessageContaining("is not set");
        assertThatThrownBy(() -> c.open("b")).hasMessageContaining("no model named 'b'");
    }

    @Test void inlineSpecsOpenWorkingModels() {
        try (LlmTestServer server = LlmTestServer.start(); LlmEngine engine = LlmEngine.open(null)) {
            ChatModel m = ModelCatalog.openSpec("openai:tiny@" + server.baseUrl());
            assertThat(m.id()).isEqualTo("openai:tiny@" + server.baseUrl());
            var r = (ChatResult.Completed) engine.chat(m, ChatRequest.of(List.of(ChatMessage.user("hi"))));
            assertThat(r.content()).isEqualTo("echo: hi");
            assertThat(server.requests().getFirst().model()).isEqualTo("tiny");
        }
        assertThatThrownBy(() -> ModelCatalog.openSpec("opnai:x")).hasMessageContaining("did you mean 'openai'");
        assertThatThrownBy(() -> ModelCatalog.openSpec("nocolon")).hasMessageContaining("BACKEND:MODEL");
    }

    /** Hostile files fail as one clean line, the same the constitution loader gives (both read through core.yaml). */
    @Test void hostileFilesFailLikeTheConstitutionLoader() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("models-dir.yaml"));
        Path latin1 = dir.resolve("latin1.yaml");
        Files.write(latin1, "models:\n  - name: caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        Path deep = dir.resolve("deep.yaml");
        Files.writeString(deep, "models: " + "[".repeat(200) + "]".repeat(200) + "\n");
        StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 12; i++) bomb.append((char) ('a' + i)).append(": &").append((char) ('a' + i)).append(" [")
                .append(String.join(", ", java.util.Collections.nCopies(9, "*" + (char) ('a' + i - 1)))).append("]\n");
        Path aliases = dir.resolve("aliases.yaml");
        Files.writeString(aliases, bomb.toString());
        for (Path p : List.of(folder, latin1, deep, aliases)) {
            String catalog = message(() -> ModelCatalog.load(p, Map.of()));
            String constitution = message(() -> dev.phronesis.core.constitution.ConstitutionLoader.load(p));
            assertThat(catalog).as(p.toString()).startsWith(p.toString()).doesNotContain("Exception").doesNotContain("snakeyaml");
            assertThat(catalog.lines().findFirst()).as(p.toString()).isEqualTo(constitution.lines().findFirst());
        }
    }

    private static String message(Runnable r) {
        try {
            r.run();
        } catch (UserError e) {
            return e.getMessage();
        }
        throw new AssertionError("no error");
    }
}
