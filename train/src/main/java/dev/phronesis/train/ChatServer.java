package dev.phronesis.train;

import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible Chat Completions endpoint for any {@link ChatModel} (here: the embedded
 * student) on 127.0.0.1: {@code POST /v1/chat/completions} (non-streaming; {@code n} samples;
 * {@code temperature}, {@code top_p}, {@code max_tokens} / {@code max_completion_tokens},
 * {@code stop}, {@code seed}) and {@code GET /v1/models}. Reasoning comes back as
 * {@code message.reasoning_content}. Each HTTP request runs on its own virtual thread, so concurrent
 * clients reach the model's micro-batching. {@link #close} is idempotent.
 */
public final class ChatServer implements AutoCloseable {
    /** Bodies past this are refused: a chat for a small student is a few KB. */
    private static final int MAX_BODY_BYTES = 8 << 20;
    /** OpenAI's default when the client names none. */
    private static final int DEFAULT_MAX_TOKENS = 256;

    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ChatModel model;
    private final String modelName;
    private volatile boolean closed;

    private ChatServer(ChatModel model, String modelName, int port) throws IOException {
        this.model = model;
        this.modelName = modelName;
        this.http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        http.setExecutor(executor);
        http.createContext("/v1/chat/completions", this::completions);
        http.createContext("/v1/models", this::models);
        http.start();
    }

    /** Starts serving on 127.0.0.1:{@code port} (0 = any free port). */
    public static ChatServer start(ChatModel model, String modelName, int port) throws IOException {
        return new ChatServer(model, modelName, port);
    }

    public int port() { return http.getAddress().getPort(); }

    private void models(HttpExchange ex) throws IOException {
        ObjectNode n = Json.MAPPER.createObjectNode().put("object", "list");
        n.putArray("data").addObject().put("id", modelName).put("object", "model").put("owned_by", "phronesis");
        send(ex, 200, n);
    }

    private void completions(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"POST".equals(ex.getRequestMethod())) { error(ex, 405, "use POST"); return; }
            JsonNode body;
            try (InputStream in = ex.getRequestBody()) {
                byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
                if (bytes.length > MAX_BODY_BYTES) { error(ex, 413, "request body too large"); return; }
                body = Json.MAPPER.readTree(bytes);
            } catch (IOException e) {
                error(ex, 400, "body is not JSON: " + Json.oneLine(e));
                return;
            }
            ChatRequest base;
            int n;
            try {
                if (body == null || !body.isObject()) throw new IllegalArgumentException("body must be a JSON object");
                if (body.path("stream").asBoolean(false)) throw new IllegalArgumentException("stream=true is not supported");
                n = body.path("n").asInt(1);
                if (n < 1 || n > 128) throw new IllegalArgumentException("n must be within [1, 128]");
                base = request(body);
            } catch (IllegalArgumentException e) {
                error(ex, 400, e.getMessage());
                return;
            }
            List<java.util.concurrent.Future<ChatResult>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ChatRequest r = base.withSample(i);
                futures.add(executor.submit(() -> model.chat(r)));
            }
            ObjectNode resp = Json.MAPPER.createObjectNode();
            resp.put("id", "chatcmpl-" + UUID.randomUUID()).put("object", "chat.completion")
                    .put("created", System.currentTimeMillis() / 1000).put("model", modelName);
            ArrayNode choices = resp.putArray("choices");
            long promptTokens = 0, completionTokens = 0;
            for (int i = 0; i < n; i++) {
                ChatResult res;
                try {
                    res = futures.get(i).get();
                } catch (Exception e) {
                    error(ex, 500, "generation failed");
                    return;
                }
                switch (res) {
                    case ChatResult.Completed c -> {
                        ObjectNode ch = choices.addObject().put("index", i);
                        ObjectNode msg = ch.putObject("message").put("role", "assistant").put("content", c.content());
                        if (c.reasoning() != null) msg.put("reasoning_content", c.reasoning());
                        ch.put("finish_reason", c.finishReason());
                        promptTokens = c.usage().inputTokens();
                        completionTokens += c.usage().outputTokens();
                    }
                    case ChatResult.Failed f -> {
                        error(ex, f.kind() == ChatResult.Failed.Kind.CLIENT_ERROR ? 400 : 500, f.message());
                        return;
                    }
                }
            }
            resp.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                    .put("total_tokens", promptTokens + completionTokens);
            send(ex, 200, resp);
        }
    }

    private static ChatRequest request(JsonNode body) {
        JsonNode msgs = body.path("messages");
        if (!msgs.isArray() || msgs.isEmpty()) throw new IllegalArgumentException("messages must be a non-empty array");
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            String role = m.path("role").asText();
            String content = text(m.path("content"), i);
            String reasoning = m.hasNonNull("reasoning_content") ? m.get("reasoning_content").asText() : null;
            Role r;
            try {
                r = role.equals("developer") ? Role.SYSTEM : Role.parse(role); // OpenAI's newer name for the system turn
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("messages[" + i + "].role must be system, user, assistant or tool, got '" + role + "'");
            }
            messages.add(ChatMessage.of(r, content, reasoning, m.path("tool_call_id").asText(null)));
        }
        List<String> stop = new ArrayList<>();
        JsonNode s = body.path("stop");
        if (s.isTextual()) stop.add(s.asText());
        else if (s.isArray()) s.forEach(x -> stop.add(x.asText()));
        int maxTokens = body.hasNonNull("max_completion_tokens") ? body.get("max_completion_tokens").asInt()
                : body.path("max_tokens").asInt(DEFAULT_MAX_TOKENS);
        double temperature = body.path("temperature").asDouble(1.0), topP = body.path("top_p").asDouble(1.0);
        Long seed = body.hasNonNull("seed") ? body.get("seed").asLong() : null;
        return new ChatRequest(messages, List.of(), temperature, topP, maxTokens, stop, seed, null, null, 0, "serve");
    }

    private static String text(JsonNode content, int i) {
        if (content.isMissingNode() || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) if ("text".equals(part.path("type").asText())) sb.append(part.path("text").asText());
            return sb.toString();
        }
        throw new IllegalArgumentException("messages[" + i + "].content must be a string or an array of text parts");
    }

    private static void error(HttpExchange ex, int status, String message) throws IOException {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.putObject("error").put("message", message).put("type", status < 500 ? "invalid_request_error" : "server_error");
        send(ex, status, n);
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] b = Json.MAPPER.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.getResponseBody().close();
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        http.stop(0);
        executor.shutdownNow();
    }
}
