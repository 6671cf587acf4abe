package dev.phronesis.llm;

import dev.phronesis.core.UserError;
import dev.phronesis.core.yaml.YMapReader;
import dev.phronesis.core.yaml.YNode;
import dev.phronesis.core.yaml.YamlDocs;
import dev.phronesis.core.yaml.YamlProblems;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The models a project may talk to, read from a YAML file:
 *
 * <pre>{@code
 * models:
 *   - name: teacher
 *     backend: openai            # openai | anthropic | openai-batch | anthropic-batch
 *     model: gpt-4o-mini
 *     base_url: https://api.openai.com/v1
 *     api_key_env: OPENAI_API_KEY   # the NAME of the variable; keys never live in files
 *     limits: {max_in_flight: 32, requests_per_minute: 500, tokens_per_minute: 200000, timeout: 120s, max_attempts: 8}
 *     prices: {input: 0.15, output: 0.60, cached_input: 0.075}   # USD per million tokens
 *     params: {reasoning_effort: low}                            # passed through verbatim
 * }</pre>
 *
 * Read through {@code core.yaml} like every other YAML file of the project: errors name
 * {@code file:line:col} (all of them at once), unknown keys are errors with a did-you-mean, and the
 * file limits (size, nesting, aliases, UTF-8) are the constitution loader's.
 */
public final class ModelCatalog {
    private static final Set<String> LIMIT_KEYS = Set.of("max_in_flight", "requests_per_minute", "tokens_per_minute", "timeout", "max_attempts");
    /** Prices are USD per million tokens; above this is a typo, not a price. */
    private static final double MAX_PRICE = 1_000_000;
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

    private final Path file;
    private final Map<String, ModelSpec> specs;
    private final Map<String, String> keyEnvWhere;
    private final Map<String, String> env;

    private ModelCatalog(Path file, Map<String, ModelSpec> specs, Map<String, String> keyEnvWhere, Map<String, String> env) {
        this.file = file;
        this.specs = specs;
        this.keyEnvWhere = keyEnvWhere;
        this.env = env;
    }

    /** Loads a catalog; API keys are read from the process environment when a model is opened. */
    public static ModelCatalog load(Path modelsYaml) { return load(modelsYaml, System.getenv()); }

    /** Loads a catalog whose {@code api_key_env} references resolve against {@code env} (tests). */
    public static ModelCatalog load(Path modelsYaml, Map<String, String> env) {
        String where = modelsYaml.toString();
        YNode root = YamlDocs.parse(where, YamlDocs.read(modelsYaml));
        if (root == null) throw new UserError(where + ":1:1: empty model catalog; expected 'models:' with a list of models");
        YamlProblems p = new YamlProblems(where);
        Map<String, ModelSpec> specs = new LinkedHashMap<>();
        Map<String, String> keyWhere = new LinkedHashMap<>();
        YMapReader top = YMapReader.of(p, root, "");
        if (top != null) {
            List<YNode> models = top.list("models", true);
            for (int i = 0; i < models.size(); i++) {
                YMapReader m = YMapReader.of(p, models.get(i), "models[" + i + "]");
                if (m == null) continue;
                ModelSpec spec = parseModel(m, keyWhere);
                m.finish();
                if (spec == null) continue;
                if (specs.containsKey(spec.name())) p.add(m.raw("name"), m.child("name") + ": duplicate model name '" + spec.name() + "'");
                specs.put(spec.name(), spec);
            }
            top.finish();
        }
        p.throwIfAny("model catalog");
        return new ModelCatalog(modelsYaml, specs, keyWhere, Map.copyOf(env));
    }

    /** The configured model names, in file order. */
    public List<String> names() { return List.copyOf(specs.keySet()); }

    /** The spec of a configured model. */
    public ModelSpec spec(String name) {
        ModelSpec s = specs.get(name);
        if (s == null) throw new UserError(file + ": no model named '" + name + "'" + YMapReader.didYouMean(name, specs.keySet())
                + " (configured: " + String.join(", ", specs.keySet()) + ")");
        return s;
    }

    /**
     * Opens a configured model by name; a name that is not configured but looks like an inline spec
     * ({@code openai:MODEL@URL}) is opened with {@link #openSpec}.
     */
    public ChatModel open(String name) {
        if (!specs.containsKey(name) && name.contains(":")) return openSpec(name, env);
        ModelSpec s = spec(name);
        String key = null;
        if (s.apiKeyEnv() != null) {
            key = env.get(s.apiKeyEnv());
            if (key == null || key.isBlank())
                throw new UserError(keyEnvWhere.get(name) + ": environment variable " + s.apiKeyEnv() + " (api_key_env of model '" + name + "') is not set");
        }
        return Backends.open(s, key);
    }

