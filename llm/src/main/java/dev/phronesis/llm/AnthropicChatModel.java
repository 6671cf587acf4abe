package dev.phronesis.llm;

import dev.phronesis.core.records.Role;
import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.ObjectMappers;
import com.anthropic.errors.AnthropicException;
import com.anthropic.errors.AnthropicInvalidDataException;
import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlockParam;
import com.fasterxml.jackson.core.JsonProcessingException;

import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Anthropic Messages API through the official {@code anthropic-java} SDK, with extended thinking:
 * thinking blocks become {@link ChatResult.Completed#reasoning()}; pass
 * {@code params: {thinking: {type: enabled, budget_tokens: 4096}}} to turn it on (temperature is then
 * left out, as the API requires).
 *
 * <p>Mapping: system messages join the top-level {@code system}; consecutive turns of one side are
 * merged (tool results are user turns), as the API requires alternation. A requested JSON schema is
 * described in the system prompt and enforced by the engine's validate-and-repair loop. Anthropic
 * reports {@code input_tokens} without prompt-cache reads and writes; {@link Usage#inputTokens()} here
 * is their sum and {@link Usage#cachedInputTokens()} the cache reads.
 */
final class AnthropicChatModel extends RemoteChatModel {

    private final AnthropicClient client;

    AnthropicChatModel(ModelSpec spec, String apiKey) {
        super(spec);
        this.client = AnthropicOkHttpClient.builder()
                .baseUrl(spec.baseUrl())
                .apiKey(keyOrPlaceholder(apiKey))
                .maxRetries(0)
                .timeout(spec.limits().timeout())
                .maxIdleConnections(idleConnections())
                .keepAliveDuration(KEEP_ALIVE)
                .build();
    }

    @Override ChatResult.Completed attempt(ChatRequest request) throws AttemptException {
        long t0 = System.nanoTime();
        Message m;
        try {
            m = client.messages().create(params(request));
        } catch (AnthropicException | UncheckedIOException e) {
            throw classify(e);
        }
        try {
            return toResult(m, Duration.ofNanos(System.nanoTime() - t0));
        } catch (AnthropicException | IllegalStateException | NullPointerException e) {
            throw new AttemptException(ChatResult.Failed.Kind.MALFORMED_RESPONSE, true, null, "malformed message: " + e.getMessage());
        }
    }

    static ChatResult.Completed toResult(Message m, Duration latency) {
        StringBuilder text = new StringBuilder(), thinking = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        for (ContentBlock b : m.content()) {
            if (b.isText()) text.append(b.asText().text());
            else if (b.isThinking()) thinking.append(b.asThinking().thinking());
            else if (b.isToolUse()) {
                var tu = b.asToolUse();
                String args;
                try { args = ObjectMappers.jsonMapper().writeValueAsString(tu._input()); }
                catch (JsonProcessingException e) { args = "{}"; }
                calls.add(new ToolCall(tu.id(), tu.name(), args));
            }
        }
        var u = m.usage();
        long cacheRead = u.cacheReadInputTokens().orElse(0L), cacheWrite = u.cacheCreationInputTokens().orElse(0L);
        Usage usage = new Usage(u.inputTokens() + cacheRead + cacheWrite, u.outputTokens(), cacheRead);
        String stop = m.stopReason().map(s -> s.asString()).orElse(null);
        return new ChatResult.Completed(text.toString(), thinking.isEmpty() ? null : thinking.toString(), calls, stop, usage, latency, false);
    }

    MessageCreateParams params(ChatRequest r) {
        var b = MessageCreateParams.builder().model(spec.model()).maxTokens(r.maxTokens());
        boolean thinking = spec.params().containsKey("thinking");
        // this SDK version's builder has no typed sampling setters; the API still accepts them
        if (!thinking) b.putAdditionalBodyProperty("temperature", JsonValue.from(Math.min(1.0, r.temperature())));
        if (r.topP() < 1.0) b.putAdditionalBodyProperty("top_p", JsonValue.from(r.topP()));
        if (!r.stop().isEmpty()) b.stopSequences(r.stop());
        StringBuilder system = new StringBuilder();
        for (ChatMessage m : r.messages()) if (m.role() == Role.SYSTEM) system.append(system.isEmpty() ? "" : "\n\n").append(m.content());
        if (r.answerGrammar())
            throw new dev.phronesis.core.UserError("model '" + spec.model() + "': the anthropic backend cannot enforce the answer grammar (guided decoding); use free decoding");
        if (r.responseSchemaJson() != null) system.append(system.isEmpty() ? "" : "\n\n").append(SCHEMA_INSTRUCTION).append(r.responseSchemaJson());
        if (!system.isEmpty()) b.system(system.toString());
        // merge consecutive turns of one side: the API wants user/assistant alternation
        List<ContentBlockParam> turn = new ArrayList<>();
        Boolean turnIsUser = null;
        for (ChatMessage m : r.messages()) {
            if (m.role() == Role.SYSTEM) continue;
            boolean user = m.role() != Role.ASSISTANT;
            if (turnIsUser != null && turnIsUser != user) { addTurn(b, turnIsUser, turn); turn = new ArrayList<>(); }
            turnIsUser = user;
            switch (m.role()) {
                case USER -> turn.add(ContentBlockParam.ofText(m.content()));
                case TOOL -> turn.add(ContentBlockParam.ofToolResult(ToolResultBlockParam.builder()
                        .toolUseId(m.toolCallId() == null ? "" : m.toolCallId()).content(m.content()).build()));
                case ASSISTANT -> {
                    if (!m.content().isEmpty()) turn.add(ContentBlockParam.ofText(m.content()));
                    for (ToolCall tc : m.toolCalls()) {
                        turn.add(ContentBlockParam.ofToolUse(ToolUseBlockParam.builder()
                                .id(tc.id() == null ? "toolu_" + tc.name() : tc.id()).name(tc.name())
                                .input(ToolUseBlockParam.Input.builder().additionalProperties(jsonMap(tc.argumentsJson())).build())
                                .build()));
                    }
                }
                case SYSTEM -> throw new IllegalStateException("unreachable");
            }
        }
        if (turnIsUser != null) addTurn(b, turnIsUser, turn);
        for (ToolSpec t : r.tools()) {
            Map<String, JsonValue> schema = jsonMap(t.parametersSchemaJson());
            var in = Tool.InputSchema.builder();
            schema.forEach((k, v) -> { if (!k.equals("type")) in.putAdditionalProperty(k, v); });
            b.addTool(Tool.builder().name(t.name()).description(t.description()).inputSchema(in.build()).build());
        }
        for (Map.Entry<String, Object> e : spec.params().entrySet()) {
            if (BatchChatModel.isControlParam(e.getKey())) continue;
            b.putAdditionalBodyProperty(e.getKey(), JsonValue.from(e.getValue()));
        }
        return b.build();
    }

    private static void addTurn(MessageCreateParams.Builder b, boolean user, List<ContentBlockParam> blocks) {
        if (user) b.addUserMessageOfContentBlockParams(blocks); else b.addAssistantMessageOfContentBlockParams(blocks);
    }

    static Map<String, JsonValue> jsonMap(String json) {
        try {
            Map<String, Object> m = ObjectMappers.jsonMapper().readValue(json, new com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>>() {});
            Map<String, JsonValue> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, JsonValue.from(v)));
            return out;
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }

    static AttemptException classify(RuntimeException e) {
        return switch (e) {
            case RateLimitException r -> new AttemptException(ChatResult.Failed.Kind.RATE_LIMITED, true, retryAfter(r), "HTTP 429 rate limited: " + brief(r));
            case AnthropicServiceException s when s.statusCode() == 408 || s.statusCode() == 409 || s.statusCode() >= 500 ->
                    new AttemptException(ChatResult.Failed.Kind.SERVER_ERROR, true, retryAfter(s), "HTTP " + s.statusCode() + ": " + brief(s));
            case AnthropicServiceException s -> new AttemptException(ChatResult.Failed.Kind.CLIENT_ERROR, false, null, "HTTP " + s.statusCode() + ": " + brief(s));
            case AnthropicIoException io when OpenAiChatModel.hasCause(io, InterruptedIOException.class) ->
                    new AttemptException(ChatResult.Failed.Kind.TIMEOUT, true, null, "timed out: " + io.getMessage());
            case AnthropicIoException io -> new AttemptException(ChatResult.Failed.Kind.TRANSPORT, true, null, "transport: " + OpenAiChatModel.rootMessage(io));
            case AnthropicInvalidDataException d -> new AttemptException(ChatResult.Failed.Kind.MALFORMED_RESPONSE, true, null, "malformed response: " + OpenAiChatModel.rootMessage(d));
            default -> new AttemptException(ChatResult.Failed.Kind.MALFORMED_RESPONSE, true, null, "unreadable response: " + OpenAiChatModel.rootMessage(e));
        };
    }

    private static Duration retryAfter(AnthropicServiceException e) {
        var h = e.headers();
        List<String> ms = h.values("retry-after-ms"), s = h.values("retry-after");
        return AttemptException.parseRetryAfter(ms.isEmpty() ? null : ms.getFirst(), s.isEmpty() ? null : s.getFirst());
    }

    private static String brief(AnthropicServiceException e) {
        String m = e.getMessage();
        return m == null ? "" : m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }

    AnthropicClient client() { return client; }

    @Override public void close() { client.close(); }
}
