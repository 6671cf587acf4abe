package dev.phronesis.llm.testserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.phronesis.llm.ToolCall;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A protocol-faithful local LLM server for tests: real HTTP on 127.0.0.1, speaking OpenAI Chat
 * Completions ({@code POST /v1/chat/completions}), the OpenAI Files + Batch API
 * ({@code /v1/files}, {@code /v1/batches}), Anthropic Messages ({@code POST /v1/messages}) and Anthropic
 * Message Batches ({@code /v1/messages/batches}). The official OpenAI and Anthropic Java SDKs talk to it
 * unchanged (see LlmTestServerFidelityTest).
 *
 * <p>Invariants: every request handler runs on its own virtual thread; {@link #capacity(int)} slots
 * bound how many requests are served at once (others queue, as on a real inference server), and each
 * holds its slot for {@link #latency(Duration)}. Faults come either from the scripted responder or
 * from {@link #injectFaults} (seeded, so runs are repeatable): scripted statuses (401, 429, 5xx), malformed
 * JSON, a connection closed half way through the body, and a body that trickles out slower than a client's
 * read timeout ({@link TestReply#slowBody}). Counters are exact: {@link #answered()}
 * counts answers delivered with status 200 and a well-formed body, i.e. what a real API would bill.
 */
public final class LlmTestServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a submitted batch stays "in progress" before the server processes it: long enough to poll at least once. */
    private static final Duration DEFAULT_BATCH_DELAY = Duration.ofMillis(200);

    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private volatile Function<TestRequest, TestReply> responder = LlmTestServer::defaultReply;
    private volatile Duration latency = Duration.ZERO;
    private volatile Semaphore slots = null;
    private volatile FaultPlan faults = FaultPlan.NONE;
    private volatile Duration batchDelay = DEFAULT_BATCH_DELAY;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong faulted = new AtomicLong();
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, AtomicLong> answersByPrompt = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<TestRequest> log = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> authHeaders = new ConcurrentLinkedQueue<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> openAiBatches = new ConcurrentHashMap<>();
    private final Map<String, ObjectNode> anthropicBatches = new ConcurrentHashMap<>();
    private final Map<String, String> anthropicResults = new ConcurrentHashMap<>();
    private final AtomicLong batchesCreated = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger concurrent = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger maxConcurrent = new java.util.concurrent.atomic.AtomicInteger();

    private record FaultPlan(double rateLimited, double serverError, double malformed, SplittableRandom random, Duration retryAfter) {
        static final FaultPlan NONE = new FaultPlan(0, 0, 0, new SplittableRandom(0), Duration.ZERO);
    }

    private LlmTestServer(int port) throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    /** Starts a server on an ephemeral port of 127.0.0.1. */
    public static LlmTestServer start() { return start(0); }

    /** Starts a server on the given port of 127.0.0.1 (0 = ephemeral). */
    public static LlmTestServer start(int port) {
        try { return new LlmTestServer(port); } catch (IOException e) { throw new UncheckedIOException(e); }
    }

    public int port() { return http.getAddress().getPort(); }
    /** OpenAI-style base URL, ending in {@code /v1}. */
    public String baseUrl() { return "http://127.0.0.1:" + port() + "/v1"; }
    /** Anthropic-style base URL (the SDK appends {@code /v1/messages}). */
    public String anthropicBaseUrl() { return "http://127.0.0.1:" + port(); }

    /** Scripts the answers. The function runs once per attempt, on the request's own virtual thread. */
    public LlmTestServer responder(Function<TestRequest, TestReply> r) { this.responder = r == null ? LlmTestServer::defaultReply : r; return this; }
    /** Service time each request holds a slot for. */
    public LlmTestServer latency(Duration d) { this.latency = d; return this; }
    /** How many requests are served at once; the rest queue. 0 = unlimited. */
    public LlmTestServer capacity(int n) { this.slots = n <= 0 ? null : new Semaphore(n, true); return this; }
    /** How long a batch stays in progress before it is processed. */
    public LlmTestServer batchDelay(Duration d) { this.batchDelay = d; return this; }

    /**
     * Injects faults into chat requests at the given probabilities (independently of the responder):
     * 429 (with Retry-After of {@code retryAfter}), 500, and 200-with-malformed-JSON. Seeded.
     */
    public LlmTestServer injectFaults(double rateLimited, double serverError, double malformed, Duration retryAfter, long seed) {
        if (rateLimited + serverError + malformed > 1) throw new IllegalArgumentException("fault probabilities sum above 1");
        this.faults = new FaultPlan(rateLimited, serverError, malformed, new SplittableRandom(seed), retryAfter);
        return this;
    }

    /** Chat requests received (both protocols, every attempt, including faulted ones; batch items not included). */
    public long received() { return received.get(); }
    /** Answers delivered with status 200 and a well-formed body (chat + batch items): what an API would bill. */
    public long answered() { return answered.get(); }
    /** Requests answered with a fault (429, 5xx, malformed, truncated). */
    public long faulted() { return faulted.get(); }
    /** How many billable answers each prompt (keyed by its last user message) received. */
    public Map<String, Long> answersByPrompt() {
        Map<String, Long> m = new java.util.TreeMap<>();
        answersByPrompt.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }
    /** Every chat request received, in arrival order (batch items included). */
    public List<TestRequest> requests() { return List.copyOf(log); }
    /** Every Authorization / x-api-key header value received (to check which key a client sent). */
    public List<String> credentialsSeen() { return List.copyOf(authHeaders); }
    public long batchesCreated() { return batchesCreated.get(); }
    /** The most chat requests that were being handled at the same moment. */
    public int maxConcurrent() { return maxConcurrent.get(); }

    public void resetCounters() {
        received.set(0); answered.set(0); faulted.set(0); answersByPrompt.clear(); log.clear(); authHeaders.clear(); maxConcurrent.set(0);
    }

    @Override public void close() {
        http.stop(0);
        executor.shutdownNow();
    }

    // ---------------------------------------------------------------- default answers

    /** Echoes the last user message; with a response schema, answers the smallest JSON value that satisfies it. */
    public static TestReply defaultReply(TestRequest r) {
        if (r.responseSchemaJson() != null) {
            try { return TestReply.text(JSON.writeValueAsString(exampleFor(JSON.readTree(r.responseSchemaJson())))); }
            catch (IOException e) { throw new UncheckedIOException(e); }
        }
        return TestReply.text("echo: " + r.lastUserText());
    }

    /** A minimal instance of a JSON schema: required properties filled, first enum value, empty arrays. */
    public static JsonNode exampleFor(JsonNode schema) {
        if (schema.has("enum")) return schema.get("enum").get(0);
        if (schema.has("const")) return schema.get("const");
        String type = schema.path("type").isArray() ? schema.path("type").get(0).asText() : schema.path("type").asText("object");
        return switch (type) {
            case "object" -> {
                ObjectNode o = JSON.createObjectNode();
                JsonNode props = schema.path("properties");
                for (JsonNode req : schema.path("required")) o.set(req.asText(), exampleFor(props.path(req.asText())));
                yield o;
            }
            case "array" -> {
                ArrayNode a = JSON.createArrayNode();
                for (int i = 0; i < schema.path("minItems").asInt(0); i++) a.add(exampleFor(schema.path("items")));
                yield a;
            }
            case "string" -> JSON.getNodeFactory().textNode("x".repeat(Math.max(1, schema.path("minLength").asInt(1))));
            case "integer", "number" -> JSON.getNodeFactory().numberNode(schema.path("minimum").asInt(0));
            case "boolean" -> JSON.getNodeFactory().booleanNode(false);
            default -> JSON.getNodeFactory().nullNode();
        };
    }

    // ---------------------------------------------------------------- routing

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            for (String h : List.of("Authorization", "x-api-key")) {
                String v = ex.getRequestHeaders().getFirst(h);
                if (v != null) authHeaders.add(v);
            }
            if (method.equals("POST") && path.equals("/v1/chat/completions")) chat(ex, b -> parseOpenAi(b, null), this::openAiCompletion, this::openAiError);
            else if (method.equals("POST") && path.equals("/v1/messages")) chat(ex, b -> parseAnthropic(b, null), this::anthropicMessageJson, this::anthropicError);
            else if (method.equals("POST") && path.equals("/v1/files")) openAiUpload(ex);
            else if (method.equals("GET") && path.startsWith("/v1/files/") && path.endsWith("/content")) openAiFileContent(ex, path.substring("/v1/files/".length(), path.length() - "/content".length()));
            else if (method.equals("POST") && path.equals("/v1/batches")) openAiCreateBatch(ex);
            else if (method.equals("GET") && path.startsWith("/v1/batches/")) openAiGetBatch(ex, path.substring("/v1/batches/".length()));
            else if (method.equals("POST") && path.equals("/v1/messages/batches")) anthropicCreateBatch(ex);
            else if (method.equals("GET") && path.startsWith("/v1/messages/batches/") && path.endsWith("/results")) anthropicResults(ex, path.split("/")[4]);
            else if (method.equals("GET") && path.startsWith("/v1/messages/batches/")) anthropicGetBatch(ex, path.substring("/v1/messages/batches/".length()));
            else if (method.equals("GET") && path.equals("/v1/models")) sendJson(ex, 200, JSON.readTree("{\"object\":\"list\",\"data\":[]}"));
            else sendJson(ex, 404, openAiError("not_found_error", "no route for " + method + " " + path));
        } catch (IOException | RuntimeException e) {
            // the client may have gone away (timeouts); nothing to do but drop the exchange
        }
    }

    // ---------------------------------------------------------------- OpenAI chat

    static TestRequest parseOpenAi(JsonNode body, String customId) {
        List<TestRequest.Message> msgs = new ArrayList<>();
        for (JsonNode m : body.path("messages")) msgs.add(new TestRequest.Message(m.path("role").asText(), textOf(m.path("content"))));
        List<String> tools = new ArrayList<>();
        for (JsonNode t : body.path("tools")) tools.add(t.path("function").path("name").asText());
        JsonNode schema = body.path("response_format").path("json_schema").path("schema");
        int max = body.path("max_completion_tokens").asInt(body.path("max_tokens").asInt(0));
        Long seed = body.hasNonNull("seed") ? body.get("seed").asLong() : null;
        return new TestRequest(TestRequest.Protocol.OPENAI, body.path("model").asText(), msgs, tools,
                schema.isMissingNode() ? null : schema.toString(), max, seed, customId, body);
    }

    private static String textOf(JsonNode content) {
        if (content.isTextual()) return content.asText();
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : content) {
            if (part.has("text")) sb.append(part.get("text").asText());
            else if (part.has("content")) sb.append(textOf(part.get("content")));
            else if (part.path("type").asText().equals("tool_use")) sb.append(part.path("input").toString());
        }
        return sb.toString();
    }

    private JsonNode openAiCompletion(TestRequest req, TestReply reply) {
        ObjectNode c = JSON.createObjectNode();
        c.put("id", "chatcmpl-" + ids.incrementAndGet());
        c.put("object", "chat.completion");
        c.put("created", Instant.now().getEpochSecond());
        c.put("model", req.model());
        c.put("system_fingerprint", "fp_phronesis_test");
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode msg = choice.putObject("message");
        msg.put("role", "assistant");
        msg.put("content", reply.text());
        msg.putNull("refusal");
        if (reply.reasoning() != null) msg.put("reasoning_content", reply.reasoning());
        if (!reply.toolCalls().isEmpty()) {
            ArrayNode calls = msg.putArray("tool_calls");
            for (ToolCall tc : reply.toolCalls()) {
                ObjectNode call = calls.addObject();
                call.put("id", tc.id() == null ? "call_" + ids.incrementAndGet() : tc.id());
                call.put("type", "function");
                call.putObject("function").put("name", tc.name()).put("arguments", tc.argumentsJson());
            }
        }
        choice.put("finish_reason", reply.finishReason() != null ? reply.finishReason() : reply.toolCalls().isEmpty() ? "stop" : "tool_calls");
        choice.putNull("logprobs");
        long in = inputTokens(req), out = outputTokens(reply);
        ObjectNode usage = c.putObject("usage");
        usage.put("prompt_tokens", in).put("completion_tokens", out).put("total_tokens", in + out);
        usage.putObject("prompt_tokens_details").put("cached_tokens", 0);
        if (reply.reasoning() != null) usage.putObject("completion_tokens_details").put("reasoning_tokens", tokens(reply.reasoning()));
        return c;
    }

    private JsonNode openAiError(int status, String message) {
        return openAiError(status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error",
                message == null || message.isEmpty() ? "scripted HTTP " + status : message);
    }

    private static JsonNode openAiError(String type, String message) {
        ObjectNode e = JSON.createObjectNode();
        e.putObject("error").put("message", message).put("type", type).putNull("param").putNull("code");
        return e;
    }

    // ---------------------------------------------------------------- Anthropic messages

    static TestRequest parseAnthropic(JsonNode body, String customId) {
        List<TestRequest.Message> msgs = new ArrayList<>();
        if (body.has("system")) msgs.add(new TestRequest.Message("system", textOf(body.get("system"))));
        for (JsonNode m : body.path("messages")) msgs.add(new TestRequest.Message(m.path("role").asText(), textOf(m.path("content"))));
        List<String> tools = new ArrayList<>();
        for (JsonNode t : body.path("tools")) tools.add(t.path("name").asText());
        JsonNode schema = body.path("output_format").path("schema");
        Long seed = null;
        return new TestRequest(TestRequest.Protocol.ANTHROPIC, body.path("model").asText(), msgs, tools,
                schema.isMissingNode() ? null : schema.toString(), body.path("max_tokens").asInt(0), seed, customId, body);
    }

    private JsonNode anthropicMessageJson(TestRequest req, TestReply reply) {
        ObjectNode m = JSON.createObjectNode();
        m.put("id", "msg_" + ids.incrementAndGet());
        m.put("type", "message");
        m.put("role", "assistant");
        m.put("model", req.model());
        ArrayNode content = m.putArray("content");
        if (reply.reasoning() != null) content.addObject().put("type", "thinking").put("thinking", reply.reasoning()).put("signature", "sig_test");
        if (!reply.text().isEmpty() || reply.toolCalls().isEmpty()) content.addObject().put("type", "text").put("text", reply.text());
        for (ToolCall tc : reply.toolCalls()) {
            ObjectNode use = content.addObject();
            use.put("type", "tool_use");
            use.put("id", tc.id() == null ? "toolu_" + ids.incrementAndGet() : tc.id());
            use.put("name", tc.name());
            try { use.set("input", JSON.readTree(tc.argumentsJson())); } catch (IOException e) { use.putObject("input"); }
        }
        String stop = reply.finishReason() != null ? reply.finishReason() : reply.toolCalls().isEmpty() ? "end_turn" : "tool_use";
        m.put("stop_reason", stop);
        m.putNull("stop_sequence");
        ObjectNode usage = m.putObject("usage");
        usage.put("input_tokens", inputTokens(req)).put("output_tokens", outputTokens(reply))
                .put("cache_read_input_tokens", 0).put("cache_creation_input_tokens", 0);
        return m;
    }

    private JsonNode anthropicError(int status) { return anthropicError(status, ""); }

    private JsonNode anthropicError(int status, String message) {
        ObjectNode e = JSON.createObjectNode();
        e.put("type", "error");
        String type = status == 429 ? "rate_limit_error" : status == 529 ? "overloaded_error" : status >= 500 ? "api_error" : "invalid_request_error";
        e.putObject("error").put("type", type).put("message", message == null || message.isEmpty() ? "scripted HTTP " + status : message);
        return e;
    }

    // ---------------------------------------------------------------- serving with capacity, latency and faults

    private interface Render { JsonNode apply(TestReply r); }
    private interface RenderError { JsonNode apply(int status, String message); }

    /** One online chat request of either protocol: counted, parsed, logged, then served. */
    private void chat(HttpExchange ex, java.util.function.Function<JsonNode, TestRequest> parse,
                      java.util.function.BiFunction<TestRequest, TestReply, JsonNode> answer, RenderError err) throws IOException {
        received.incrementAndGet();
        TestRequest req = parse.apply(JSON.readTree(ex.getRequestBody()));
        log.add(req);
        serve(ex, req, reply -> answer.apply(req, reply), err);
    }

    private void serve(HttpExchange ex, TestRequest req, Render ok, RenderError err) throws IOException {
        Semaphore s = slots;
        if (s != null) s.acquireUninterruptibly();
        try {
            // counted until the answer is ready, not while it is written: the client may already be sending its next request
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            TestReply reply;
            try {
                sleep(latency);
                reply = injectedFault();
                if (reply == null) reply = responder.apply(req);
                if (reply.kind() != TestReply.Kind.SLOW_BODY) sleep(reply.delay());
            } finally {
                concurrent.decrementAndGet();
            }
            switch (reply.kind()) {
                case ANSWER -> {
                    // counted before the bytes go out, so a client that has its answer always sees it counted
                    answered.incrementAndGet();
                    answersByPrompt.computeIfAbsent(req.lastUserText(), k -> new AtomicLong()).incrementAndGet();
                    sendJson(ex, 200, ok.apply(reply));
                }
                case RATE_LIMITED -> {
                    faulted.incrementAndGet();
                    long ms = reply.retryAfter().toMillis();
                    ex.getResponseHeaders().add("retry-after", Long.toString((ms + 999) / 1000));
                    ex.getResponseHeaders().add("retry-after-ms", Long.toString(ms));
                    sendJson(ex, 429, err.apply(429, reply.text()));
                }
                case HTTP_ERROR -> { faulted.incrementAndGet(); sendJson(ex, reply.status(), err.apply(reply.status(), reply.text())); }
                case MALFORMED_JSON -> {
                    faulted.incrementAndGet();
                    send(ex, 200, "{\"id\": \"broken\", \"choices\": [{\"message\": {\"content\": \"unterminated".getBytes(StandardCharsets.UTF_8));
                }
                case TRUNCATED -> {
                    faulted.incrementAndGet();
                    byte[] full = JSON.writeValueAsBytes(ok.apply(reply));
                    ex.getResponseHeaders().add("Content-Type", "application/json");
                    ex.sendResponseHeaders(200, full.length);
                    OutputStream os = ex.getResponseBody();
                    os.write(full, 0, full.length / 2);
                    os.flush();
                    // closing the exchange short of Content-Length makes the server drop the connection
                }
                case SLOW_BODY -> {
                    byte[] full = JSON.writeValueAsBytes(ok.apply(reply));
                    ex.getResponseHeaders().add("Content-Type", "application/json");
                    ex.getResponseHeaders().add("x-request-id", "req_test");
                    ex.sendResponseHeaders(200, full.length);
                    OutputStream os = ex.getResponseBody();
                    int chunks = (int) Math.max(1, Math.min(full.length, reply.delay().toMillis() / 50));
                    Duration pause = reply.delay().dividedBy(chunks);
                    try {
                        for (int i = 0; i < chunks; i++) {
                            int from = (int) ((long) full.length * i / chunks), to = (int) ((long) full.length * (i + 1) / chunks);
                            os.write(full, from, to - from);
                            os.flush();
                            if (i + 1 < chunks) sleep(pause);
                        }
                        os.close();
                    } catch (IOException gone) {
                        faulted.incrementAndGet();   // the client gave up first: nothing it could bill
                        throw gone;
                    }
                    answered.incrementAndGet();   // the client waited it out: a whole answer
                    answersByPrompt.computeIfAbsent(req.lastUserText(), k -> new AtomicLong()).incrementAndGet();
                }
            }
        } finally {
            if (s != null) s.release();
        }
    }

    private TestReply injectedFault() {
        FaultPlan f = faults;
        if (f == FaultPlan.NONE) return null;
        double x;
        synchronized (f.random()) { x = f.random().nextDouble(); }
        if (x < f.rateLimited()) return TestReply.rateLimited(f.retryAfter());
        if (x < f.rateLimited() + f.serverError()) return TestReply.httpError(x < f.rateLimited() + f.serverError() / 2 ? 500 : 503);
        if (x < f.rateLimited() + f.serverError() + f.malformed()) return TestReply.malformedJson();
        return null;
    }

    private static void sleep(Duration d) {
        if (d.isZero() || d.isNegative()) return;
        try { Thread.sleep(d); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    private static long tokens(String s) { return s == null || s.isEmpty() ? 0 : s.length() / 4 + 1; }
    private static long inputTokens(TestRequest r) { return r.messages().stream().mapToLong(m -> tokens(m.content()) + 3).sum(); }
    private static long outputTokens(TestReply r) {
        return tokens(r.text()) + tokens(r.reasoning()) + r.toolCalls().stream().mapToLong(t -> tokens(t.argumentsJson()) + 3).sum();
    }

    private static void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "application/json");
        send(ex, status, JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange ex, int status, byte[] bytes) throws IOException {
        ex.getResponseHeaders().add("x-request-id", "req_test");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) { os.write(bytes); }
    }

    // ---------------------------------------------------------------- OpenAI files + batches

    private void openAiUpload(HttpExchange ex) throws IOException {
        String ct = ex.getRequestHeaders().getFirst("Content-Type");
        byte[] body = ex.getRequestBody().readAllBytes();
        byte[] file = multipartPart(body, ct, "file");
        String id = "file-" + ids.incrementAndGet();
        files.put(id, file);
        ObjectNode f = JSON.createObjectNode();
        f.put("id", id).put("object", "file").put("bytes", file.length).put("created_at", Instant.now().getEpochSecond())
                .put("filename", "batch.jsonl").put("purpose", "batch").put("status", "processed");
        sendJson(ex, 200, f);
    }

    /** The bytes of the multipart/form-data part named {@code name}. */
    private static byte[] multipartPart(byte[] body, String contentType, String name) {
        String boundary = "--" + contentType.replaceAll(".*boundary=\"?([^\";]+)\"?.*", "$1");
        String s = new String(body, StandardCharsets.ISO_8859_1);
        for (String part : s.split(java.util.regex.Pattern.quote(boundary))) {
            int headerEnd = part.indexOf("\r\n\r\n");
            if (headerEnd < 0) continue;
            String headers = part.substring(0, headerEnd);
            if (!headers.contains("name=\"" + name + "\"")) continue;
            String content = part.substring(headerEnd + 4);
            if (content.endsWith("\r\n")) content = content.substring(0, content.length() - 2);
            return content.getBytes(StandardCharsets.ISO_8859_1);
        }
        throw new IllegalArgumentException("multipart body has no part named " + name);
    }

    private void openAiFileContent(HttpExchange ex, String id) throws IOException {
        byte[] f = files.get(id);
        if (f == null) { sendJson(ex, 404, openAiError("not_found_error", "no file " + id)); return; }
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        send(ex, 200, f);
    }

    private void openAiCreateBatch(HttpExchange ex) throws IOException {
        JsonNode body = JSON.readTree(ex.getRequestBody());
        String input = body.path("input_file_id").asText();
        byte[] file = files.get(input);
        if (file == null) { sendJson(ex, 404, openAiError("not_found_error", "no file " + input)); return; }
        batchesCreated.incrementAndGet();
        String id = "batch_" + ids.incrementAndGet();
        List<JsonNode> lines = jsonLines(file);
        ObjectNode b = JSON.createObjectNode();
        b.put("id", id).put("object", "batch").put("endpoint", body.path("endpoint").asText())
                .put("input_file_id", input).put("completion_window", body.path("completion_window").asText("24h"))
                .put("status", "in_progress").put("created_at", Instant.now().getEpochSecond());
        b.putNull("output_file_id"); b.putNull("error_file_id");
        b.putObject("request_counts").put("total", lines.size()).put("completed", 0).put("failed", 0);
        openAiBatches.put(id, b);
        sendJson(ex, 200, b);
        executor.submit(() -> {
            sleep(batchDelay);
            StringBuilder out = new StringBuilder();
            for (JsonNode line : lines) {
                TestRequest req = parseOpenAi(line.path("body"), line.path("custom_id").asText());
                log.add(req);
                TestReply reply = responder.apply(req);
                ObjectNode r = JSON.createObjectNode();
                r.put("id", "batch_req_" + ids.incrementAndGet()).put("custom_id", line.path("custom_id").asText());
                if (reply.kind() == TestReply.Kind.ANSWER) {
                    ObjectNode resp = r.putObject("response");
                    resp.put("status_code", 200).put("request_id", "req_" + ids.incrementAndGet());
                    resp.set("body", openAiCompletion(req, reply));
                    r.putNull("error");
                    answered.incrementAndGet();
                    answersByPrompt.computeIfAbsent(req.lastUserText(), k -> new AtomicLong()).incrementAndGet();
                } else {
                    r.putNull("response");
                    r.putObject("error").put("code", "server_error").put("message", "scripted " + reply.kind());
                }
                out.append(r).append('\n');
            }
            String outId = "file-" + ids.incrementAndGet();
            files.put(outId, out.toString().getBytes(StandardCharsets.UTF_8));
            synchronized (b) {
                b.put("status", "completed").put("output_file_id", outId).put("completed_at", Instant.now().getEpochSecond());
                ((ObjectNode) b.get("request_counts")).put("completed", lines.size());
            }
            return null;
        });
    }

    private void openAiGetBatch(HttpExchange ex, String id) throws IOException {
        ObjectNode b = openAiBatches.get(id);
        if (b == null) { sendJson(ex, 404, openAiError("not_found_error", "no batch " + id)); return; }
        JsonNode copy;
        synchronized (b) { copy = b.deepCopy(); }
        sendJson(ex, 200, copy);
    }

    private static List<JsonNode> jsonLines(byte[] file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) if (!line.isBlank()) out.add(JSON.readTree(line));
        return out;
    }

    // ---------------------------------------------------------------- Anthropic message batches

    private void anthropicCreateBatch(HttpExchange ex) throws IOException {
        JsonNode body = JSON.readTree(ex.getRequestBody());
        batchesCreated.incrementAndGet();
        String id = "msgbatch_" + ids.incrementAndGet();
        List<JsonNode> items = new ArrayList<>();
        body.path("requests").forEach(items::add);
        ObjectNode b = JSON.createObjectNode();
        b.put("id", id).put("type", "message_batch").put("processing_status", "in_progress");
        b.putObject("request_counts").put("processing", items.size()).put("succeeded", 0).put("errored", 0).put("canceled", 0).put("expired", 0);
        b.putNull("ended_at");
        b.put("created_at", Instant.now().toString());
        b.put("expires_at", Instant.now().plus(Duration.ofDays(1)).toString());
        b.putNull("archived_at"); b.putNull("cancel_initiated_at"); b.putNull("results_url");
        anthropicBatches.put(id, b);
        sendJson(ex, 200, b);
        executor.submit(() -> {
            sleep(batchDelay);
            StringBuilder out = new StringBuilder();
            int ok = 0, bad = 0;
            for (JsonNode item : items) {
                TestRequest req = parseAnthropic(item.path("params"), item.path("custom_id").asText());
                log.add(req);
                TestReply reply = responder.apply(req);
                ObjectNode r = JSON.createObjectNode();
                r.put("custom_id", item.path("custom_id").asText());
                ObjectNode result = r.putObject("result");
                if (reply.kind() == TestReply.Kind.ANSWER) {
                    result.put("type", "succeeded");
                    result.set("message", anthropicMessageJson(req, reply));
                    answered.incrementAndGet();
                    answersByPrompt.computeIfAbsent(req.lastUserText(), k -> new AtomicLong()).incrementAndGet();
                    ok++;
                } else {
                    result.put("type", "errored");
                    result.set("error", anthropicError(reply.status()));
                    bad++;
                }
                out.append(r).append('\n');
            }
            anthropicResults.put(id, out.toString());
            synchronized (b) {
                b.put("processing_status", "ended").put("ended_at", Instant.now().toString())
                        .put("results_url", anthropicBaseUrl() + "/v1/messages/batches/" + id + "/results");
                ((ObjectNode) b.get("request_counts")).put("processing", 0).put("succeeded", ok).put("errored", bad);
            }
            return null;
        });
    }

    private void anthropicGetBatch(HttpExchange ex, String id) throws IOException {
        ObjectNode b = anthropicBatches.get(id);
        if (b == null) { sendJson(ex, 404, anthropicError(404)); return; }
        JsonNode copy;
        synchronized (b) { copy = b.deepCopy(); }
        sendJson(ex, 200, copy);
    }

    private void anthropicResults(HttpExchange ex, String id) throws IOException {
        String r = anthropicResults.get(id);
        if (r == null) { sendJson(ex, 404, anthropicError(404)); return; }
        ex.getResponseHeaders().add("Content-Type", "application/x-jsonl");
        send(ex, 200, r.getBytes(StandardCharsets.UTF_8));
    }

}