    /**
     * Opens an inline spec: {@code BACKEND:MODEL[@BASE_URL]}, e.g. {@code openai:qwen3-8b@http://127.0.0.1:8000/v1}
     * or {@code anthropic:claude-sonnet-4-5}. The key comes from OPENAI_API_KEY / ANTHROPIC_API_KEY when set.
     */
    public static ChatModel openSpec(String spec) { return openSpec(spec, System.getenv()); }

    static ChatModel openSpec(String spec, Map<String, String> env) {
        ModelSpec s = parseSpec(spec);
        return Backends.open(s, env.get(s.backend().defaultKeyEnv()));
    }

    /** Parses an inline spec into a {@link ModelSpec} with default limits and no prices. */
    public static ModelSpec parseSpec(String spec) {
        int colon = spec.indexOf(':');
        if (colon < 0) throw new UserError("model spec '" + spec + "': expected BACKEND:MODEL[@BASE_URL], e.g. openai:gpt-4o-mini@http://127.0.0.1:8000/v1");
        String b = spec.substring(0, colon);
        ModelSpec.Backend backend = ModelSpec.Backend.parse(b);
        if (backend == null) throw new UserError("model spec '" + spec + "': unknown backend '" + b + "'" + YMapReader.didYouMean(b, backendNames()) + " (one of " + String.join(", ", backendNames()) + ")");
        String rest = spec.substring(colon + 1);
        int at = rest.indexOf('@');
        String model = at < 0 ? rest : rest.substring(0, at);
        String url = at < 0 ? null : rest.substring(at + 1);
        if (model.isBlank()) throw new UserError("model spec '" + spec + "': the model name is empty");
        return new ModelSpec(spec, backend, model, url, null, ModelLimits.DEFAULT, ModelPrices.FREE, Map.of());
    }

    // ---------------------------------------------------------------- parsing

    /** One entry of {@code models:}; null when a field is wrong (the problem is recorded). */
    private static ModelSpec parseModel(YMapReader m, Map<String, String> keyWhere) {
        YamlProblems p = m.problems();
        String name = nonBlank(m, "name");
        String model = nonBlank(m, "model");
        String baseUrl = m.has("base_url") ? nonBlank(m, "base_url") : null;
        if (baseUrl != null && !baseUrl.isEmpty() && !baseUrl.startsWith("http://") && !baseUrl.startsWith("https://"))
            p.add(m.raw("base_url"), m.child("base_url") + ": expected an http:// or https:// URL, got '" + baseUrl + "'");
        else if (baseUrl != null && baseUrl.matches("^[a-z]+://[^/?#@]*@.*")) // the URL reaches distill.json, llm-usage.json, the journal and stdout
        { p.add(m.raw("base_url"), m.child("base_url") + ": must not carry credentials (user:password@host); name an environment variable holding the key with api_key_env"); baseUrl = null; }
        String keyEnv = m.has("api_key_env") ? nonBlank(m, "api_key_env") : null;
        if (keyEnv != null && !keyEnv.isEmpty()) {
            YNode v = m.raw("api_key_env");
            if (!keyEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) p.add(v, m.child("api_key_env") + ": expected the NAME of an environment variable (e.g. OPENAI_API_KEY), not a key");
            else if (!name.isEmpty()) keyWhere.put(name, p.file() + ":" + v.line() + ":" + v.column());
        }
        ModelSpec.Backend backend = null;
        if (m.has("backend")) {
            String b = m.asString(m.raw("backend"), m.child("backend"));
            backend = ModelSpec.Backend.parse(b);
            if (backend == null) p.add(m.raw("backend"), m.child("backend") + ": unknown backend '" + b + "'"
                    + YMapReader.didYouMean(b, backendNames()) + " (one of " + String.join(", ", backendNames()) + ")");
        } else {
            p.add(m.node(), m.path() + (name.isEmpty() ? "" : " (" + name + ")") + ": missing 'backend' (one of " + String.join(", ", backendNames()) + ")");
        }
        ModelLimits limits = m.has("limits") ? parseLimits(m.map("limits", false)) : ModelLimits.DEFAULT;
        ModelPrices prices = m.has("prices") ? parsePrices(m.map("prices", false)) : ModelPrices.FREE;
        Map<String, Object> params = Map.of();
        if (m.has("params")) {
            YNode v = m.raw("params");
            if (v instanceof YNode.Map) {
                @SuppressWarnings("unchecked") Map<String, Object> pm = (Map<String, Object>) plain(v);
                params = pm;
            } else {
                p.add(v, m.child("params") + ": expected a mapping (key: value lines), found " + v.kind());
            }
        }
        if (name.isEmpty() || model.isEmpty() || backend == null || limits == null || prices == null) return null;
        return new ModelSpec(name, backend, model, baseUrl, keyEnv, limits, prices, params);
    }

