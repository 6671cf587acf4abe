package dev.phronesis.llm;

import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.OpenAIException;
import com.openai.errors.OpenAIInvalidDataException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageParam;
import com.openai.models.chat.completions.ChatCompletionSystemMessageParam;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.chat.completions.ChatCompletionUserMessageParam;

import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * OpenAI-compatible Chat Completions through the official {@code openai-java} SDK, pointed at any
 * base URL (OpenAI, vLLM, SGLang, Ollama, llama.cpp server, LM Studio, OpenRouter, Together).
 *
 * <p>The SDK's own retries are off ({@code maxRetries(0)}): the engine owns retry policy. Reasoning
 * text that servers return outside the official schema ({@code reasoning_content} from vLLM/SGLang/
 * DeepSeek, {@code reasoning} from OpenRouter/Ollama) is read from the message's additional properties.
 * JSON-schema output is requested with {@code response_format: json_schema}; when a server rejects
 * that with a 400 naming response_format, this model switches (once, for good) to describing the schema
 * in the prompt, and the engine's validate-and-repair loop does the rest.
 */
final class OpenAiChatModel extends RemoteChatModel {
    static final ObjectMapper JSON = dev.phronesis.core.Json.MAPPER;

    private final OpenAIClient client;
    private final boolean useMaxCompletionTokens;
    private final AtomicBoolean schemaInPrompt = new AtomicBoolean(false);

    OpenAiChatModel(ModelSpec spec, String apiKey) {
        super(spec);
        this.client = OpenAIOkHttpClient.builder()
                .baseUrl(spec.baseUrl())
                .apiKey(keyOrPlaceholder(apiKey))
                .maxRetries(0)
                .timeout(spec.limits().timeout())
                .maxIdleConnections(idleConnections())
                .keepAliveDuration(KEEP_ALIVE)
                .build();
        Object field = spec.params().get("max_tokens_field");
        this.useMaxCompletionTokens = field != null ? "max_completion_tokens".equals(field) : spec.baseUrl().contains("api.openai.com");
        if ("prompt".equals(spec.params().get("structured_output"))) schemaInPrompt.set(true);
    }

    @Override ChatResult.Completed attempt(ChatRequest request) throws AttemptException {
        long t0 = System.nanoTime();
        JsonNode body;
        // The raw-response facility of the SDK: the SDK builds, sends and error-checks the request; we read
        // the body with a plain tree parse, which also sees non-standard fields (reasoning_content) and costs
        // a fraction of the SDK's typed deserialisation (measured: ~20% of all CPU per request in the benchmark).
        try (var raw = client.chat().completions().withRawResponse().create(params(request));
             InputStream in = raw.body()) {
            body = JSON.readTree(in);
        } catch (BadRequestException e) {
            if (request.jsonSchema() != null && !schemaInPrompt.get() && mentionsResponseFormat(e)) {
                schemaInPrompt.set(true);
                throw new AttemptException(ChatResult.Failed.Kind.CLIENT_ERROR, true, Duration.ZERO,
                        "server rejected response_format json_schema; retrying with the schema in the prompt");
            }
            throw classify(e);
        } catch (JsonProcessingException e) {
            throw new AttemptException(ChatResult.Failed.Kind.MALFORMED_RESPONSE, true, null, "malformed response body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new AttemptException(hasCause(e, InterruptedIOException.class) ? ChatResult.Failed.Kind.TIMEOUT : ChatResult.Failed.Kind.TRANSPORT,
                    true, null, "reading the response: " + rootMessage(e));
        } catch (OpenAIException | UncheckedIOException e) {
            throw classify(e);
        }
        return toResult(body, Duration.ofNanos(System.nanoTime() - t0));
    }

