package dev.phronesis.cli;

import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.llm.ModelPrices;
import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class LlmCliTest {
    @TempDir Path dir;

    @Test void pingReportsLatencyReasoningAndTokens() throws Exception {
        try (LlmTestServer server = LlmTestServer.start()) {
            server.responder(r -> TestReply.text("pong").withReasoning("they asked for pong"));
            Path models = dir.resolve("models.yaml");
            Files.writeString(models, "models:\n  - name: local\n    backend: openai\n    model: tiny\n    base_url: " + server.baseUrl() + "\n");
            CliHarness.Result r = CliHarness.run("llm", "ping", "local", "--models", models.toString());
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.out()).contains("answer:   pong").contains("reasoning: 19 chars").contains("latency:").contains("(cold)");
            assertThat(server.answered()).isEqualTo(2);

            CliHarness.Result a = CliHarness.run("llm", "ping", "anthropic:claude@" + server.anthropicBaseUrl(), "--count", "1");
            assertThat(a.exitCode()).as(a.err()).isZero();
            assertThat(a.out()).contains("finish:   end_turn");

            server.responder(req -> TestReply.httpError(401));
            CliHarness.Result bad = CliHarness.run("llm", "ping", "openai:tiny@" + server.baseUrl());
            assertThat(bad.exitCode()).isEqualTo(1);
            assertThat(bad.err()).contains("ping failed (CLIENT_ERROR)").contains("401");
        }
        CliHarness.Result unknown = CliHarness.run("llm", "ping", "teacher", "--models", dir.resolve("models.yaml").toString());
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("no model named 'teacher'");
    }

    @Test void usageSummarisesTheJournalOfARun() {
        Path run = dir.resolve("run");
        try (LlmTestServer server = LlmTestServer.start()) {
            ChatModel m = ModelCatalog.openSpec("openai:tiny@" + server.baseUrl());
            try (LlmEngine e = LlmEngine.open(run.resolve(LlmEngine.JOURNAL_FILE)).progress(null).prices(m, new ModelPrices(1000, 1000, 1000))) {
                e.chatAll(m, IntStream.range(0, 7).mapToObj(i -> ChatRequest.of(List.of(ChatMessage.user("q" + i)))).toList(), "demo");
            }
        }
        CliHarness.Result r = CliHarness.run("llm", "usage", run.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("openai:tiny@").contains("total: 7 requests: 7 completed").contains("cost $0.");
        CliHarness.Result none = CliHarness.run("llm", "usage", dir.resolve("nowhere").toString());
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).contains("no such run directory");
    }
}