    private static String nonBlank(YMapReader m, String key) {
        if (!m.has(key)) {
            m.string(key); // records the missing field
            return "";
        }
        String s = m.asString(m.raw(key), m.child(key));
        if (s.isBlank()) m.problems().add(m.raw(key), m.child(key) + ": must not be empty");
        return s.trim();
    }

    /** null when a limit is invalid (recorded). */
    private static ModelLimits parseLimits(YMapReader r) {
        if (r == null) return null;
        ModelLimits l = ModelLimits.DEFAULT;
        boolean ok = true;
        for (String k : r.node().entries().keySet()) {
            if (!LIMIT_KEYS.contains(k)) continue; // finish() reports it
            YNode v = r.raw(k);
            try {
                l = switch (k) {
                    case "max_in_flight" -> l.withMaxInFlight((int) number(r, k));
                    case "requests_per_minute" -> l.withRequestsPerMinute((int) number(r, k));
                    case "tokens_per_minute" -> l.withTokensPerMinute((long) number(r, k));
                    case "timeout" -> l.withTimeout(duration(r, k));
                    default -> l.withMaxAttempts((int) number(r, k));
                };
            } catch (IllegalArgumentException e) {
                r.problems().add(v, r.child(k) + ": " + e.getMessage());
                ok = false;
            }
        }
        r.finish();
        return ok ? l : null;
    }

    private static ModelPrices parsePrices(YMapReader r) {
        if (r == null) return null;
        double in = r.optNumber("input", 0, 0, MAX_PRICE);
        double out = r.optNumber("output", 0, 0, MAX_PRICE);
        double cached = r.optNumber("cached_input", in, 0, MAX_PRICE);
        r.finish();
        return new ModelPrices(in, out, cached);
    }

    /** A number; an {@link IllegalArgumentException} naming the field when it is not one. */
    private static double number(YMapReader r, String key) {
        String s = r.asString(r.raw(key), r.child(key));
        try { return Double.parseDouble(s.replace("_", "")); }
        catch (NumberFormatException e) { throw new IllegalArgumentException("expected a number, got '" + s + "'"); }
    }

    /** "120s", "2m", "500ms", "1h", or a bare number of seconds. */
    private static Duration duration(YMapReader r, String key) {
        String s = r.asString(r.raw(key), r.child(key)).trim();
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) throw new IllegalArgumentException("expected a duration like 120s, 2m or 500ms, got '" + s + "'");
        double x = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long ms = Math.round(x * switch (unit) { case "ms" -> 1; case "s" -> 1000; case "m" -> 60_000; default -> 3_600_000; });
        return Duration.ofMillis(ms);
    }

    /** A YAML node as plain Java values (maps, lists, strings, longs, doubles, booleans, null), for {@code params}. */
    private static Object plain(YNode n) {
        return switch (n) {
            case YNode.Map m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.entries().forEach((k, v) -> out.put(k, plain(v)));
                yield out;
            }
            case YNode.Seq s -> {
                List<Object> out = new ArrayList<>();
                for (YNode x : s.items()) out.add(plain(x));
                yield out;
            }
            case YNode.Scalar s -> {
                String v = s.value();
                if (!s.plain()) yield v;
                if (v.equals("true") || v.equals("false")) yield Boolean.parseBoolean(v);
                if (s.isNull()) yield null;
                if (v.matches("-?\\d+")) yield Long.parseLong(v);
                if (v.matches("-?\\d*\\.\\d+([eE][-+]?\\d+)?")) yield Double.parseDouble(v);
                yield v;
            }
        };
    }

    private static List<String> backendNames() {
        List<String> l = new ArrayList<>();
        for (ModelSpec.Backend b : ModelSpec.Backend.values()) l.add(b.wire());
        return l;
    }
}
