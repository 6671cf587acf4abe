package dev.phronesis.llm;

import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The API key reaches the server and nothing else: not results, errors, the journal, the usage file or the progress output. */
class KeyLeakTest {
    static final String KEY = "sk-phronesis-test-5ecret-0123456789abcdef";
    @TempDir Path dir;

    @Test void theKeyAppearsInNothingARunWrites() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path models = dir.resolve("models.yaml");
        try (LlmTestServer server = LlmTestServer.start()) {
            Files.writeString(models, """
                    models:
                      - name: leaky
                        backend: openai
                        model: m
                        base_url: %s
                        api_key_env: PHRONESIS_LEAK_TEST_KEY
                      - name: leaky-anthropic
                        backend: anthropic
                        model: m
                        base_url: %s
                        api_key_env: PHRONESIS_LEAK_TEST_KEY
                    """.formatted(server.baseUrl(), server.anthropicBaseUrl()));
            // a hostile proxy that echoes the key back in its error bodies
            server.responder(r -> r.lastUserText().startsWith("fail")
                    ? TestReply.httpError(401).withMessage("Incorrect API key provided: " + KEY)
                    : r.lastUserText().startsWith("slow") ? TestReply.httpError(500).withMessage("upstream said " + KEY)
                    : TestReply.text("fine"));
            ModelCatalog catalog = ModelCatalog.load(models, Map.of("PHRONESIS_LEAK_TEST_KEY", KEY));
            Path runDir = dir.resolve("run");
            List<ChatResult> all = new java.util.ArrayList<>();
            try (LlmEngine engine = LlmEngine.open(runDir.resolve(LlmEngine.JOURNAL_FILE)).progress(new PrintStream(err, true, StandardCharsets.UTF_8))) {
                for (String name : List.of("leaky", "leaky-anthropic")) {
                    try (ChatModel m = catalog.open(name)) {
                        engine.limits(m, ModelLimits.DEFAULT.withMaxAttempts(2));
                        List<ChatRequest> reqs = IntStream.range(0, 30).mapToObj(i -> ChatRequest.of(List.of(ChatMessage.user((i % 3 == 0 ? "fail" : i % 3 == 1 ? "slow" : "ok") + i + name)))).toList();
                        all.addAll(engine.chatAll(m, reqs, "leak"));
                        assertThat(m.toString()).doesNotContain(KEY);
                    }
                }
            }
            assertThat(server.credentialsSeen()).anyMatch(h -> h.contains(KEY));
            assertThat(all).anyMatch(r -> r instanceof ChatResult.Failed f && f.message().contains("***"));
            for (ChatResult r : all) assertThat(r.toString()).doesNotContain(KEY);
            assertThat(err.toString(StandardCharsets.UTF_8)).doesNotContain(KEY);
            try (var files = Files.walk(dir)) {
                for (Path p : files.filter(Files::isRegularFile).toList()) {
                    String bytes = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                    assertThat(bytes).as(p.toString()).doesNotContain(KEY);
                }
            }
            assertThat(Files.exists(runDir.resolve(LlmEngine.USAGE_FILE))).isTrue();
        }
    }
}
