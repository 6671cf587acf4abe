package dev.phronesis.train;

import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ToolCall;
import dev.phronesis.llm.ToolSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An OpenAI-compatible server for an {@link EmbeddedStudent}: {@code POST /v1/chat/completions}
 * and {@code POST /v1/completions} (both with SSE streaming), {@code GET /v1/models} (the base and
 * every adapter, selected by the request's {@code model}), {@code GET /health} and Prometheus-style
 * {@code GET /metrics}.
 *
 * <p>Invariants. Loopback is not a security boundary (any local process or web page can reach it),
 * so every request passes, in order: a {@code Host} check (the bound address, localhost names, or
 * {@code allowedHosts}; this defeats DNS rebinding), an {@code Origin} check (browser requests from
 * other origins are refused unless allowed), the API key when one is set (compared in constant time
 * over SHA-256 digests; {@code /health} stays open), and for POST a JSON content type (a cross-origin
 * form or {@code text/plain} post cannot reach the model). Parameters are parsed strictly: a number
 * given as a string, a non-integral count or a value out of range is a 400 naming the field, never
 * coerced. Each HTTP exchange runs on its own virtual thread; the model is touched only by the
 * student's worker, so concurrency is bounded by the student's queue: a request over the queue or
 * its client's share (client = remote address + OpenAI {@code user}) is answered 429 with
 * Retry-After before anything is generated. A request's rows free their KV cache as they finish;
 * a streaming client that disconnects cancels its rows at the next token. Headers must arrive
 * within {@code headerTimeout} and bodies within {@code bodyTimeout} (else the connection is
 * closed), and at most {@code maxConnections} are open at once; these three are the JDK server's
 * process-wide settings, fixed by the first server started in the JVM. {@link #close} is idempotent.
 */
public final class ChatServer implements AutoCloseable {
    /**
     * @param host           address to bind (127.0.0.1 by default)
     * @param apiKey         required bearer token, or null for none
     * @param allowedHosts   extra Host names accepted (besides localhost names and the bound address)
     * @param allowedOrigins browser origins allowed to call (CORS); none by default
     */
    public record Options(String host, int port, String apiKey, Set<String> allowedHosts, Set<String> allowedOrigins,
                          int maxBodyBytes, Duration headerTimeout, Duration bodyTimeout, int maxConnections) {
        /** Bodies past 8 MiB are refused: a chat is a few KB. */
        public static final int DEFAULT_MAX_BODY_BYTES = 8 << 20;
        public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10), DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(30);
        public static final int DEFAULT_MAX_CONNECTIONS = 512;

        public Options {
            allowedHosts = allowedHosts == null ? Set.of() : Set.copyOf(allowedHosts);
            allowedOrigins = allowedOrigins == null ? Set.of() : Set.copyOf(allowedOrigins);
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be within [0, 65535], got " + port);
            if (maxBodyBytes < 1) throw new IllegalArgumentException("max body bytes must be >= 1");
            if (maxConnections < 1) throw new IllegalArgumentException("max connections must be >= 1");
            if (apiKey != null && apiKey.isEmpty()) apiKey = null;
        }

        public static Options loopback(int port) {
            return new Options("127.0.0.1", port, null, Set.of(), Set.of(), DEFAULT_MAX_BODY_BYTES, DEFAULT_HEADER_TIMEOUT,
                    DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_CONNECTIONS);
        }

        public Options withApiKey(String k) { return new Options(host, port, k, allowedHosts, allowedOrigins, maxBodyBytes, headerTimeout, bodyTimeout, maxConnections); }
        public Options withOrigins(Set<String> o) { return new Options(host, port, apiKey, allowedHosts, o, maxBodyBytes, headerTimeout, bodyTimeout, maxConnections); }
        public Options withTimeouts(Duration header, Duration body) { return new Options(host, port, apiKey, allowedHosts, allowedOrigins, maxBodyBytes, header, body, maxConnections); }
    }

    /** OpenAI's bound on stop sequences. */
    private static final int MAX_STOP = 4;
    /** Most choices per request; more would let one request take the whole batch. */
    private static final int MAX_N = 32;
    /** OpenAI's default for the legacy completions endpoint. */
    private static final int DEFAULT_COMPLETION_TOKENS = 16;
    /** Upper bounds (seconds) of the latency histogram buckets. */
    private static final double[] LATENCY_BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
    private static final Set<String> LOCAL_NAMES = Set.of("localhost", "127.0.0.1", "::1", "[::1]");

    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("serve-watchdog").unstarted(r));
    private final EmbeddedStudent student;
    private final String modelName;
    private final Options options;
    private final byte[] keyDigest;
    private final Metrics metrics = new Metrics();
    private volatile boolean closed;

    private ChatServer(EmbeddedStudent student, String modelName, Options options) throws IOException {
        this.student = student;
        this.modelName = modelName;
        this.options = options;
        this.keyDigest = options.apiKey() == null ? null : sha256(options.apiKey());
        configureJdkServer(options);
        this.http = HttpServer.create(new InetSocketAddress(InetAddress.getByName(options.host()), options.port()), 0);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    /** Starts serving on 127.0.0.1:{@code port} (0 = any free port) with default limits. */
    public static ChatServer start(EmbeddedStudent student, String modelName, int port) throws IOException {
        return start(student, modelName, Options.loopback(port));
    }

    public static ChatServer start(EmbeddedStudent student, String modelName, Options options) throws IOException {
        return new ChatServer(student, modelName, options);
    }

    public int port() { return http.getAddress().getPort(); }

    /** The JDK server reads these once per process, when its first server starts. */
    private static synchronized void configureJdkServer(Options o) {
        long headerSecs = Math.max(1, o.headerTimeout().toSeconds());
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", Long.toString(headerSecs));
        System.getProperties().putIfAbsent("sun.net.httpserver.idleInterval", Long.toString(headerSecs));
        System.getProperties().putIfAbsent("sun.net.httpserver.clockTick", "1000");
        System.getProperties().putIfAbsent("jdk.httpserver.maxConnections", Integer.toString(o.maxConnections()));
    }

    // ---------------------------------------------------------------- dispatch and checks

    /** An error answered in OpenAI's shape. */
    private static final class ApiError extends Exception {
        final int status;
        final String type, code;
        final long retryAfterSeconds;

        ApiError(int status, String message) { this(status, message, null, 0); }

        ApiError(int status, String message, String code, long retryAfterSeconds) {
            super(message, null, false, false);
            this.status = status;
            this.type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : status == 401 ? "authentication_error" : "invalid_request_error";
            this.code = code;
            this.retryAfterSeconds = retryAfterSeconds;
        }
    }

    private void handle(HttpExchange ex) {
        long start = System.nanoTime();
        String path = ex.getRequestURI().getPath();
        String endpoint = switch (path) {
            case "/v1/chat/completions", "/v1/completions", "/v1/models", "/health", "/metrics" -> path;
            default -> "other";
        };
        int status;
        try (ex) {
            try {
                checkHostAndOrigin(ex);
                if ("OPTIONS".equals(ex.getRequestMethod())) { preflight(ex); status = 204; }
                else {
                    if (!path.equals("/health")) checkKey(ex);
                    status = switch (path) {
                        case "/health" -> { requireMethod(ex, "GET"); yield sendJson(ex, 200, Json.MAPPER.createObjectNode().put("status", "ok")); }
                        case "/metrics" -> { requireMethod(ex, "GET"); yield sendText(ex, 200, metrics.render(student.stats())); }
                        case "/v1/models" -> { requireMethod(ex, "GET"); yield sendJson(ex, 200, models()); }
                        case "/v1/chat/completions" -> chat(ex, readJson(ex));
                        case "/v1/completions" -> completions(ex, readJson(ex));
                        default -> throw new ApiError(404, "no route " + path + " (see /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics)");
                    };
                }
            } catch (ApiError e) {
                status = e.status;
                if (e.status != 0) error(ex, e);
            } catch (IOException e) { // the client went away
                status = 499;
            } catch (RuntimeException e) {
                status = 500;
                error(ex, new ApiError(500, "internal error: " + e.getClass().getSimpleName()));
            }
        }
        metrics.request(endpoint, status, (System.nanoTime() - start) / 1e9);
    }

    private void checkHostAndOrigin(HttpExchange ex) throws ApiError {
        String host = ex.getRequestHeaders().getFirst("Host");
        if (host != null && !hostAllowed(host)) throw new ApiError(403, "Host '" + host + "' is not allowed (this server answers for "
                + options.host() + "; add --allowed-host to accept another name)");
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (origin != null && !options.allowedOrigins().contains(origin) && !options.allowedOrigins().contains("*"))
            throw new ApiError(403, "cross-origin requests from '" + origin + "' are not allowed (see --allowed-origin)");
        if (origin == null && "cross-site".equals(ex.getRequestHeaders().getFirst("Sec-Fetch-Site")))
            throw new ApiError(403, "cross-site browser requests are not allowed");
        if (origin != null) {
            ex.getResponseHeaders().set("Access-Control-Allow-Origin", origin);
            ex.getResponseHeaders().set("Vary", "Origin");
        }
    }

    private boolean hostAllowed(String hostHeader) {
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) h = h.substring(0, h.indexOf(']') + 1);
        else if (h.indexOf(':') >= 0 && h.indexOf(':') == h.lastIndexOf(':')) h = h.substring(0, h.indexOf(':'));
        if (LOCAL_NAMES.contains(h) || h.equals(options.host().toLowerCase(Locale.ROOT)) || options.allowedHosts().contains(h)) return true;
        boolean wildcard = options.host().equals("0.0.0.0") || options.host().equals("::");
        return wildcard && isIpLiteral(h); // names can be rebound; addresses cannot
    }

    private static boolean isIpLiteral(String h) {
        return h.matches("\\d{1,3}(\\.\\d{1,3}){3}") || h.startsWith("[");
    }

    private void preflight(HttpExchange ex) throws IOException, ApiError {
        if (ex.getRequestHeaders().getFirst("Origin") == null) throw new ApiError(405, "OPTIONS is only for CORS preflight");
        ex.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        ex.getResponseHeaders().set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        ex.sendResponseHeaders(204, -1);
    }

    private void checkKey(HttpExchange ex) throws ApiError {
        if (keyDigest == null) return;
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : "";
        if (!MessageDigest.isEqual(keyDigest, sha256(given))) { // fixed-length digests: the comparison time does not depend on the key
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw new ApiError(401, "invalid or missing API key (send Authorization: Bearer KEY)", "invalid_api_key", 0);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void requireMethod(HttpExchange ex, String method) throws ApiError {
        if (!method.equals(ex.getRequestMethod())) throw new ApiError(405, "use " + method + " for " + ex.getRequestURI().getPath());
    }

    /** Reads a JSON object body within the size and time bounds. */
    private JsonNode readJson(HttpExchange ex) throws ApiError, IOException {
        requireMethod(ex, "POST");
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).split(";")[0].trim().equals("application/json"))
            throw new ApiError(415, "Content-Type must be application/json, got " + (type == null ? "none" : "'" + type + "'"));
        var timer = watchdog.schedule(ex::close, options.bodyTimeout().toMillis(), TimeUnit.MILLISECONDS); // closes the connection of a body that stalls
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(options.maxBodyBytes() + 1);
        } finally {
            timer.cancel(false);
        }
        if (timer.isDone() && !timer.isCancelled()) throw new IOException("body timed out");
        if (bytes.length > options.maxBodyBytes()) throw new ApiError(413, "request body over " + options.maxBodyBytes() + " bytes");
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new ApiError(400, "body is not JSON: " + Json.oneLine(e));
        }
        if (body == null || !body.isObject()) throw new ApiError(400, "body must be a JSON object");
        return body;
    }

    // ---------------------------------------------------------------- strict parameters

    private static double number(JsonNode body, String field, double dflt, double min, double max, boolean minOpen) throws ApiError {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw new ApiError(400, "'" + field + "' must be a number, got " + v);
        double d = v.doubleValue();
        if (!Double.isFinite(d) || d > max || (minOpen ? d <= min : d < min))
            throw new ApiError(400, "'" + field + "' must be within " + (minOpen ? "(" : "[") + min + ", " + max + "], got " + v);
        return d;
    }

    /** An integral JSON number within [min, max], checked before any narrowing (no silent wrap-around). */
    private static Long integer(JsonNode body, String field, long min, long max) throws ApiError {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        BigInteger b;
        if (v.isIntegralNumber()) b = v.bigIntegerValue();
        else if (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0) b = v.decimalValue().toBigIntegerExact();
        else throw new ApiError(400, "'" + field + "' must be an integer, got " + v);
        if (b.compareTo(BigInteger.valueOf(min)) < 0 || b.compareTo(BigInteger.valueOf(max)) > 0)
            throw new ApiError(400, "'" + field + "' must be within [" + min + ", " + max + "], got " + v);
        return b.longValue();
    }

    private static boolean bool(JsonNode body, String field, boolean dflt) throws ApiError {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw new ApiError(400, "'" + field + "' must be true or false, got " + v);
        return v.booleanValue();
    }

    /** Sampling and output options shared by both endpoints. */
    private record Params(double temperature, double topP, Integer maxTokens, List<String> stop, long seed, boolean seeded, int n,
                          int topLogprobs, boolean stream, boolean includeUsage, String adapter, String client) {}

    private Params params(HttpExchange ex, JsonNode body, boolean chat) throws ApiError {
        double temperature = number(body, "temperature", 1.0, 0, 2, false);
        double topP = number(body, "top_p", 1.0, 0, 1, true);
        Long max = integer(body, chat && body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", 1, Integer.MAX_VALUE);
        Long n = integer(body, "n", 1, MAX_N);
        Long seed = integer(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        List<String> stop = new ArrayList<>();
        JsonNode s = body.get("stop");
        if (s != null && !s.isNull()) {
            if (s.isTextual()) stop.add(s.asText());
            else if (s.isArray()) for (JsonNode x : s) {
                if (!x.isTextual()) throw new ApiError(400, "'stop' must be a string or an array of strings");
                stop.add(x.asText());
            }
            else throw new ApiError(400, "'stop' must be a string or an array of strings");
            if (stop.size() > MAX_STOP) throw new ApiError(400, "'stop' takes at most " + MAX_STOP + " sequences, got " + stop.size());
        }
        int top;
        if (chat) {
            boolean lp = bool(body, "logprobs", false);
            Long t = integer(body, "top_logprobs", 0, Generator.Request.MAX_TOP_LOGPROBS);
            if (t != null && !lp) throw new ApiError(400, "'top_logprobs' needs 'logprobs': true");
            top = !lp ? 0 : t == null || t == 0 ? -1 : t.intValue();
        } else {
            Long t = integer(body, "logprobs", 0, 5);
            top = t == null ? 0 : t == 0 ? -1 : t.intValue();
            if (bool(body, "echo", false)) throw new ApiError(400, "'echo' is not supported (prompt logprobs are not computed)");
        }
        boolean stream = bool(body, "stream", false);
        JsonNode so = body.path("stream_options");
        boolean usage = so.isObject() && bool(so, "include_usage", false);
        String adapter = adapter(body.path("model"));
        JsonNode user = body.path("user");
        String client = ex.getRemoteAddress().getAddress().getHostAddress() + (user.isTextual() ? "/" + user.asText() : "");
        long sd = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        return new Params(temperature, topP, max == null ? null : max.intValue(), stop, sd, seed != null,
                n == null ? 1 : n.intValue(), top, stream, usage, adapter, client);
    }

    /** The adapter a request's {@code model} names (null = the base); unknown names are a 404 like OpenAI's. */
    private String adapter(JsonNode model) throws ApiError {
        if (model.isMissingNode() || model.isNull()) return null;
        if (!model.isTextual()) throw new ApiError(400, "'model' must be a string");
        String m = model.asText();
        if (m.equals(modelName) || m.isEmpty()) return null;
        if (student.runtime().adapterNames().contains(m)) return m;
        throw new ApiError(404, "model '" + m + "' does not exist; this server has " + modelNames(), "model_not_found", 0);
    }

    private List<String> modelNames() {
        List<String> names = new ArrayList<>();
        names.add(modelName);
        names.addAll(student.runtime().adapterNames());
        return names;
    }

    private ObjectNode models() {
        ObjectNode n = Json.MAPPER.createObjectNode().put("object", "list");
        ArrayNode data = n.putArray("data");
        long created = System.currentTimeMillis() / 1000;
        data.addObject().put("id", modelName).put("object", "model").put("created", created).put("owned_by", "phronesis")
                .put("max_model_len", student.runtime().contextLength());
        for (String a : student.runtime().adapterNames())
            data.addObject().put("id", a).put("object", "model").put("created", created).put("owned_by", "phronesis").put("parent", modelName)
                    .put("max_model_len", student.runtime().contextLength());
        return n;
    }

    // ---------------------------------------------------------------- chat completions

    private int chat(HttpExchange ex, JsonNode body) throws ApiError, IOException {
        Params p = params(ex, body, true);
        List<ChatMessage> messages = messages(body.get("messages"));
        List<ToolSpec> tools = tools(body.get("tools"));
        String toolChoice = "auto";
        ToolSpec forced = null;
        JsonNode tc = body.get("tool_choice");
        if (tc != null && !tc.isNull()) {
            if (tc.isTextual() && Set.of("none", "auto", "required").contains(tc.asText())) toolChoice = tc.asText();
            else if (tc.isObject() && tc.path("function").path("name").isTextual()) {
                String name = tc.path("function").path("name").asText();
                forced = tools.stream().filter(t -> t.name().equals(name)).findFirst()
                        .orElseThrow(() -> new ApiError(400, "'tool_choice' names '" + name + "', which is not in 'tools'"));
                toolChoice = "required";
            } else throw new ApiError(400, "'tool_choice' must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}");
            if (!toolChoice.equals("none") && tools.isEmpty()) throw new ApiError(400, "'tool_choice' needs 'tools'");
        }
        boolean parseTools = !tools.isEmpty() && !toolChoice.equals("none");
        ModelRuntime rt = student.runtime();
        int[] prompt;
        try {
            prompt = rt.chatPrompt(messages, toolChoice.equals("none") ? List.of() : tools, student.options().forceThink());
        } catch (dev.phronesis.core.UserError e) {
            throw new ApiError(400, e.getMessage());
        }
        Guide guide = chatGuide(body, tools, toolChoice, forced);
        return generate(ex, p, prompt, guide, true, parseTools);
    }

    private Guide chatGuide(JsonNode body, List<ToolSpec> tools, String toolChoice, ToolSpec forced) throws ApiError {
        Tokenizer tok = student.runtime().tokenizer();
        try {
            JsonNode rf = body.get("response_format");
            if (rf != null && !rf.isNull()) {
                String type = rf.path("type").asText("");
                switch (type) {
                    case "text" -> { }
                    case "json_schema" -> {
                        JsonNode schema = rf.path("json_schema").path("schema");
                        if (!schema.isObject()) throw new ApiError(400, "'response_format.json_schema.schema' must be an object");
                        return Guides.jsonSchema(schema.toString(), tok);
                    }
                    case Guides.ANSWER_GRAMMAR -> {
                        List<String> modes = new ArrayList<>();
                        for (JsonNode m : rf.path("modes")) modes.add(m.asText());
                        Map<String, String> t = new LinkedHashMap<>();
                        for (ToolSpec s : tools) t.put(s.name(), s.parametersSchemaJson());
                        return Guides.answerEnding(modes, t, rf, tok);
                    }
                    default -> throw new ApiError(400, "'response_format.type' must be text, json_schema or " + Guides.ANSWER_GRAMMAR
                            + (type.equals("json_object") ? " (json_object: give a json_schema instead)" : "") + ", got '" + type + "'");
                }
            }
            if (body.hasNonNull("guided_regex")) return Guides.regex(body.get("guided_regex").asText(), tok);
            if (body.hasNonNull("guided_choice")) {
                List<String> opts = new ArrayList<>();
                for (JsonNode o : body.get("guided_choice")) opts.add(o.asText());
                return Guides.choice(opts, tok);
            }
            if (toolChoice.equals("required")) {
                Map<String, String> t = new LinkedHashMap<>();
                for (ToolSpec s : forced != null ? List.of(forced) : tools) t.put(s.name(), s.parametersSchemaJson());
                return Guides.toolCall(t, tok);
            }
            return null;
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, e.getMessage());
        }
    }

    private static List<ChatMessage> messages(JsonNode msgs) throws ApiError {
        if (msgs == null || !msgs.isArray() || msgs.isEmpty()) throw new ApiError(400, "'messages' must be a non-empty array");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            if (!m.isObject()) throw new ApiError(400, "messages[" + i + "] must be an object");
            String role = m.path("role").asText();
            String content = text(m.path("content"), i);
            String reasoning = m.hasNonNull("reasoning_content") ? m.get("reasoning_content").asText() : null;
            List<ToolCall> calls = new ArrayList<>();
            for (JsonNode c : m.path("tool_calls")) {
                JsonNode fn = c.path("function");
                if (!fn.path("name").isTextual()) throw new ApiError(400, "messages[" + i + "].tool_calls[].function.name must be a string");
                JsonNode args = fn.path("arguments");
                calls.add(new ToolCall(c.path("id").asText(null), fn.get("name").asText(), args.isTextual() ? args.asText() : args.isMissingNode() ? "{}" : args.toString()));
            }
            Role r;
            try {
                r = role.equals("developer") ? Role.SYSTEM : Role.parse(role); // OpenAI's newer name for the system turn
            } catch (IllegalArgumentException e) {
                throw new ApiError(400, "messages[" + i + "].role must be system, developer, user, assistant or tool, got '" + role + "'");
            }
            ChatMessage msg = ChatMessage.of(r, content, reasoning, m.path("tool_call_id").asText(null));
            out.add(calls.isEmpty() ? msg : new ChatMessage(msg.role(), msg.content(), msg.reasoning(), calls, msg.toolCallId()));
        }
        return out;
    }

    private static String text(JsonNode content, int i) throws ApiError {
        if (content.isMissingNode() || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText())) throw new ApiError(400, "messages[" + i + "].content: only text parts are supported, got type '" + part.path("type").asText() + "'");
                sb.append(part.path("text").asText());
            }
            return sb.toString();
        }
        throw new ApiError(400, "messages[" + i + "].content must be a string or an array of text parts");
    }

    private static List<ToolSpec> tools(JsonNode tools) throws ApiError {
        List<ToolSpec> out = new ArrayList<>();
        if (tools == null || tools.isNull()) return out;
        if (!tools.isArray()) throw new ApiError(400, "'tools' must be an array");
        for (int i = 0; i < tools.size(); i++) {
            JsonNode fn = tools.get(i).path("function");
            if (!"function".equals(tools.get(i).path("type").asText()) || !fn.path("name").isTextual())
                throw new ApiError(400, "tools[" + i + "] must be {\"type\": \"function\", \"function\": {\"name\": ..., \"parameters\": {...}}}");
            JsonNode params = fn.path("parameters");
            out.add(new ToolSpec(fn.get("name").asText(), fn.path("description").asText(""), params.isObject() ? params.toString() : null));
        }
        return out;
    }

    // ---------------------------------------------------------------- legacy completions

    private int completions(HttpExchange ex, JsonNode body) throws ApiError, IOException {
        Params p = params(ex, body, false);
        JsonNode pr = body.get("prompt");
        int[] prompt;
        if (pr != null && pr.isTextual()) prompt = student.runtime().textPrompt(pr.asText());
        else if (pr != null && pr.isArray() && pr.size() == 1 && pr.get(0).isTextual()) prompt = student.runtime().textPrompt(pr.get(0).asText());
        else if (pr != null && pr.isArray() && !pr.isEmpty() && pr.get(0).isIntegralNumber()) {
            prompt = new int[pr.size()];
            for (int i = 0; i < pr.size(); i++) {
                if (!pr.get(i).canConvertToInt() || pr.get(i).asInt() < 0 || pr.get(i).asInt() >= student.runtime().tokenizer().vocabSize())
                    throw new ApiError(400, "prompt[" + i + "] is not a token id of this model");
                prompt[i] = pr.get(i).asInt();
            }
        } else throw new ApiError(400, "'prompt' must be a string (or one string, or token ids); batches of prompts: send one request each");
        if (prompt.length == 0) throw new ApiError(400, "'prompt' is empty");
        Guide guide = null;
        try {
            if (body.hasNonNull("guided_regex")) guide = Guides.regex(body.get("guided_regex").asText(), student.runtime().tokenizer());
            else if (body.hasNonNull("guided_choice")) {
                List<String> opts = new ArrayList<>();
                for (JsonNode o : body.get("guided_choice")) opts.add(o.asText());
                guide = Guides.choice(opts, student.runtime().tokenizer());
            }
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, e.getMessage());
        }
        if (p.maxTokens() == null) p = new Params(p.temperature(), p.topP(), DEFAULT_COMPLETION_TOKENS, p.stop(), p.seed(), p.seeded(), p.n(),
                p.topLogprobs(), p.stream(), p.includeUsage(), p.adapter(), p.client());
        return generate(ex, p, prompt, guide, false, false);
    }

    // ---------------------------------------------------------------- generation and responses

    /** One event from the worker to the exchange's thread. */
    private sealed interface Event {
        record Token(int choice, String delta, Generator.TokenLogprob logprob) implements Event {}
        record Done(int choice, Generator.Output output) implements Event {}
    }

    private int generate(HttpExchange ex, Params p, int[] prompt, Guide guide, boolean chat, boolean parseTools) throws ApiError, IOException {
        int ctx = student.runtime().contextLength();
        int room = ctx - prompt.length;
        if (room <= 0 || (p.maxTokens() != null && p.maxTokens() > room))
            throw new ApiError(400, "this model's maximum context length is " + ctx + " tokens; the prompt has " + prompt.length
                    + (p.maxTokens() == null ? "" : " and max_tokens asks for " + p.maxTokens()), "context_length_exceeded", 0);
        int maxTokens = p.maxTokens() == null ? room : p.maxTokens();
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        List<Generator.Handle> handles;
        try {
            List<EmbeddedStudent.Job> jobs = new ArrayList<>();
            for (int i = 0; i < p.n(); i++) {
                final int choice = i;
                long seed = p.seed() * 0x9E3779B97F4A7C15L + i;
                var req = new Generator.Request(prompt, p.temperature(), p.topP(), maxTokens, p.stop(), seed, p.topLogprobs(), guide);
                jobs.add(new EmbeddedStudent.Job(p.client(), p.adapter(), req, new Generator.Listener() {
                    @Override public void token(String d, Generator.TokenLogprob lp) { events.add(new Event.Token(choice, d, lp)); }
                    @Override public void done(Generator.Output o) { events.add(new Event.Done(choice, o)); }
                }));
            }
            handles = student.submitAll(jobs); // all n rows or none
        } catch (EmbeddedStudent.Overloaded e) {
            metrics.rejected.increment();
            throw new ApiError(429, e.getMessage(), "rate_limit_exceeded", Math.max(1, e.retryAfter().toSeconds()));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ApiError(400, e.getMessage());
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        String model = p.adapter() == null ? modelName : p.adapter();
        long start = System.nanoTime();
        try {
            return p.stream() ? stream(ex, p, events, handles, id, created, model, chat, parseTools, start)
                    : whole(ex, p, events, id, created, model, chat, parseTools, start);
        } catch (IOException | RuntimeException e) {
            handles.forEach(Generator.Handle::cancel); // the client is gone: its rows leave the batch at the next token
            throw e;
        }
    }

    private int whole(HttpExchange ex, Params p, BlockingQueue<Event> events, String id, long created, String model, boolean chat,
                      boolean parseTools, long start) throws IOException {
        Generator.Output[] outs = new Generator.Output[p.n()];
        int done = 0;
        boolean first = true;
        while (done < p.n()) {
            Event e = take(events);
            if (first) { metrics.firstToken((System.nanoTime() - start) / 1e9); first = false; }
            if (e instanceof Event.Done d) { outs[d.choice()] = d.output(); done++; }
        }
        ObjectNode resp = Json.MAPPER.createObjectNode();
        resp.put("id", id).put("object", chat ? "chat.completion" : "text_completion").put("created", created).put("model", model);
        ArrayNode choices = resp.putArray("choices");
        long completion = 0;
        for (int i = 0; i < p.n(); i++) {
            Generator.Output o = outs[i];
            completion += o.tokens().length;
            ObjectNode ch = choices.addObject().put("index", i);
            String finish = finishReason(o);
            if (chat) {
                ModelRuntime.Reply r = ModelRuntime.parse(o.text(), student.options().forceThink(), parseTools);
                ObjectNode msg = ch.putObject("message").put("role", "assistant");
                if (r.toolCalls().isEmpty() || !r.content().isEmpty()) msg.put("content", r.content()); else msg.putNull("content");
                if (r.reasoning() != null) msg.put("reasoning_content", r.reasoning());
                if (!r.toolCalls().isEmpty()) {
                    msg.set("tool_calls", toolCallsJson(r.toolCalls(), false));
                    finish = "tool_calls";
                }
                if (p.topLogprobs() != 0) ch.putObject("logprobs").set("content", chatLogprobs(o.logprobs()));
                else ch.putNull("logprobs");
            } else {
                ch.put("text", o.text());
                if (p.topLogprobs() != 0) ch.set("logprobs", completionLogprobs(o.logprobs()));
                else ch.putNull("logprobs");
            }
            ch.put("finish_reason", finish);
        }
        int promptTokens = outs[0].promptTokens();
        usage(resp.putObject("usage"), promptTokens, completion);
        metrics.tokens(promptTokens, completion);
        return sendJson(ex, 200, resp);
    }

    private int stream(HttpExchange ex, Params p, BlockingQueue<Event> events, List<Generator.Handle> handles, String id, long created,
                       String model, boolean chat, boolean parseTools, long start) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        StringBuilder[] text = new StringBuilder[p.n()];
        int[] sentReasoning = new int[p.n()], sentContent = new int[p.n()];
        for (int i = 0; i < p.n(); i++) {
            text[i] = new StringBuilder();
            if (chat) sse(out, chunk(id, created, model, true, i, d -> d.put("role", "assistant").put("content", ""), null, null));
        }
        int done = 0, promptTokens = 0;
        long completion = 0;
        boolean first = true;
        while (done < p.n()) {
            Event e = take(events);
            if (first) { metrics.firstToken((System.nanoTime() - start) / 1e9); first = false; }
            switch (e) {
                case Event.Token t -> {
                    if (t.delta().isEmpty() && t.logprob() == null) break;
                    int i = t.choice();
                    text[i].append(t.delta());
                    if (!chat) {
                        ObjectNode c = chunk(id, created, model, false, i, null, null, null);
                        ((ObjectNode) c.path("choices").get(0)).put("text", t.delta());
                        if (p.topLogprobs() != 0 && t.logprob() != null) ((ObjectNode) c.path("choices").get(0)).set("logprobs", completionLogprobs(List.of(t.logprob())));
                        sse(out, c);
                    } else if (!parseTools) { // with tools offered the text is held until the calls can be parsed
                        ModelRuntime.Reply r = ModelRuntime.parse(text[i].toString(), student.options().forceThink(), false);
                        String reasoning = r.reasoning() == null ? "" : r.reasoning();
                        String rd = reasoning.length() > sentReasoning[i] ? reasoning.substring(sentReasoning[i]) : "";
                        String cd = r.content().length() > sentContent[i] ? r.content().substring(sentContent[i]) : "";
                        sentReasoning[i] = Math.max(sentReasoning[i], reasoning.length());
                        sentContent[i] = Math.max(sentContent[i], r.content().length());
                        if (rd.isEmpty() && cd.isEmpty() && (p.topLogprobs() == 0 || t.logprob() == null)) break;
                        JsonNode lp = p.topLogprobs() != 0 && t.logprob() != null ? Json.MAPPER.createObjectNode().set("content", chatLogprobs(List.of(t.logprob()))) : null;
                        sse(out, chunk(id, created, model, true, i, d -> {
                            if (!rd.isEmpty()) d.put("reasoning_content", rd);
                            if (!cd.isEmpty() || rd.isEmpty()) d.put("content", cd);
                        }, null, lp));
                    }
                }
                case Event.Done d -> {
                    done++;
                    int i = d.choice();
                    Generator.Output o = d.output();
                    promptTokens = o.promptTokens();
                    completion += o.tokens().length;
                    String finish = finishReason(o);
                    if (chat && parseTools) {
                        ModelRuntime.Reply r = ModelRuntime.parse(o.text(), student.options().forceThink(), true);
                        if (!r.toolCalls().isEmpty()) finish = "tool_calls";
                        sse(out, chunk(id, created, model, true, i, dl -> {
                            if (!r.content().isEmpty()) dl.put("content", r.content());
                            if (r.reasoning() != null) dl.put("reasoning_content", r.reasoning());
                            if (!r.toolCalls().isEmpty()) dl.set("tool_calls", toolCallsJson(r.toolCalls(), true));
                        }, null, null));
                    }
                    String f = finish;
                    sse(out, chunk(id, created, model, chat, i, chat ? dl -> { } : null, f, null));
                }
            }
        }
        if (p.includeUsage()) {
            ObjectNode u = Json.MAPPER.createObjectNode().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
                    .put("created", created).put("model", model);
            u.putArray("choices");
            usage(u.putObject("usage"), promptTokens, completion);
            sse(out, u);
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        out.close();
        metrics.tokens(promptTokens, completion);
        return 200;
    }

    private static Event take(BlockingQueue<Event> events) throws IOException {
        try {
            return events.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private static String finishReason(Generator.Output o) {
        return switch (o.finishReason()) {
            case STOP, LENGTH -> o.finishReason().wire();
            case CANCELLED -> "abort"; // vLLM's word for a request ended by the server
        };
    }

    private static ObjectNode chunk(String id, long created, String model, boolean chat, int index,
                                    java.util.function.Consumer<ObjectNode> delta, String finish, JsonNode logprobs) {
        ObjectNode c = Json.MAPPER.createObjectNode().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
                .put("created", created).put("model", model);
        ObjectNode ch = c.putArray("choices").addObject().put("index", index);
        if (chat) delta.accept(ch.putObject("delta"));
        else ch.put("text", "");
        if (logprobs != null) ch.set("logprobs", logprobs); else ch.putNull("logprobs");
        if (finish != null) ch.put("finish_reason", finish); else ch.putNull("finish_reason");
        return c;
    }

    private static void sse(OutputStream out, JsonNode chunk) throws IOException {
        out.write(("data: " + Json.MAPPER.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static ArrayNode toolCallsJson(List<ToolCall> calls, boolean indexed) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (int k = 0; k < calls.size(); k++) {
            ToolCall c = calls.get(k);
            ObjectNode n = a.addObject();
            if (indexed) n.put("index", k);
            n.put("id", c.id()).put("type", "function");
            n.putObject("function").put("name", c.name()).put("arguments", c.argumentsJson());
        }
        return a;
    }

    private ArrayNode chatLogprobs(List<Generator.TokenLogprob> lps) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (Generator.TokenLogprob lp : lps) {
            ObjectNode n = tokenEntry(a.addObject(), lp.token(), lp.logprob());
            ArrayNode top = n.putArray("top_logprobs");
            for (int i = 0; i < lp.topTokens().length; i++) tokenEntry(top.addObject(), lp.topTokens()[i], lp.topLogprobs()[i]);
        }
        return a;
    }

    private ObjectNode tokenEntry(ObjectNode n, int token, float logprob) {
        String s = student.runtime().tokenizer().decode(new int[]{token});
        n.put("token", s).put("logprob", logprob);
        ArrayNode bytes = n.putArray("bytes");
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
        return n;
    }

    private ObjectNode completionLogprobs(List<Generator.TokenLogprob> lps) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        ArrayNode tokens = n.putArray("tokens"), lp = n.putArray("token_logprobs"), top = n.putArray("top_logprobs"), off = n.putArray("text_offset");
        int at = 0;
        for (Generator.TokenLogprob t : lps) {
            String s = student.runtime().tokenizer().decode(new int[]{t.token()});
            tokens.add(s);
            lp.add(t.logprob());
            ObjectNode alts = top.addObject();
            for (int i = 0; i < t.topTokens().length; i++) alts.put(student.runtime().tokenizer().decode(new int[]{t.topTokens()[i]}), t.topLogprobs()[i]);
            off.add(at);
            at += s.length();
        }
        return n;
    }

    private static void usage(ObjectNode u, long prompt, long completion) {
        u.put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    }

    private static void error(HttpExchange ex, ApiError e) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        ObjectNode err = n.putObject("error").put("message", e.getMessage()).put("type", e.type);
        if (e.code != null) err.put("code", e.code); else err.putNull("code");
        err.putNull("param");
        if (e.retryAfterSeconds > 0) ex.getResponseHeaders().set("Retry-After", Long.toString(e.retryAfterSeconds));
        try {
            sendJson(ex, e.status, n);
        } catch (IOException | RuntimeException ignored) { // headers already sent (mid-stream) or client gone
        }
    }

    private static int sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] b = Json.MAPPER.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.getResponseBody().close();
        return status;
    }

    private static int sendText(HttpExchange ex, int status, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.getResponseBody().close();
        return status;
    }

    // ---------------------------------------------------------------- metrics

    /** Counters and histograms in Prometheus' text format. */
    private static final class Metrics {
        private final Map<String, LongAdder> requests = new ConcurrentHashMap<>(); // "endpoint|status"
        private final LongAdder rejected = new LongAdder(), prompt = new LongAdder(), completion = new LongAdder();
        private final Histogram latency = new Histogram(), ttft = new Histogram();

        void request(String endpoint, int status, double seconds) {
            requests.computeIfAbsent(endpoint + "|" + status, k -> new LongAdder()).increment();
            if (endpoint.startsWith("/v1/") && status == 200) latency.observe(seconds);
        }

        void firstToken(double seconds) { ttft.observe(seconds); }

        void tokens(long p, long c) { prompt.add(p); completion.add(c); }

        String render(EmbeddedStudent.Stats s) {
            StringBuilder b = new StringBuilder();
            b.append("# HELP phronesis_requests_total HTTP requests by endpoint and status.\n# TYPE phronesis_requests_total counter\n");
            requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
                String[] k = e.getKey().split("\\|");
                b.append("phronesis_requests_total{endpoint=\"").append(k[0]).append("\",status=\"").append(k[1]).append("\"} ").append(e.getValue().sum()).append('\n');
            });
            counter(b, "phronesis_rejected_total", "Requests refused with 429 (queue or per-client share full).", rejected.sum());
            counter(b, "phronesis_prompt_tokens_total", "Prompt tokens of answered requests.", prompt.sum());
            counter(b, "phronesis_generation_tokens_total", "Tokens generated for answered requests.", completion.sum());
            gauge(b, "phronesis_queue_depth", "Rows waiting for admission to the decode batch.", s.queuedRows());
            gauge(b, "phronesis_running_rows", "Rows in the decode batch.", s.runningRows());
            gauge(b, "phronesis_kv_cache_reserved_bytes", "KV cache the running rows may grow to.", s.kvBytesReserved());
            counter(b, "phronesis_prefix_cache_hit_tokens_total", "Prompt tokens whose keys and values were copied from a cached prefix instead of computed.", s.prefixHitTokens());
            gauge(b, "phronesis_prefix_cache_bytes", "Keys and values of finished rows kept for prompts that start the same way.", s.prefixCacheBytes());
            latency.render(b, "phronesis_request_latency_seconds", "Time from request to last byte of a 200 answer.");
            ttft.render(b, "phronesis_time_to_first_token_seconds", "Time from admission request to the first generated token.");
            return b.toString();
        }

        private static void counter(StringBuilder b, String name, String help, long v) {
            b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
        }

        private static void gauge(StringBuilder b, String name, String help, long v) {
            b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(v).append('\n');
        }
    }

    private static final class Histogram {
        private final AtomicLong[] buckets = new AtomicLong[LATENCY_BUCKETS.length];
        private final AtomicLong count = new AtomicLong();
        private final java.util.concurrent.atomic.DoubleAdder sum = new java.util.concurrent.atomic.DoubleAdder();

        Histogram() { for (int i = 0; i < buckets.length; i++) buckets[i] = new AtomicLong(); }

        void observe(double v) {
            for (int i = 0; i < buckets.length; i++) if (v <= LATENCY_BUCKETS[i]) buckets[i].incrementAndGet();
            count.incrementAndGet();
            sum.add(v);
        }

        void render(StringBuilder b, String name, String help) {
            b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" histogram\n");
            for (int i = 0; i < buckets.length; i++)
                b.append(name).append("_bucket{le=\"").append(BigDecimal.valueOf(LATENCY_BUCKETS[i]).toPlainString()).append("\"} ").append(buckets[i].get()).append('\n');
            b.append(name).append("_bucket{le=\"+Inf\"} ").append(count.get()).append('\n');
            b.append(name).append("_sum ").append(String.format(Locale.ROOT, "%.6f", sum.sum())).append('\n');
            b.append(name).append("_count ").append(count.get()).append('\n');
        }
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        http.stop(0);
        executor.shutdownNow();
        watchdog.shutdownNow();
    }
}
