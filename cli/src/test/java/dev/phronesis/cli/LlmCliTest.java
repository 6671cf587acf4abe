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

    /** Tokens of a request whose schema repairs all failed count in `llm usage` exactly as in llm-usage.json. */
    @Test void usageCountsTheTokensOfFailedRepairLoopsAsTheLiveSummaryDoes() throws Exception {
        Path run = dir.resolve("run");
        try (LlmTestServer server = LlmTestServer.start()) {
            // "good" answers at once; "fixme" is repaired on the second turn; "bad" never satisfies the schema
            server.responder(r -> {
                String body = r.body().toString();
                boolean repairTurn = body.contains("does not satisfy the required JSON schema");
                return body.contains("bad") || (body.contains("fixme") && !repairTurn) ? TestReply.text("not json at all") : TestReply.text("{\"ok\": true}");
            });
            ChatModel m = ModelCatalog.openSpec("openai:tiny@" + server.baseUrl());
            try (LlmEngine e = LlmEngine.open(run.resolve(LlmEngine.JOURNAL_FILE)).progress(null).prices(m, new ModelPrices(1000, 1000, 1000))) {
                e.chatAll(m, List.of(ChatRequest.of(List.of(ChatMessage.user("good"))).withSchema("s", "{\"type\":\"object\"}"),
                        ChatRequest.of(List.of(ChatMessage.user("fixme"))).withSchema("s", "{\"type\":\"object\"}"),
                        ChatRequest.of(List.of(ChatMessage.user("bad"))).withSchema("s", "{\"type\":\"object\"}")), "repairs");
            }
        }
        var live = dev.phronesis.core.Json.MAPPER.readTree(run.resolve(LlmEngine.USAGE_FILE).toFile()).path("total");
        assertThat(live.path("failed").asLong()).isEqualTo(1);
        CliHarness.Result r = CliHarness.run("llm", "usage", run.toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        var journal = dev.phronesis.core.Json.MAPPER.readTree(r.out()).path("total");
        for (String f : List.of("requests", "completed", "failed", "attempts", "input_tokens", "output_tokens", "cached_input_tokens"))
            assertThat(journal.path(f).asLong()).as(f).isEqualTo(live.path(f).asLong());
        assertThat(journal.path("cost_usd").asDouble()).isCloseTo(live.path("cost_usd").asDouble(), org.assertj.core.data.Offset.offset(1e-9));
        // every paid turn is in it: the failed request's three as well
        assertThat(journal.path("attempts").asLong()).isEqualTo(1 + 2 + 3); // answered at once; repaired once; failed after two repairs
        assertThat(journal.path("input_tokens").asLong()).isGreaterThan(0);
        CliHarness.Result text = CliHarness.run("llm", "usage", run.toString());
        assertThat(text.out()).contains("total: 3 requests: 2 completed (0 from journal), 1 failed; 6 attempts");
    }
}
