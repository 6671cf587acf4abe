package dev.phronesis.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.records.Jsonl;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Drives a headless Chromium over the Chrome DevTools Protocol (a WebSocket on 127.0.0.1), with no
 * driver binary and nothing downloaded. Events are kept in order so a test can check every network
 * request the page made. Invariant: the browser process is ours and is destroyed in {@link #close()}.
 */
public final class HeadlessChromium implements AutoCloseable {
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    static final List<String> CANDIDATES = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable");

    private final Process process;
    private final WebSocket ws;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<JsonNode> events = java.util.Collections.synchronizedList(new ArrayList<>());

    /** The browser binary: $PHRONESIS_CHROMIUM or the Debian/Ubuntu locations. */
    public static Optional<Path> find() {
        String env = System.getenv("PHRONESIS_CHROMIUM");
        if (env != null && Files.isExecutable(Path.of(env))) return Optional.of(Path.of(env));
        return CANDIDATES.stream().map(Path::of).filter(Files::isExecutable).findFirst();
    }

    public HeadlessChromium(Path binary, Path profile) throws Exception {
        Files.createDirectories(profile);
        List<String> cmd = List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions",
                "--user-data-dir=" + profile, "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1280,1000", "about:blank");
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!(Files.exists(portFile) && Files.readAllLines(portFile).size() >= 2)) {
            if (!process.isAlive()) throw new IOException("chromium exited: " + Files.readString(profile.resolve("chromium.log")));
            if (System.nanoTime() > deadline) throw new IOException("chromium did not start within " + START_TIMEOUT);
            Thread.sleep(50);
        }
        int port = Integer.parseInt(Files.readAllLines(portFile).getFirst().strip());
        HttpClient http = HttpClient.newHttpClient();
        String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body();
        String wsUrl = null;
        for (JsonNode t : Jsonl.MAPPER.readTree(list)) if (t.path("type").asText().equals("page")) { wsUrl = t.path("webSocketDebuggerUrl").asText(); break; }
        if (wsUrl == null) throw new IOException("no page target in " + list);
        ws = http.newWebSocketBuilder().buildAsync(URI.create(wsUrl), new Listener()).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder buf = new StringBuilder();

        @Override public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            buf.append(data);
            if (last) {
                try {
                    JsonNode n = Jsonl.MAPPER.readTree(buf.toString());
                    if (n.has("id")) {
                        CompletableFuture<JsonNode> f = pending.remove(n.get("id").asInt());
                        if (f != null) f.complete(n);
                    } else events.add(n);
                } catch (IOException e) {
                    // a frame we cannot parse is not ours to answer; ignore it
                }
                buf.setLength(0);
            }
            w.request(1);
            return null;
        }
    }

    public JsonNode call(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode msg = Jsonl.MAPPER.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", Jsonl.MAPPER.valueToTree(params));
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        ws.sendText(Jsonl.toJson(msg), true).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        JsonNode r = f.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (r.has("error")) throw new IllegalStateException(method + ": " + r.get("error"));
        return r.path("result");
    }

    /** Evaluates a JavaScript expression in the page and returns its value (promises awaited). */
    public JsonNode eval(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
        if (r.has("exceptionDetails")) throw new IllegalStateException("page threw: " + r.get("exceptionDetails"));
        return r.path("result").path("value");
    }

    /** A real left click at the centre of the first element matching {@code selector}, after scrolling it into view. */
    public void click(String selector) throws Exception {
        JsonNode box = eval("(() => { const e = document.querySelector(" + Jsonl.toJson(selector) + "); e.scrollIntoView({block: 'center'});"
                + " const r = e.getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()");
        double x = box.get("x").asDouble();
        double y = box.get("y").asDouble();
        for (String type : List.of("mousePressed", "mouseReleased"))
            call("Input.dispatchMouseEvent", Map.of("type", type, "x", x, "y", y, "button", "left", "clickCount", 1));
    }

    public List<JsonNode> events(Predicate<JsonNode> p) {
        synchronized (events) {
            return events.stream().filter(p).toList();
        }
    }

    public void awaitEvent(String method, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (events(e -> e.path("method").asText().equals(method)).isEmpty()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("no " + method + " within " + timeout);
            Thread.sleep(20);
        }
    }

    @Override public void close() {
        try {
            ws.abort();
        } finally {
            // Chromium's helpers (zygote, renderers, crashpad) outlive the main process and keep writing to the
            // profile, which then cannot be deleted by the test's @TempDir: collect them first, end them all
            java.util.List<ProcessHandle> helpers = process.descendants().toList();
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                for (ProcessHandle h : helpers) {
                    h.destroy();
                    try {
                        h.onExit().get(5, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                        h.destroyForcibly();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