    /** A chat completion (JSON) as a result; throws MALFORMED_RESPONSE when it is not one. */
    static ChatResult.Completed toResult(JsonNode cc, Duration latency) throws AttemptException {
        JsonNode choice = cc == null ? null : cc.path("choices").path(0);
        if (choice == null || !choice.isObject() || !choice.path("message").isObject())
            throw new AttemptException(ChatResult.Failed.Kind.MALFORMED_RESPONSE, true, null, "chat completion without choices[0].message");
        JsonNode msg = choice.path("message");
        String reasoning = null;
        for (String k : List.of("reasoning_content", "reasoning")) {
            if (msg.path(k).isTextual()) { reasoning = msg.path(k).asText(); break; }
        }
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode tc : msg.path("tool_calls")) {
            JsonNode f = tc.path("function");
            if (!f.isObject()) continue;
            JsonNode args = f.path("arguments");
            calls.add(new ToolCall(tc.path("id").isTextual() ? tc.path("id").asText() : null, f.path("name").asText(),
                    args.isTextual() ? args.asText() : args.isMissingNode() || args.isNull() ? "{}" : args.toString()));
        }
        JsonNode u = cc.path("usage");
        Usage usage = new Usage(u.path("prompt_tokens").asLong(0), u.path("completion_tokens").asLong(0),
                u.path("prompt_tokens_details").path("cached_tokens").asLong(0));
        String finish = choice.path("finish_reason").isTextual() ? choice.path("finish_reason").asText() : null;
        String content = msg.path("content").isTextual() ? msg.path("content").asText() : "";
        return new ChatResult.Completed(content, reasoning, calls, finish, usage, latency, false);
    }

    ChatCompletionCreateParams params(ChatRequest r) {
        boolean schemaPrompt = r.jsonSchema() != null && schemaInPrompt.get();
        var b = ChatCompletionCreateParams.builder().model(spec.model()).temperature(r.temperature()).topP(r.topP());
        if (useMaxCompletionTokens) b.maxCompletionTokens(r.maxTokens()); else b.maxTokens(r.maxTokens());
        if (!r.stop().isEmpty()) b.stopOfStrings(r.stop());
        if (r.seed() != null) b.seed(r.seed());
        List<ChatCompletionMessageParam> msgs = new ArrayList<>();
        if (schemaPrompt && r.messages().stream().noneMatch(m -> m.role() == Role.SYSTEM))
            msgs.add(ChatCompletionMessageParam.ofSystem(ChatCompletionSystemMessageParam.builder().content(SCHEMA_INSTRUCTION + r.responseSchemaJson()).build()));
        boolean systemSeen = false;
        for (ChatMessage m : r.messages()) {
            msgs.add(switch (m.role()) {
                case SYSTEM -> {
                    String text = schemaPrompt && !systemSeen ? m.content() + "\n\n" + SCHEMA_INSTRUCTION + r.responseSchemaJson() : m.content();
                    systemSeen = true;
                    yield ChatCompletionMessageParam.ofSystem(ChatCompletionSystemMessageParam.builder().content(text).build());
                }
                case USER -> ChatCompletionMessageParam.ofUser(ChatCompletionUserMessageParam.builder().content(m.content()).build());
                case ASSISTANT -> {
                    var a = ChatCompletionAssistantMessageParam.builder().content(m.content());
                    for (ToolCall tc : m.toolCalls()) {
                        a.addToolCall(ChatCompletionMessageFunctionToolCall.builder()
                                .id(tc.id() == null ? "call_" + tc.name() : tc.id())
                                .function(ChatCompletionMessageFunctionToolCall.Function.builder().name(tc.name()).arguments(tc.argumentsJson()).build())
                                .build());
                    }
                    yield ChatCompletionMessageParam.ofAssistant(a.build());
                }
                case TOOL -> ChatCompletionMessageParam.ofTool(ChatCompletionToolMessageParam.builder()
                        .toolCallId(m.toolCallId() == null ? "" : m.toolCallId()).content(m.content()).build());
            });
        }
        b.messages(msgs);
        for (ToolSpec t : r.tools()) {
            b.addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                    .name(t.name()).description(t.description())
                    .parameters(FunctionParameters.builder().additionalProperties(jsonMap(t.parametersSchemaJson())).build())
                    .build()).build());
        }
        if (r.answerGrammar()) {
            // phronesis serve's own response_format type; a server without it answers 400, which names it
            Map<String, JsonValue> rf = new java.util.LinkedHashMap<>(jsonMap(r.responseSchemaJson()));
            rf.put("type", JsonValue.from(ChatRequest.ANSWER_GRAMMAR));
            b.putAdditionalBodyProperty("response_format", JsonValue.from(rf));
        } else if (r.responseSchemaJson() != null && !schemaPrompt) {
            b.jsonSchemaResponseFormat(ResponseFormatJsonSchema.JsonSchema.builder()
                    .name(r.schemaName() == null ? "answer" : r.schemaName())
                    .schema(ResponseFormatJsonSchema.JsonSchema.Schema.builder().additionalProperties(jsonMap(r.responseSchemaJson())).build())
                    .build());
        }
        for (Map.Entry<String, Object> e : spec.params().entrySet()) {
            if (e.getKey().equals("max_tokens_field") || e.getKey().equals("structured_output")) continue;
            b.putAdditionalBodyProperty(e.getKey(), JsonValue.from(e.getValue()));
        }
        return b.build();
    }

    static Map<String, JsonValue> jsonMap(String json) {
        try {
            Map<String, Object> m = JSON.readValue(json, new TypeReference<>() {});
            Map<String, JsonValue> out = new java.util.LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, JsonValue.from(v)));
            return out;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("not a JSON object: " + e.getMessage());
        }
    }

    private static boolean mentionsResponseFormat(BadRequestException e) {
        String s = String.valueOf(e.getMessage()) + e.body();
        return s.contains("response_format") || s.contains("json_schema");
    }

    static AttemptException classify(RuntimeException e) {
        return switch (e) {
            case RateLimitException r -> new AttemptException(ChatResult.Failed.Kind.RATE_LIMITED, true, retryAfter(r), "HTTP 429 rate limited: " + brief(r));
            case InternalServerException s -> new AttemptException(ChatResult.Failed.Kind.SERVER_ERROR, true, retryAfter(s), "HTTP " + s.statusCode() + ": " + brief(s));
            case OpenAIServiceException s when s.statusCode() == 408 || s.statusCode() == 409 || s.statusCode() >= 500 ->
                    new AttemptException(ChatResult.Failed.Kind.SERVER_ERROR, true, retryAfter(s), "HTTP " + s.statusCode() + ": " + brief(s));
            case OpenAIServiceException s -> new AttemptException(ChatResult.Failed.Kind.CLIENT_ERROR, false, null, "HTTP " + s.statusCode() + ": " + brief(s));
            case OpenAIIoException io when hasCause(io, InterruptedIOException.class) ->
                    new AttemptException(ChatResult.Failed.Kind.TIMEOUT, true, null, "timed out: " + io.getMessage());
            case OpenAIIoException io -> new AttemptException(ChatResult.Failed.Kind.TRANSPORT, true, null, "transport: " + rootMessage(io));
            case OpenAIInvalidDataException d -> new AttemptException(ChatResult.Failed.Kind.MALFORMED_RESPONSE, true, null, "malformed response: " + rootMessage(d));
            default -> new AttemptException(ChatResult.Failed.Kind.MALFORMED_RESPONSE, true, null, "unreadable response: " + rootMessage(e));
        };
    }

    private static Duration retryAfter(OpenAIServiceException e) {
        var h = e.headers();
        List<String> ms = h.values("retry-after-ms"), s = h.values("retry-after");
        return AttemptException.parseRetryAfter(ms.isEmpty() ? null : ms.getFirst(), s.isEmpty() ? null : s.getFirst());
    }

    private static String brief(OpenAIServiceException e) {
        String m = e.getMessage();
        return m == null ? "" : m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }

    static boolean hasCause(Throwable t, Class<? extends Throwable> c) {
        for (Throwable x = t; x != null; x = x.getCause()) if (c.isInstance(x)) return true;
        return false;
    }

    static String rootMessage(Throwable t) {
        Throwable x = t;
        while (x.getCause() != null && x.getCause() != x) x = x.getCause();
        // what happened in words, never a library's class name (the message reaches users in one line)
        String what = switch (x) {
            case java.net.SocketTimeoutException e -> "timed out";
            case java.io.InterruptedIOException e -> "timed out";
            case java.net.ConnectException e -> "connection refused";
            case java.net.UnknownHostException e -> "unknown host";
            case java.io.EOFException e -> "connection closed before the end of the response";
            case java.net.ProtocolException e -> "protocol error";
            case java.net.SocketException e -> "connection error";
            case java.io.IOException e -> "I/O error";
            default -> "error";
        };
        String msg = x.getMessage() == null ? "" : Secrets.scrub(x.getMessage()).replaceAll("\\b(?:[a-z]+\\.)+([A-Z]\\w*)", "$1").strip();
        String m = msg.isEmpty() ? what : what + " (" + msg + ")";
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }

    @Override public void close() { client.close(); }
}
