package dev.phronesis.llm;

import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class LlmEngineOpenAiTest {
    LlmTestServer server;
    @TempDir Path dir;

    @BeforeEach void start() { server = LlmTestServer.start(); }
    @AfterEach void stop() { server.close(); }

    ChatModel model(ModelLimits limits) {
        return Backends.open(new ModelSpec("t", ModelSpec.Backend.OPENAI, "test-model", server.baseUrl(), null, limits,
                new ModelPrices(1.0, 2.0, 0.5), Map.of()), null);
    }

    ChatModel model() { return model(ModelLimits.DEFAULT.withTimeout(Duration.ofSeconds(5))); }

    static ChatRequest ask(String text) { return ChatRequest.of(List.of(ChatMessage.system("be brief"), ChatMessage.user(text))); }

    @Test void roundTripCarriesTextReasoningToolCallsAndUsage() {
        server.responder(r -> TestReply.text("answer to " + r.lastUserText()).withReasoning("thinking hard")
                .withToolCalls(List.of(new ToolCall("call_9", "lookup", "{\"q\":1}"))));
        try (LlmEngine engine = LlmEngine.open(null); ChatModel m = model()) {
            ChatResult r = engine.chat(m, ask("hello").withTools(List.of(new ToolSpec("lookup", "find", null))));
            assertThat(r).isInstanceOf(ChatResult.Completed.class);
            var c = (ChatResult.Completed) r;
            assertThat(c.content()).isEqualTo("answer to hello");
            assertThat(c.reasoning()).isEqualTo("thinking hard");
            assertThat(c.toolCalls()).containsExactly(new ToolCall("call_9", "lookup", "{\"q\":1}"));
            assertThat(c.finishReason()).isEqualTo("tool_calls");
            assertThat(c.usage().inputTokens()).isPositive();
            assertThat(c.usage().outputTokens()).isPositive();
            assertThat(c.fromJournal()).isFalse();
            assertThat(server.requests().getFirst().toolNames()).containsExactly("lookup");
            assertThat(engine.usage().costUsd()).isPositive();
        }
    }

    @Test void journalServesRepeatsWithoutPayingAgain() {
        Path journal = dir.resolve("j.sqlite");
        List<ChatRequest> reqs = IntStream.range(0, 30).mapToObj(i -> ask("q" + i)).toList();
        try (LlmEngine engine = LlmEngine.open(journal).progress(null); ChatModel m = model()) {
            List<ChatResult> first = engine.chatAll(m, reqs, "first");
            assertThat(first).allMatch(r -> r instanceof ChatResult.Completed c && !c.fromJournal());
        }
        assertThat(server.answered()).isEqualTo(30);
        try (LlmEngine engine = LlmEngine.open(journal).progress(null); ChatModel m = model()) {
            List<ChatResult> again = engine.chatAll(m, reqs, "again");
            assertThat(again).allMatch(r -> r instanceof ChatResult.Completed c && c.fromJournal());
            assertThat(((ChatResult.Completed) again.get(7)).content()).isEqualTo("echo: q7");
            assertThat(engine.usage().fromJournal()).isEqualTo(30);
            // a different sample index is a different paid request
            assertThat(engine.chat(m, ask("q1").withSample(1))).isInstanceOf(ChatResult.Completed.class);
        }
        assertThat(server.answered()).isEqualTo(31);
        assertThat(dir.resolve(LlmEngine.USAGE_FILE)).exists();
    }

    @Test void resultsComeBackInInputOrderUnderTheConcurrencyLimit() {
        server.latency(Duration.ofMillis(20));
        List<ChatRequest> reqs = IntStream.range(0, 60).mapToObj(i -> ask("n" + i)).toList();
        try (LlmEngine engine = LlmEngine.open(null).progress(null); ChatModel m = model(ModelLimits.DEFAULT.withMaxInFlight(5))) {
            List<ChatResult> out = engine.chatAll(m, reqs, "order");
            for (int i = 0; i < 60; i++) assertThat(((ChatResult.Completed) out.get(i)).content()).isEqualTo("echo: n" + i);
        }
        assertThat(server.maxConcurrent()).isLessThanOrEqualTo(5).isGreaterThanOrEqualTo(2);
    }

    @Test void identicalRequestsInOneRunArePaidOnce() {
        server.latency(Duration.ofMillis(30));
        List<ChatRequest> reqs = IntStream.range(0, 20).mapToObj(i -> ask("same")).toList();
        try (LlmEngine engine = LlmEngine.open(null).progress(null); ChatModel m = model()) {
            assertThat(engine.chatAll(m, reqs, "dup")).allMatch(r -> r instanceof ChatResult.Completed);
        }
        assertThat(server.answered()).isEqualTo(1);
    }

    @Test void retriesHonourRetryAfterAndSurviveEveryKindOfFault() {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        Map<String, List<Long>> times = new ConcurrentHashMap<>();
        server.responder(r -> {
            String p = r.lastUserText();
            int n = seen.computeIfAbsent(p, k -> new AtomicInteger()).incrementAndGet();
            times.computeIfAbsent(p, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(System.nanoTime());
            if (n > 1) return TestReply.text("ok " + p);
            return switch (p) {
                case "429" -> TestReply.rateLimited(Duration.ofMillis(700));
                case "500" -> TestReply.serverError();
                case "503" -> TestReply.httpError(503);
                case "malformed" -> TestReply.malformedJson();
                case "truncated" -> TestReply.truncated();
                default -> TestReply.text("ok " + p);
            };
        });
        List<String> prompts = List.of("429", "500", "503", "malformed", "truncated", "fine");
        try (LlmEngine engine = LlmEngine.open(null).progress(null); ChatModel m = model()) {
            List<ChatResult> out = engine.chatAll(m, prompts.stream().map(LlmEngineOpenAiTest::ask).toList(), "faults");
            for (int i = 0; i < prompts.size(); i++) assertThat(((ChatResult.Completed) out.get(i)).content()).isEqualTo("ok " + prompts.get(i));
            assertThat(engine.usage().attempts()).isEqualTo(11);
        }
        List<Long> t = times.get("429");
        assertThat(Duration.ofNanos(t.get(1) - t.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(700));
    }

    @Test void aClientErrorFailsThatRequestOnlyAndIsNotRetried() {
        server.responder(r -> r.lastUserText().equals("bad") ? TestReply.httpError(400) : TestReply.text("fine"));
        try (LlmEngine engine = LlmEngine.open(dir.resolve("j.sqlite")).progress(null); ChatModel m = model()) {
            List<ChatResult> out = engine.chatAll(m, List.of(ask("a"), ask("bad"), ask("b")), "mixed");
            assertThat(out.get(0)).isInstanceOf(ChatResult.Completed.class);
            assertThat(out.get(2)).isInstanceOf(ChatResult.Completed.class);
            var f = (ChatResult.Failed) out.get(1);
            assertThat(f.kind()).isEqualTo(ChatResult.Failed.Kind.CLIENT_ERROR);
            assertThat(f.attempts()).isEqualTo(1);
            assertThat(f.message()).contains("400");
            assertThat(engine.usage().failed()).isEqualTo(1);
        }
        assertThat(server.received()).isEqualTo(3);
    }

    @Test void persistentServerErrorsEndAsFailedAfterMaxAttempts() {
        server.responder(r -> TestReply.httpError(502));
        try (LlmEngine engine = LlmEngine.open(null).progress(null);
             ChatModel m = model(ModelLimits.DEFAULT.withMaxAttempts(3).withTimeout(Duration.ofSeconds(5)))) {
            var f = (ChatResult.Failed) engine.chat(m, ask("x"));
            assertThat(f.kind()).isEqualTo(ChatResult.Failed.Kind.SERVER_ERROR);
            assertThat(f.attempts()).isEqualTo(3);
        }
        assertThat(server.received()).isEqualTo(3);
    }

    @Test void aSlowResponseTimesOutAndIsRetried() {
        AtomicInteger n = new AtomicInteger();
        server.responder(r -> n.incrementAndGet() == 1 ? TestReply.text("late").after(Duration.ofSeconds(3)) : TestReply.text("on time"));
        try (LlmEngine engine = LlmEngine.open(null).progress(null);
             ChatModel m = model(ModelLimits.DEFAULT.withTimeout(Duration.ofMillis(500)))) {
            var c = (ChatResult.Completed) engine.chat(m, ask("x"));
            assertThat(c.content()).isEqualTo("on time");
            assertThat(engine.usage().attempts()).isEqualTo(2);
        }
    }

    @Test void structuredOutputIsRequestedValidatedAndRepaired() {
        String schema = "{\"type\":\"object\",\"properties\":{\"score\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5}},\"required\":[\"score\"],\"additionalProperties\":false}";
        server.responder(r -> {
            boolean repairing = r.messages().size() > 2;
            return TestReply.text(repairing ? "```json\n{\"score\": 4}\n```" : "{\"score\": 9}");
        });
        try (LlmEngine engine = LlmEngine.open(null).progress(null); ChatModel m = model()) {
            var c = (ChatResult.Completed) engine.chat(m, ask("rate it").withSchema("rating", schema));
            assertThat(c.content()).isEqualTo("{\"score\": 4}");
        }
        assertThat(server.requests().getFirst().responseSchemaJson()).contains("\"score\"");
        assertThat(server.requests().get(1).lastUserText()).contains("above the maximum");
    }

    @Test void aServerWithoutJsonSchemaSupportGetsTheSchemaInThePrompt() {
        String schema = "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"]}";
        server.responder(r -> r.body().has("response_format") ? TestReply.httpError(400).withMessage("response_format json_schema is not supported") : TestReply.text("{\"ok\":true}"));
        try (LlmEngine engine = LlmEngine.open(null).progress(null); ChatModel m = model()) {
            var c = (ChatResult.Completed) engine.chat(m, ask("go").withSchema("s", schema));
            assertThat(c.content()).isEqualTo("{\"ok\":true}");
        }
        assertThat(server.requests().getLast().systemText()).contains("JSON Schema").contains("\"ok\"");
    }

    @Test void schemaViolationsThatPersistFailClearly() {
        server.responder(r -> TestReply.text("not json at all"));
        try (LlmEngine engine = LlmEngine.open(null).progress(null); ChatModel m = model()) {
            var f = (ChatResult.Failed) engine.chat(m, ask("go").withSchema("s", "{\"type\":\"object\"}"));
            assertThat(f.kind()).isEqualTo(ChatResult.Failed.Kind.SCHEMA_VIOLATION);
            assertThat(f.message()).contains("not valid JSON");
        }
        assertThat(server.answered()).isEqualTo(1 + LlmEngine.MAX_SCHEMA_REPAIRS);
    }

    @Test void adaptiveLimitBacksOffUnderA429StormAndRecovers() {
        AtomicInteger n = new AtomicInteger();
        server.latency(Duration.ofMillis(5));
        server.responder(r -> n.incrementAndGet() <= 200 ? TestReply.rateLimited(Duration.ofMillis(10)) : TestReply.text("ok"));
        try (LlmEngine engine = LlmEngine.open(null).progress(null);
             ChatModel m = model(ModelLimits.DEFAULT.withMaxInFlight(32).withMaxAttempts(50).withTimeout(Duration.ofSeconds(5)))) {
            var st = engine.state(m);
            List<ChatResult> out = engine.chatAll(m, IntStream.range(0, 100).mapToObj(i -> ask("s" + i)).toList(), "storm");
            assertThat(out).allMatch(r -> r instanceof ChatResult.Completed);
            assertThat(st.limiter.limit()).isLessThanOrEqualTo(32);
        }
    }
}
