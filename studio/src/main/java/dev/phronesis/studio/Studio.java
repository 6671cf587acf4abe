package dev.phronesis.studio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.phronesis.core.UserError;
import dev.phronesis.core.calculator.Decision;
import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.FactorAssessment;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Variant;
import dev.phronesis.data.distill.DatasetBuilder;
import dev.phronesis.data.distill.Distiller;
import dev.phronesis.data.distill.ExpertReview;
import dev.phronesis.data.distill.ExpertReviews;
import dev.phronesis.data.distill.TokenCounter;
import dev.phronesis.eval.HumanLabel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code phronesis studio}: a local web app in which domain experts review a run's deliberations and
 * eval transcripts. The JDK's HTTP server on 127.0.0.1, a static page (no remote assets) and a JSON API.
 *
 * <p>Security: the server binds to the loopback address only and answers only requests whose Host is
 * 127.0.0.1 or localhost on its port (no DNS rebinding). Every request needs the session token (from the
 * printed URL; the first page load moves it into an HttpOnly, SameSite=Strict cookie named for the port)
 * or gets 401. Every POST also needs the CSRF token (handed to the page by {@code /api/session}) in the
 * {@code X-CSRF-Token} header, a JSON body and, when the browser sends one, an Origin equal to the
 * server's own: otherwise 403. Responses carry a strict Content-Security-Policy (self only, no inline
 * script, nothing framed).
 *
 * <p>Files: reads the run directory; writes only {@code reviews.jsonl} (distill folder),
 * {@code human-labels.jsonl} (each eval run's folder) and the distill folder's {@code dataset/} on rebuild.
 * Requests run on virtual threads; {@link SampleIndex} and {@link EvalIndex} are immutable, and
 * {@link ReviewState} and the dataset rebuild are synchronised.
 */
public final class Studio implements AutoCloseable {
    /** @param port 0 = any free port; @param reviewer who the records name; @param constitution FILE or builtin:NAME, or null to find it by hash */
    public record Options(int port, String reviewer, String constitution) {
        public Options {
            if (port < 0 || port > 65535) throw new UserError("--port must be within [0, 65535], got " + port);
            if (reviewer == null || reviewer.isBlank()) throw new UserError("--reviewer must not be blank");
            reviewer = reviewer.strip();
        }
    }

    static final int TOKEN_BYTES = 32;
    static final int MAX_BODY_BYTES = 2 << 20;
    static final int MAX_PAGE = 500;
    static final int DEFAULT_PAGE = 50;
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
    static final Map<String, String> STATIC = Map.of("/", "index.html", "/index.html", "index.html", "/app.js", "app.js", "/app.css", "app.css");

    private final Path runDir;
    private final Path distillDir;
    private final Options options;
    private final Constitution constitution;
    private final DeliberationCalculator calc;
    private final SampleIndex samples;
    private final ReviewState reviews;
    private final EvalIndex evals;
    private final HttpServer server;
    private final ExecutorService executor;
    private final String token;
    private final String csrf;
    private final Object datasetLock = new Object();

    private Studio(Path runDir, Options o) throws IOException {
        this.runDir = runDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(this.runDir)) throw new UserError(runDir + ": no such run directory");
        this.options = o;
        this.distillDir = findDistillDir(this.runDir);
        if (distillDir != null) {
            JsonNode m = Distiller.manifest(distillDir);
            this.constitution = constitutionFor(distillDir, m, o.constitution());
            this.calc = new DeliberationCalculator(constitution);
            this.samples = new SampleIndex(distillDir, calc);
            this.reviews = new ReviewState(distillDir, constitution.hash());
        } else {
            this.constitution = null;
            this.calc = null;
            this.samples = null;
            this.reviews = null;
        }
        this.evals = new EvalIndex(this.runDir);
        if (samples == null && evals.isEmpty())
            throw new UserError(runDir + ": neither a distilled run (distill.json here or in distill/) nor eval results (results.jsonl with run.json) found");
        SecureRandom rnd = new SecureRandom();
        this.token = randomToken(rnd);
        this.csrf = randomToken(rnd);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), o.port()), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Loads the run and starts serving; nothing is opened in a browser. */
    public static Studio open(Path runDir, Options o) {
        try {
            return new Studio(runDir, o);
        } catch (java.net.BindException e) {
            throw new UserError("--port " + o.port() + ": cannot listen on 127.0.0.1:" + o.port() + " (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() { return server.getAddress().getPort(); }

    /** The URL to open, with the session token. */
    public String url() { return "http://127.0.0.1:" + port() + "/?token=" + token; }

    public int samples() { return samples == null ? 0 : samples.rows().size(); }
    public int evalAnswers() { return evals.rows().size(); }
    public Path reviewsFile() { return distillDir == null ? null : distillDir.resolve(ExpertReviews.FILE); }
    /** The human labels file of one arm's eval run ({@code eval calibrate EVAL_RUN_DIR --labels FILE}). */
    public Path labelsFile(String arm) { return evals.labelsFile(arm); }

    @Override public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static String randomToken(SecureRandom rnd) {
        byte[] b = new byte[TOKEN_BYTES];
        rnd.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static Path findDistillDir(Path run) {
        if (Files.exists(run.resolve(Distiller.MANIFEST))) return run;
        if (Files.exists(run.resolve("distill").resolve(Distiller.MANIFEST))) return run.resolve("distill");
        return null;
    }

    /** The constitution the run was distilled under: the one given (its hash must match), else the built-in with that hash. */
    static Constitution constitutionFor(Path distillDir, JsonNode manifest, String given) {
        JsonNode ref = manifest.path("constitution"); // a ConstitutionRef object; older manifests: a display string + constitution_hash
        String hash = ref.isObject() ? ref.path("hash").asText() : manifest.path("constitution_hash").asText();
        String name = ref.isObject() ? ref.path("id").asText() + "@" + ref.path("version").asText() : ref.asText();
        Path mf = distillDir.resolve(Distiller.MANIFEST);
        if (given != null) {
            Constitution c = ConstitutionLoader.resolve(given);
            if (!c.hash().equals(hash)) throw new UserError("--constitution " + given + ": its sha256 " + c.hash().substring(0, 12) + " is not the "
                    + hash.substring(0, Math.min(12, hash.length())) + " the run was distilled under (" + mf + ")");
            return c;
        }
        for (String b : ConstitutionLoader.BUILTINS) {
            Constitution c = ConstitutionLoader.builtin(b);
            if (c.hash().equals(hash)) return c;
        }
        String source = ref.path("source").asText("");
        if (!source.isBlank() && java.nio.file.Files.isRegularFile(java.nio.file.Path.of(source))) {
            Constitution c = ConstitutionLoader.resolve(source);
            if (c.hash().equals(hash)) return c;
        }
        throw new UserError(mf + ": distilled under " + name + ", which is not a built-in constitution; pass --constitution FILE (the file it was distilled with)");
    }

    // ---- HTTP ------------------------------------------------------------------------------------

    /** A refusal with its status; the message is one line shown to the user. */
    static final class HttpError extends RuntimeException {
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            setSecurityHeaders(x);
            try {
                checkHost(x);
                String path = x.getRequestURI().getRawPath();
                Map<String, String> q = query(x);
                boolean viaQuery = q.containsKey("token") && equal(q.get("token"), token);
                if (!viaQuery && !authenticated(x)) throw new HttpError(401, "missing or wrong session token; open the URL the studio printed");
                String method = x.getRequestMethod();
                if (method.equals("GET") && STATIC.containsKey(path)) {
                    if (viaQuery && path.equals("/")) { // move the token out of the address bar into a cookie
                        x.getResponseHeaders().add("Set-Cookie", cookieName() + "=" + token + "; HttpOnly; SameSite=Strict; Path=/");
                        x.getResponseHeaders().set("Location", "/");
                        x.sendResponseHeaders(303, -1);
                        return;
                    }
                    serveStatic(x, STATIC.get(path));
                    return;
                }
                if (!path.startsWith("/api/")) throw new HttpError(404, "no such page: " + path);
                Object out = switch (method) {
                    case "GET" -> get(path, q);
                    case "POST" -> {
                        checkCsrf(x);
                        yield post(path, readBody(x));
                    }
                    default -> throw new HttpError(405, "method " + method + " is not allowed");
                };
                sendJson(x, 200, out);
            } catch (HttpError e) {
                sendJson(x, e.status, Map.of("error", e.getMessage()));
            } catch (UserError e) {
                sendJson(x, 400, Map.of("error", e.getMessage()));
            } catch (RuntimeException e) {
                sendJson(x, 500, Map.of("error", "internal error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse(""))));
            }
        }
    }

    private String cookieName() { return "phronesis_studio_" + port(); }

    private static void setSecurityHeaders(HttpExchange x) {
        var h = x.getResponseHeaders();
        h.set("Content-Security-Policy", CSP);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cross-Origin-Opener-Policy", "same-origin");
        h.set("Cross-Origin-Resource-Policy", "same-origin");
        h.set("Cache-Control", "no-store");
    }

    private void checkHost(HttpExchange x) {
        String host = x.getRequestHeaders().getFirst("Host");
        int p = port();
        if (host == null || !(host.equals("127.0.0.1:" + p) || host.equals("localhost:" + p)))
            throw new HttpError(403, "Host '" + host + "' is not this studio (127.0.0.1:" + p + ")");
    }

    private boolean authenticated(HttpExchange x) {
        String auth = x.getRequestHeaders().getFirst("Authorization");
        if (auth != null && auth.startsWith("Bearer ") && equal(auth.substring(7).strip(), token)) return true;
        String cookies = x.getRequestHeaders().getFirst("Cookie");
        if (cookies == null) return false;
        for (String c : cookies.split(";")) {
            String t = c.strip();
            if (t.startsWith(cookieName() + "=") && equal(t.substring(cookieName().length() + 1), token)) return true;
        }
        return false;
    }

    private void checkCsrf(HttpExchange x) {
        var h = x.getRequestHeaders();
        String origin = h.getFirst("Origin");
        int p = port();
        if (origin != null && !(origin.equals("http://127.0.0.1:" + p) || origin.equals("http://localhost:" + p)))
            throw new HttpError(403, "CSRF: origin " + origin + " is not this studio");
        String site = h.getFirst("Sec-Fetch-Site");
        if (site != null && !(site.equals("same-origin") || site.equals("none")))
            throw new HttpError(403, "CSRF: a " + site + " request is refused");
        String t = h.getFirst("X-CSRF-Token");
        if (t == null || !equal(t, csrf)) throw new HttpError(403, "CSRF: missing or wrong X-CSRF-Token");
        String ct = h.getFirst("Content-Type");
        if (ct == null || !ct.toLowerCase(java.util.Locale.ROOT).startsWith("application/json"))
            throw new HttpError(415, "CSRF: a state-changing request must send application/json");
    }

    private static boolean equal(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> query(HttpExchange x) {
        Map<String, String> out = new HashMap<>();
        String raw = x.getRequestURI().getRawQuery();
        if (raw == null) return out;
        for (String kv : raw.split("&")) {
            if (kv.isEmpty()) continue;
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    private static JsonNode readBody(HttpExchange x) throws IOException {
        try (InputStream in = x.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY_BYTES + 1);
            if (b.length > MAX_BODY_BYTES) throw new HttpError(413, "request body over " + MAX_BODY_BYTES + " bytes");
            try {
                JsonNode n = Jsonl.MAPPER.readTree(b);
                if (n == null || !n.isObject()) throw new HttpError(400, "the request body must be a JSON object");
                return n;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new HttpError(400, "the request body is not JSON: " + e.getOriginalMessage());
            }
        }
    }

    private void serveStatic(HttpExchange x, String name) throws IOException {
        try (InputStream in = Studio.class.getResourceAsStream("web/" + name)) {
            if (in == null) throw new HttpError(404, "no such page: " + name);
            byte[] b = in.readAllBytes();
            String type = name.endsWith(".js") ? "text/javascript" : name.endsWith(".css") ? "text/css" : "text/html";
            x.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
        }
    }

    private static void sendJson(HttpExchange x, int status, Object body) throws IOException {
        byte[] b = Jsonl.MAPPER.writeValueAsBytes(body);
        x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        x.sendResponseHeaders(status, b.length);
        x.getResponseBody().write(b);
    }

    // ---- API -------------------------------------------------------------------------------------

    private Object get(String path, Map<String, String> q) {
        return switch (path) {
            case "/api/session" -> session();
            case "/api/samples" -> sampleList(q);
            case "/api/sample" -> sample(required(q, "key"));
            case "/api/progress" -> progress();
            case "/api/dataset" -> dataset();
            case "/api/eval/results" -> evalList(q);
            case "/api/eval/item" -> evalItem(required(q, "suite"), required(q, "item"));
            case "/api/eval/labels" -> evals.labels().values();
            default -> throw new HttpError(404, "no such endpoint: GET " + path);
        };
    }

    private Object post(String path, JsonNode body) {
        return switch (path) {
            case "/api/calculate" -> calculate(body);
            case "/api/review" -> review(body);
            case "/api/dataset/rebuild" -> rebuild();
            case "/api/eval/label" -> relabel(body);
            default -> throw new HttpError(404, "no such endpoint: POST " + path);
        };
    }

    private static String required(Map<String, String> q, String k) {
        String v = q.get(k);
        if (v == null || v.isBlank()) throw new UserError(k + ": required");
        return v;
    }

    private static int intParam(Map<String, String> q, String k, int dflt, int min, int max) {
        String v = q.get(k);
        if (v == null || v.isBlank()) return dflt;
        try {
            int n = Integer.parseInt(v.strip());
            if (n < min || n > max) throw new UserError(k + ": " + n + " is out of range [" + min + ", " + max + "]");
            return n;
        } catch (NumberFormatException e) {
            throw new UserError(k + ": '" + v + "' is not a whole number");
        }
    }

    private SampleIndex samplesOrFail() {
        if (samples == null) throw new HttpError(404, runDir + " has no distilled deliberations");
        return samples;
    }

    private Map<String, Object> session() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("csrf", csrf);
        m.put("reviewer", options.reviewer());
        m.put("run", runDir.toString());
        m.put("distill", distillDir == null ? null : distillDir.toString());
        m.put("constitution", constitution == null ? null : constitution.ref());
        m.put("constitutionHash", constitution == null ? null : constitution.hash());
        m.put("samples", samples());
        m.put("facets", samples == null ? Map.of() : samples.facets());
        m.put("evalAnswers", evals.rows().size());
        m.put("evalFacets", evals.facets());
        m.put("reviewsFile", reviewsFile() == null ? null : reviewsFile().toString());
        m.put("labelsFiles", evals.labelsFiles().entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toString())));
        return m;
    }

    private Map<String, Object> sampleList(Map<String, String> q) {
        SampleIndex s = samplesOrFail();
        reviews.refresh();
        Map<String, String> status = reviews.statusSnapshot();
        SampleIndex.Filter f = SampleIndex.Filter.of(q::get);
        List<SampleIndex.Row> hit = s.filter(f, k -> status.getOrDefault(k, "unreviewed"));
        int offset = intParam(q, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = intParam(q, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (SampleIndex.Row r : hit.subList(Math.min(offset, hit.size()), Math.min(hit.size(), offset + limit))) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("key", r.key());
            m.put("family", r.family());
            m.put("split", r.split());
            m.put("form", r.form());
            m.put("teacher", r.teacher());
            m.put("decision", r.decision());
            m.put("calculator", r.calculatorDecision());
            m.put("gate", r.gateAccepted() == null ? "none" : r.gateAccepted() ? (r.flagged().isEmpty() ? "accepted" : "flagged") : "rejected");
            m.put("gateReason", r.gateReason());
            m.put("judgeScore", Double.isNaN(r.judgeScore()) ? null : r.judgeScore());
            m.put("review", status.getOrDefault(r.key(), "unreviewed"));
            m.put("title", r.title());
            rows.add(m);
        }
        return Map.of("total", hit.size(), "offset", offset, "rows", rows);
    }

    private Map<String, Object> sample(String key) {
        SampleIndex s = samplesOrFail();
        SampleIndex.Row r = s.row(key);
        if (r == null) throw new HttpError(404, "no sample " + key);
        reviews.refresh();
        Deliberation d = s.deliberation(r);
        Scenario sc = s.scenario(d.scenarioId());
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("key", key);
        m.put("scenario", sc);
        m.put("deliberation", d);
        m.put("verdicts", s.verdicts(key));
        m.put("judgements", s.judgements(key));
        m.put("calculator", decisionJson(decide(d, d.harms(), d.benefits())));
        m.put("teacher", Map.of("decision", d.decision(), "margin", d.margin()));
        m.put("factors", factorDefs());
        m.put("review", reviews.status(key));
        m.put("latest", reviews.latest(key));
        m.put("history", reviews.history(key));
        return m;
    }

    private Decision decide(Deliberation d, List<FactorAssessment> harms, List<FactorAssessment> benefits) {
        return calc.decide(SampleIndex.assessment(d, harms, benefits));
    }

    private static Map<String, Object> decisionJson(Decision dec) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("mode", dec.mode());
        m.put("score", dec.score());
        m.put("scoreMode", dec.scoreMode());
        m.put("margin", Double.isInfinite(dec.margin()) ? null : dec.margin());
        m.put("decidedBy", dec.decidedBy().wire());
        m.put("misuseShare", dec.misuseShare());
        m.put("contributions", dec.contributions());
        m.put("sensitivity", dec.sensitivity());
        return m;
    }

    private Map<String, Object> factorDefs() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("harms", constitution.harmFactors().stream().map(f -> Map.of("id", f.id(), "name", f.name(), "direction", f.direction().name().toLowerCase(java.util.Locale.ROOT),
                "levels", f.levels())).toList());
        m.put("benefits", constitution.benefits().stream().map(f -> Map.of("id", f.id(), "name", f.name(), "direction", "benefit", "levels", f.levels())).toList());
        return m;
    }

    /** Factor levels from a request, {@code {"harms": {"severity": 2}, "benefits": {...}}}, over the deliberation's own (rationales kept or replaced). */
    private List<FactorAssessment> levels(Deliberation d, JsonNode body, String field, boolean benefit) {
        List<FactorAssessment> own = benefit ? d.benefits() : d.harms();
        JsonNode given = body.path(field);
        JsonNode why = body.path(field + "Rationale");
        if (!given.isMissingNode() && !given.isObject()) throw new UserError(field + ": must be an object of factor -> level");
        List<FactorAssessment> out = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (FactorAssessment f : own) {
            seen.add(f.factor());
            out.add(withLevel(f.factor(), given.has(f.factor()) ? given.get(f.factor()) : null, f, why.path(f.factor()), benefit, field));
        }
        given.fieldNames().forEachRemaining(k -> {
            if (!seen.contains(k)) out.add(withLevel(k, given.get(k), null, why.path(k), benefit, field));
        });
        return out;
    }

    private FactorAssessment withLevel(String id, JsonNode level, FactorAssessment own, JsonNode rationale, boolean benefit, String field) {
        Optional<Constitution.Factor> f = benefit ? constitution.benefit(id) : constitution.harmFactor(id);
        if (f.isEmpty()) throw new UserError(field + "." + id + ": not a " + (benefit ? "benefit" : "harm factor") + " of " + constitution.ref());
        int l = own == null ? f.get().defaultLevel() : own.level();
        if (level != null) {
            if (!level.canConvertToInt()) throw new UserError(field + "." + id + ": level must be a whole number");
            l = level.asInt();
            if (l < 0 || l > f.get().maxLevel()) throw new UserError(field + "." + id + ": level " + l + " is out of range [0, " + f.get().maxLevel() + "]");
        }
        String r = rationale.isTextual() ? rationale.asText() : own == null ? "" : own.rationale();
        return new FactorAssessment(id, l, f.get().label(l), r);
    }

    private Object calculate(JsonNode body) {
        SampleIndex s = samplesOrFail();
        SampleIndex.Row r = s.row(body.path("key").asText());
        if (r == null) throw new HttpError(404, "no sample " + body.path("key").asText());
        Deliberation d = s.deliberation(r);
        return decisionJson(decide(d, levels(d, body, "harms", false), levels(d, body, "benefits", true)));
    }

    private Object review(JsonNode body) {
        SampleIndex s = samplesOrFail();
        String key = body.path("key").asText();
        SampleIndex.Row r = s.row(key);
        if (r == null) throw new HttpError(404, "no sample " + key);
        ExpertReview.Verdict v;
        try {
            v = ExpertReview.Verdict.parse(body.path("verdict").asText(""));
        } catch (IllegalArgumentException e) {
            throw new UserError("verdict: " + e.getMessage());
        }
        String reason = body.path("reason").asText("").strip();
        if (v != ExpertReview.Verdict.ACCEPT && reason.isEmpty()) throw new UserError("reason: a " + v.wire() + " needs a reason");
        ExpertReview.Edit edit = null;
        if (v == ExpertReview.Verdict.EDIT) {
            Deliberation d = s.deliberation(r);
            List<FactorAssessment> harms = levels(d, body, "harms", false);
            List<FactorAssessment> bens = levels(d, body, "benefits", true);
            String reasoning = body.path("reasoning").isTextual() ? body.get("reasoning").asText() : d.reasoning();
            String response = body.path("response").isTextual() ? body.get("response").asText() : d.response();
            if (reasoning.equals(d.reasoning()) && response.equals(d.response()) && harms.equals(d.harms()) && bens.equals(d.benefits()))
                throw new UserError("edit: nothing changed; accept the sample instead");
            if (response.isBlank()) throw new UserError("response: must not be empty");
            Decision dec = decide(d, harms, bens);
            edit = new ExpertReview.Edit(reasoning, response, harms, bens, dec.mode(), Double.isInfinite(dec.margin()) ? null : dec.margin(), dec.decidedBy(),
                    new ExpertReview.Original(d.reasoning(), d.response(), d.harms(), d.benefits(), d.decision(), d.margin()));
        }
        return reviews.add(key, options.reviewer(), v, reason, edit);
    }

    private Map<String, Object> progress() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        if (samples != null) {
            reviews.refresh();
            m.put("families", reviews.progress(samples.rows()));
            m.put("agreement", reviews.agreement().stream().map(a -> {
                Map<String, Object> x = new java.util.LinkedHashMap<>();
                x.put("a", a.a());
                x.put("b", a.b());
                x.put("shared", a.shared());
                x.put("sameVerdict", a.sameVerdict());
                x.put("sameKeep", a.sameKeep());
                x.put("kappa", Double.isNaN(a.keepKappa()) ? null : a.keepKappa());
                return x;
            }).toList());
        }
        Map<String, HumanLabel> labels = evals.labels();
        m.put("evalLabelled", labels.size());
        m.put("evalDisagree", evals.rows().stream().filter(r -> labels.containsKey(r.key()) && labels.get(r.key()).label() != r.result().label()).count());
        return m;
    }

    private Object dataset() {
        samplesOrFail();
        Path card = distillDir.resolve(DatasetBuilder.DIR).resolve("card.json");
        if (!Files.exists(card)) return Map.of("built", false);
        try {
            return Map.of("built", true, "card", Jsonl.MAPPER.readTree(card.toFile()));
        } catch (IOException e) {
            throw new UserError(card + ": unreadable: " + e.getMessage());
        }
    }

    /** Rebuilds the dataset with the settings of its current card (variants, formats, budget, token counter), or the defaults. */
    private Object rebuild() {
        samplesOrFail();
        synchronized (datasetLock) {
            Set<Variant> variants = EnumSet.of(Variant.DELIBERATIVE, Variant.DEMONSTRATION);
            Set<DatasetBuilder.Format> formats = EnumSet.of(DatasetBuilder.Format.HF_REASONING);
            long budget = Long.MAX_VALUE / 4;
            TokenCounter tc = TokenCounter.approximate();
            Path card = distillDir.resolve(DatasetBuilder.DIR).resolve("card.json");
            if (Files.exists(card)) {
                try {
                    JsonNode c = Jsonl.MAPPER.readTree(card.toFile());
                    budget = c.path("budgetTokens").asLong(budget);
                    if (c.path("formats").isArray() && !c.path("formats").isEmpty()) {
                        formats = EnumSet.noneOf(DatasetBuilder.Format.class);
                        for (JsonNode f : c.path("formats")) formats.add(DatasetBuilder.Format.parse(f.asText()));
                    }
                    if (c.path("samples").isObject() && !c.path("samples").isEmpty()) {
                        variants = EnumSet.noneOf(Variant.class);
                        for (var it = c.path("samples").fieldNames(); it.hasNext(); ) variants.add(Variant.valueOf(it.next().toUpperCase(java.util.Locale.ROOT)));
                    }
                    String counter = c.path("tokenCounter").asText("");
                    if (counter.startsWith("hf:")) tc = TokenCounter.huggingFace(Path.of(counter.substring(3)));
                } catch (IOException e) {
                    throw new UserError(card + ": unreadable: " + e.getMessage());
                }
            }
            DatasetBuilder.Result r = DatasetBuilder.build(distillDir, variants, budget, tc, formats);
            return Map.of("built", true, "card", Jsonl.MAPPER.valueToTree(r.card()));
        }
    }

    private Map<String, Object> evalList(Map<String, String> q) {
        Map<String, HumanLabel> labels = evals.labels();
        List<EvalIndex.Row> hit = evals.filter(EvalIndex.Filter.of(q::get), labels);
        int offset = intParam(q, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = intParam(q, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (EvalIndex.Row r : hit.subList(Math.min(offset, hit.size()), Math.min(hit.size(), offset + limit))) {
            var x = r.result();
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("arm", r.arm().name());
            m.put("suite", x.suite());
            m.put("item", x.item());
            m.put("sample", x.sampleIndex());
            m.put("family", x.family());
            m.put("label", x.label().wire());
            m.put("method", x.method());
            m.put("decision", x.decision());
            m.put("cell", x.cell());
            HumanLabel h = labels.get(r.key());
            m.put("human", h == null ? null : h.label().wire());
            rows.add(m);
        }
        return Map.of("total", hit.size(), "offset", offset, "rows", rows);
    }

    private Map<String, Object> evalItem(String suite, String item) {
        EvalIndex.Side side = evals.item(suite, item);
        Map<String, HumanLabel> labels = evals.labels();
        ArrayNode answers = Jsonl.MAPPER.createArrayNode();
        for (EvalIndex.Row r : side.answers()) {
            ObjectNode o = answers.addObject();
            o.put("arm", r.arm().name());
            o.put("model", r.arm().model());
            o.set("result", Jsonl.MAPPER.valueToTree(r.result()));
            var split = dev.phronesis.core.records.AnswerParser.split(r.result().content()); // the scorer's own split: reasoning is never read as an action
            o.put("reasoning", r.result().reasoning() != null && !r.result().reasoning().isBlank() ? r.result().reasoning() : split.reasoning());
            o.put("visible", split.visible());
            HumanLabel h = labels.get(r.key());
            o.set("human", h == null ? null : Jsonl.MAPPER.valueToTree(h));
        }
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("suite", suite);
        m.put("item", side.item());
        m.put("answers", answers);
        return m;
    }

    private Object relabel(JsonNode b) {
        if (!b.path("sample").canConvertToInt()) throw new UserError("sample: must be a whole number");
        return evals.relabel(b.path("arm").asText(), b.path("suite").asText(), b.path("item").asText(), b.path("sample").asInt(),
                b.path("label").asText(), options.reviewer(), b.path("reason").asText(""));
    }
}
