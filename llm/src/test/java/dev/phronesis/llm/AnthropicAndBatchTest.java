package dev.phronesis.llm;

import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import dev.phronesis.llm.testserver.TestRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class AnthropicAndBatchTest {
    LlmTestServer server;
    @TempDir Path dir;

    @BeforeEach void start() { server = LlmTestServer.start().batchDelay(Duration.ofMillis(150)); }
    @AfterEach void stop() { server.close(); }

    ChatModel open(ModelSpec.Backend backend, Map<String, Object> params) {
        String url = backend.isAnthropic() ? server.anthropicBaseUrl() : server.baseUrl();
        return Backends.open(new ModelSpec("m", backend, "model-x", url, null,
                ModelLimits.DEFAULT.withTimeout(Duration.ofSeconds(5)), new ModelPrices(3, 15, 0.3), params), null);
    }

    static ChatRequest ask(String text) { return ChatRequest.of(List.of(ChatMessage.system("sys"), ChatMessage.user(text))); }

    @Test void anthropicCarriesThinkingToolUseUsageAndSystem() {
        server.responder(r -> TestReply.text("visible").withReasoning("deliberating")
                .withToolCalls(List.of(new ToolCall("toolu_1", "calc", "{\"x\":2}"))));
        try (LlmEngine engine = LlmEngine.open(null); ChatModel m = open(ModelSpec.Backend.ANTHROPIC, Map.of("thinking", Map.of("type", "enabled", "budget_tokens", 1024)))) {
            var c = (ChatResult.Completed) engine.chat(m, ask("hi").withTools(List.of(new ToolSpec("calc", "adds", null))));
            assertThat(c.content()).isEqualTo("visible");
            assertThat(c.reasoning()).isEqualTo("deliberating");
            assertThat(c.toolCalls()).containsExactly(new ToolCall("toolu_1", "calc", "{\"x\":2}"));
            assertThat(c.finishReason()).isEqualTo("tool_use");
            assertThat(c.usage().inputTokens()).isPositive();
        }
        TestRequest got = server.requests().getFirst();
        assertThat(got.protocol()).isEqualTo(TestRequest.Protocol.ANTHROPIC);
        assertThat(got.systemText()).isEqualTo("sys");
        assertThat(got.toolNames()).containsExactly("calc");
        assertThat(got.body().path("thinking").path("budget_tokens").asInt()).isEqualTo(1024);
        assertThat(got.body().has("temperature")).isFalse();
    }

    @Test void anthropicConversationWithToolResultsAlternates() {
        try (LlmEngine engine = LlmEngine.open(null); ChatModel m = open(ModelSpec.Backend.ANTHROPIC, Map.of())) {
            var req = ChatRequest.of(List.of(ChatMessage.user("add"),
                    ChatMessage.assistant("", null, List.of(new ToolCall("t1", "calc", "{\"x\":1}"))),
                    ChatMessage.tool("t1", "2"), ChatMessage.user("thanks")));
            assertThat(engine.chat(m, req)).isInstanceOf(ChatResult.Completed.class);
        }
        var msgs = server.requests().getFirst().body().path("messages");
        assertThat(msgs.size()).isEqualTo(3);
        assertThat(msgs.get(2).path("content").get(0).path("type").asText()).isEqualTo("tool_result");
        assertThat(msgs.get(2).path("content").get(1).path("text").asText()).isEqualTo("thanks");
    }

    @Test void anthropicRetriesOverloadAndRateLimit() {
        AtomicInteger n = new AtomicInteger();
        server.responder(r -> switch (n.incrementAndGet()) {
            case 1 -> TestReply.httpError(529);
            case 2 -> TestReply.rateLimited(Duration.ofMillis(300));
            default -> TestReply.text("fine");
        });
        try (LlmEngine engine = LlmEngine.open(null); ChatModel m = open(ModelSpec.Backend.ANTHROPIC, Map.of())) {
            var c = (ChatResult.Completed) engine.chat(m, ask("x"));
            assertThat(c.content()).isEqualTo("fine");
            assertThat(engine.usage().attempts()).isEqualTo(3);
        }
    }

    @Test void anthropicStructuredOutputGoesThroughTheSystemPromptAndIsValidated() {
        String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}";
        try (LlmEngine engine = LlmEngine.open(null); ChatModel m = open(ModelSpec.Backend.ANTHROPIC, Map.of())) {
            server.responder(r -> r.systemText().contains("JSON Schema") ? TestReply.text("{\"a\":\"b\"}") : TestReply.text("prose"));
            var c = (ChatResult.Completed) engine.chat(m, ask("x").withSchema("s", schema));
            assertThat(c.content()).isEqualTo("{\"a\":\"b\"}");
        }
    }

    void batchRoundTrip(ModelSpec.Backend backend) {
        Path journal = dir.resolve("j.sqlite");
        List<ChatRequest> reqs = IntStream.range(0, 12).mapToObj(i -> ask("b" + i)).toList();
        try (LlmEngine engine = LlmEngine.open(journal).progress(null); ChatModel m = open(backend, Map.of("poll_interval", "50ms"))) {
            List<ChatResult> out = engine.chatAll(m, reqs, "batch");
            for (int i = 0; i < 12; i++) assertThat(((ChatResult.Completed) out.get(i)).content()).isEqualTo("echo: b" + i);
            assertThat(engine.usage().costUsd()).isPositive();
        }
        assertThat(server.batchesCreated()).isEqualTo(1);
        assertThat(server.answered()).isEqualTo(12);
        assertThat(server.received()).isZero();
        // the online backend of the same model shares the journal
        ModelSpec.Backend online = backend.isAnthropic() ? ModelSpec.Backend.ANTHROPIC : ModelSpec.Backend.OPENAI;
        try (LlmEngine engine = LlmEngine.open(journal).progress(null); ChatModel m = open(online, Map.of())) {
            assertThat(engine.chatAll(m, reqs, "again")).allMatch(r -> r instanceof ChatResult.Completed c && c.fromJournal());
        }
        assertThat(server.answered()).isEqualTo(12);
    }

    @Test void openAiBatchSubmitsPollsAndCollects() { batchRoundTrip(ModelSpec.Backend.OPENAI_BATCH); }

    @Test void anthropicBatchSubmitsPollsAndCollects() { batchRoundTrip(ModelSpec.Backend.ANTHROPIC_BATCH); }

    @Test void aRestartedRunResumesTheSubmittedBatchInsteadOfPayingAgain() throws Exception {
        for (ModelSpec.Backend backend : List.of(ModelSpec.Backend.OPENAI_BATCH, ModelSpec.Backend.ANTHROPIC_BATCH)) {
            server.resetCounters();
            long before = server.batchesCreated();
            Path journal = dir.resolve(backend.wire() + ".sqlite");
            List<ChatRequest> reqs = IntStream.range(0, 5).mapToObj(i -> ask(backend + "-r" + i)).toList();
            try (LlmEngine engine = LlmEngine.open(journal).progress(null); ChatModel m = open(backend, Map.of("poll_interval", "50ms"))) {
                // what a process does right before it dies: submit, and journal the batch id
                BatchChatModel bm = (BatchChatModel) m;
                var items = reqs.stream().map(r -> Map.entry(engine.key(m, r), r)).toList();
                String id = bm.submit(items);
                engine.journal().putBatch(id, m.id(), items.stream().map(Map.Entry::getKey).toList());
            }
            try (LlmEngine engine = LlmEngine.open(journal).progress(null); ChatModel m = open(backend, Map.of("poll_interval", "50ms"))) {
                List<ChatResult> out = engine.chatAll(m, reqs, "resume");
                assertThat(out).allMatch(r -> r instanceof ChatResult.Completed);
            }
            assertThat(server.batchesCreated() - before).as(backend.wire()).isEqualTo(1);
            assertThat(server.answered()).isEqualTo(5);
        }
    }

    @Test void failedBatchItemsAreRetriedInANewBatch() {
        AtomicInteger n = new AtomicInteger();
        server.responder(r -> r.lastUserText().equals("b3") && n.incrementAndGet() == 1 ? TestReply.serverError() : TestReply.text("ok"));
        try (LlmEngine engine = LlmEngine.open(null).progress(null); ChatModel m = open(ModelSpec.Backend.OPENAI_BATCH, Map.of("poll_interval", "50ms"))) {
            List<ChatResult> out = engine.chatAll(m, IntStream.range(0, 5).mapToObj(i -> ask("b" + i)).toList(), "retry");
            assertThat(out).allMatch(r -> r instanceof ChatResult.Completed);
        }
        assertThat(server.batchesCreated()).isEqualTo(2);
    }
}
