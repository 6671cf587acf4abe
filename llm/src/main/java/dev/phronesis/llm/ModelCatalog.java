package dev.phronesis.llm;

import dev.phronesis.core.UserError;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
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
 * Errors name {@code file:line:col}; unknown keys are errors with a did-you-mean.
 */
public final class ModelCatalog {
    private static final Set<String> MODEL_KEYS = Set.of("name", "backend", "model", "base_url", "api_key_env", "limits", "prices", "params");
    private static final Set<String> LIMIT_KEYS = Set.of("max_in_flight", "requests_per_minute", "tokens_per_minute", "timeout", "max_attempts");
    private static final Set<String> PRICE_KEYS = Set.of("input", "output", "cached_input");
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
        Node root;
        try (Reader r = Files.newBufferedReader(modelsYaml)) {
            root = new Yaml(new LoaderOptions()).compose(r);
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark();
            throw new UserError(where + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1) + ": invalid YAML: " + e.getProblem());
        } catch (IOException e) {
            throw new UserError(where + ": cannot read: " + e.getMessage());
        }
        if (root == null) throw new UserError(where + ":1:1: empty model catalog; expected 'models:' with a list of models");
        MappingNode top = mapping(where, root, "the top level");
        Map<String, ModelSpec> specs = new LinkedHashMap<>();
        Map<String, String> keyWhere = new LinkedHashMap<>();
        for (NodeTuple t : top.getValue()) {
            String key = scalar(where, t.getKeyNode(), "key");
            if (!key.equals("models")) throw unknown(where, t.getKeyNode(), key, Set.of("models"), "the top level");
            if (!(t.getValueNode() instanceof SequenceNode seq)) throw err(where, t.getValueNode(), "'models' must be a list of models");
            int i = 0;
            for (Node n : seq.getValue()) {
                String path = "models[" + i++ + "]";
                ModelSpec spec = parseModel(where, n, path, keyWhere);
                if (specs.containsKey(spec.name())) throw err(where, n, path + ".name: duplicate model name '" + spec.name() + "'");
                specs.put(spec.name(), spec);
            }
        }
        return new ModelCatalog(modelsYaml, specs, keyWhere, Map.copyOf(env));
    }

    /** The configured model names, in file order. */
    public List<String> names() { return List.copyOf(specs.keySet()); }

    /** The spec of a configured model. */
    public ModelSpec spec(String name) {
        ModelSpec s = specs.get(name);
        if (s == null) throw new UserError(file + ": no model named '" + name + "'" + didYouMean(name, specs.keySet())
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
        if (backend == null) throw new UserError("model spec '" + spec + "': unknown backend '" + b + "'" + didYouMean(b, backendNames()) + " (one of " + String.join(", ", backendNames()) + ")");
        String rest = spec.substring(colon + 1);
        int at = rest.indexOf('@');
        String model = at < 0 ? rest : rest.substring(0, at);
        String url = at < 0 ? null : rest.substring(at + 1);
        if (model.isBlank()) throw new UserError("model spec '" + spec + "': the model name is empty");
        return new ModelSpec(spec, backend, model, url, null, ModelLimits.DEFAULT, ModelPrices.FREE, Map.of());
    }

    // ---------------------------------------------------------------- parsing

    private static ModelSpec parseModel(String where, Node n, String path, Map<String, String> keyWhere) {
        MappingNode m = mapping(where, n, path);
        String name = null, model = null, baseUrl = null, keyEnv = null, keyEnvAt = null;
        ModelSpec.Backend backend = null;
        ModelLimits limits = ModelLimits.DEFAULT;
        ModelPrices prices = ModelPrices.FREE;
        Map<String, Object> params = Map.of();
        for (NodeTuple t : m.getValue()) {
            String k = scalar(where, t.getKeyNode(), path + " key");
            Node v = t.getValueNode();
            String field = path + "." + k;
            switch (k) {
                case "name" -> name = nonBlank(where, v, field);
                case "model" -> model = nonBlank(where, v, field);
                case "base_url" -> {
                    baseUrl = nonBlank(where, v, field);
                    if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) throw err(where, v, field + ": expected an http:// or https:// URL, got '" + baseUrl + "'");
                    if (baseUrl.matches("^[a-z]+://[^/?#@]*@.*")) throw err(where, v, field + ": must not carry credentials (user:password@host); name an environment variable holding the key with api_key_env");
                }
                case "api_key_env" -> {
                    keyEnv = nonBlank(where, v, field);
                    if (!keyEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) throw err(where, v, field + ": expected the NAME of an environment variable (e.g. OPENAI_API_KEY), not a key");
                    keyEnvAt = where + ":" + (v.getStartMark().getLine() + 1) + ":" + (v.getStartMark().getColumn() + 1);
                }
                case "backend" -> {
                    String b = scalar(where, v, field);
                    backend = ModelSpec.Backend.parse(b);
                    if (backend == null) throw err(where, v, field + ": unknown backend '" + b + "'" + didYouMean(b, backendNames()) + " (one of " + String.join(", ", backendNames()) + ")");
                }
                case "limits" -> limits = parseLimits(where, v, field);
                case "prices" -> prices = parsePrices(where, v, field);
                case "params" -> params = plainMap(where, v, field);
                default -> throw unknown(where, t.getKeyNode(), k, MODEL_KEYS, path);
            }
        }
        if (name == null) throw err(where, n, path + ": missing 'name'");
        if (backend == null) throw err(where, n, path + " (" + name + "): missing 'backend' (one of " + String.join(", ", backendNames()) + ")");
        if (model == null) throw err(where, n, path + " (" + name + "): missing 'model'");
        if (keyEnvAt != null) keyWhere.put(name, keyEnvAt);
        return new ModelSpec(name, backend, model, baseUrl, keyEnv, limits, prices, params);
    }

    private static ModelLimits parseLimits(String where, Node n, String path) {
        ModelLimits l = ModelLimits.DEFAULT;
        for (NodeTuple t : mapping(where, n, path).getValue()) {
            String k = scalar(where, t.getKeyNode(), path + " key");
            Node v = t.getValueNode();
            String field = path + "." + k;
            try {
                l = switch (k) {
                    case "max_in_flight" -> l.withMaxInFlight((int) number(where, v, field));
                    case "requests_per_minute" -> l.withRequestsPerMinute((int) number(where, v, field));
                    case "tokens_per_minute" -> l.withTokensPerMinute((long) number(where, v, field));
                    case "timeout" -> l.withTimeout(duration(where, v, field));
                    case "max_attempts" -> l.withMaxAttempts((int) number(where, v, field));
                    default -> throw unknown(where, t.getKeyNode(), k, LIMIT_KEYS, path);
                };
            } catch (IllegalArgumentException e) {
                throw err(where, v, field + ": " + e.getMessage());
            }
        }
        return l;
    }

    private static ModelPrices parsePrices(String where, Node n, String path) {
        double in = 0, out = 0, cached = -1;
        for (NodeTuple t : mapping(where, n, path).getValue()) {
            String k = scalar(where, t.getKeyNode(), path + " key");
            Node v = t.getValueNode();
            double x = number(where, v, path + "." + k);
            if (x < 0) throw err(where, v, path + "." + k + ": a price must be >= 0 (USD per million tokens), got " + x);
            switch (k) {
                case "input" -> in = x;
                case "output" -> out = x;
                case "cached_input" -> cached = x;
                default -> throw unknown(where, t.getKeyNode(), k, PRICE_KEYS, path);
            }
        }
        return new ModelPrices(in, out, cached < 0 ? in : cached);
    }

    private static Map<String, Object> plainMap(String where, Node n, String path) {
        mapping(where, n, path);
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) toPlain(where, n);
        return m;
    }

    /** YAML node to plain Java values (maps, lists, strings, longs, doubles, booleans, null). */
    private static Object toPlain(String where, Node n) {
        return switch (n) {
            case MappingNode m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                for (NodeTuple t : m.getValue()) out.put(scalar(where, t.getKeyNode(), "key"), toPlain(where, t.getValueNode()));
                yield out;
            }
            case SequenceNode s -> {
                List<Object> out = new ArrayList<>();
                for (Node x : s.getValue()) out.add(toPlain(where, x));
                yield out;
            }
            case ScalarNode s -> {
                String v = s.getValue();
                if (s.getScalarStyle() != org.yaml.snakeyaml.DumperOptions.ScalarStyle.PLAIN) yield v;
                if (v.equals("true") || v.equals("false")) yield Boolean.parseBoolean(v);
                if (v.equals("null") || v.equals("~") || v.isEmpty()) yield null;
                if (v.matches("-?\\d+")) yield Long.parseLong(v);
                if (v.matches("-?\\d*\\.\\d+([eE][-+]?\\d+)?")) yield Double.parseDouble(v);
                yield v;
            }
            default -> throw err(where, n, "unsupported YAML node");
        };
    }

    private static MappingNode mapping(String where, Node n, String what) {
        if (n instanceof MappingNode m) return m;
        throw err(where, n, what + ": expected a mapping (key: value lines)");
    }

    private static String scalar(String where, Node n, String what) {
        if (n instanceof ScalarNode s) return s.getValue();
        throw err(where, n, what + ": expected a single value");
    }

    private static String nonBlank(String where, Node n, String what) {
        String s = scalar(where, n, what);
        if (s.isBlank()) throw err(where, n, what + ": must not be empty");
        return s.trim();
    }

    private static double number(String where, Node n, String what) {
        String s = scalar(where, n, what);
        try { return Double.parseDouble(s.replace("_", "")); }
        catch (NumberFormatException e) { throw err(where, n, what + ": expected a number, got '" + s + "'"); }
    }

    /** "120s", "2m", "500ms", "1h", or a bare number of seconds. */
    static Duration duration(String where, Node n, String what) {
        String s = scalar(where, n, what).trim();
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) throw err(where, n, what + ": expected a duration like 120s, 2m or 500ms, got '" + s + "'");
        double x = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long ms = Math.round(x * switch (unit) { case "ms" -> 1; case "s" -> 1000; case "m" -> 60_000; default -> 3_600_000; });
        return Duration.ofMillis(ms);
    }

    private static UserError err(String where, Node n, String msg) {
        Mark m = n.getStartMark();
        return new UserError(where + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1) + ": " + msg);
    }

    private static UserError unknown(String where, Node n, String key, Set<String> allowed, String path) {
        return err(where, n, "unknown key '" + key + "' in " + path + didYouMean(key, allowed) + " (allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
    }

    private static List<String> backendNames() {
        List<String> l = new ArrayList<>();
        for (ModelSpec.Backend b : ModelSpec.Backend.values()) l.add(b.wire());
        return l;
    }

    static String didYouMean(String word, java.util.Collection<String> options) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String o : options) {
            int d = editDistance(word, o);
            if (d < bestD) { bestD = d; best = o; }
        }
        return best != null && bestD <= Math.max(2, word.length() / 3) ? "; did you mean '" + best + "'?" : "";
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
