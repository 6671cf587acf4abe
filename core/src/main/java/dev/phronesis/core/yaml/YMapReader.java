package dev.phronesis.core.yaml;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads the fields of one YAML mapping while collecting problems instead of throwing, so a loader
 * can report every mistake in a file at once. Each getter records a problem (with the YAML path and
 * position) and returns a neutral value when the field is missing or malformed; {@link #finish()}
 * reports keys nobody asked for, with a "did you mean" hint.
 *
 * <p>Used for every YAML format Phronesis reads (constitutions, taxonomies, experiments, suites).
 */
public final class YMapReader {
    public static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_.-]*");

    private final YamlProblems problems;
    private final YNode.Map map;
    private final String path;
    private final Set<String> known = new LinkedHashSet<>();

    private YMapReader(YamlProblems problems, YNode.Map map, String path) {
        this.problems = problems;
        this.map = map;
        this.path = path;
    }

    /** A reader over {@code node}, or null (with a problem recorded) when it is not a mapping. */
    public static YMapReader of(YamlProblems problems, YNode node, String path) {
        if (node instanceof YNode.Map m) return new YMapReader(problems, m, path);
        problems.add(node, where(path) + "expected a mapping, found " + YNode.describe(node));
        return null;
    }

    public YNode.Map node() { return map; }
    public String path() { return path; }
    public YamlProblems problems() { return problems; }

    private static String where(String path) { return path.isEmpty() ? "" : path + ": "; }

    public String child(String key) { return path.isEmpty() ? key : path + "." + key; }

    public boolean has(String key) {
        known.add(key);
        YNode v = map.entries().get(key);
        return v != null && !(v instanceof YNode.Scalar s && s.isNull());
    }

    public YNode raw(String key) {
        known.add(key);
        return map.entries().get(key);
    }

    private YNode require(String key) {
        known.add(key);
        YNode v = map.entries().get(key);
        if (v == null || v instanceof YNode.Scalar s && s.isNull()) {
            problems.add(map, where(path) + "missing required field '" + key + "'");
            return null;
        }
        return v;
    }

    public String string(String key) {
        YNode v = require(key);
        return v == null ? "" : asString(v, child(key));
    }

    public String optString(String key, String dflt) {
        return has(key) ? asString(map.entries().get(key), child(key)) : dflt;
    }

    public String id(String key) {
        String s = string(key);
        if (!s.isEmpty() && !ID.matcher(s).matches()) {
            problems.add(map.entries().get(key), child(key) + ": '" + s + "' is not a valid id (use lower-case letters, digits, '-', '_' or '.')");
        }
        return s;
    }

    public String asString(YNode v, String at) {
        if (v instanceof YNode.Scalar s) return s.value();
        problems.add(v, at + ": expected text, found " + v.kind());
        return "";
    }

    public double number(String key, double min, double max) {
        YNode v = require(key);
        return v == null ? min : asNumber(v, child(key), min, max);
    }

    public double optNumber(String key, double dflt, double min, double max) {
        return has(key) ? asNumber(map.entries().get(key), child(key), min, max) : dflt;
    }

    public double asNumber(YNode v, String at, double min, double max) {
        if (!(v instanceof YNode.Scalar s)) {
            problems.add(v, at + ": expected a number, found " + v.kind());
            return min;
        }
        double d;
        try {
            d = Double.parseDouble(s.value().trim().replace("_", ""));
        } catch (NumberFormatException e) {
            problems.add(v, at + ": expected a number, found '" + s.value() + "'");
            return min;
        }
        if (!Double.isFinite(d) || d < min || d > max) {
            problems.add(v, at + ": " + s.value() + " is out of range [" + fmt(min) + ", " + fmt(max) + "]");
            return Math.max(min, Math.min(max, Double.isFinite(d) ? d : min));
        }
        return d;
    }

    public int integer(String key, int min, int max) {
        YNode v = require(key);
        return v == null ? min : asInt(v, child(key), min, max);
    }

    public int optInt(String key, int dflt, int min, int max) {
        return has(key) ? asInt(map.entries().get(key), child(key), min, max) : dflt;
    }

    public int asInt(YNode v, String at, int min, int max) {
        if (!(v instanceof YNode.Scalar s)) {
            problems.add(v, at + ": expected a whole number, found " + v.kind());
            return min;
        }
        long d;
        try {
            d = Long.parseLong(s.value().trim().replace("_", ""));
        } catch (NumberFormatException e) {
            problems.add(v, at + ": expected a whole number, found '" + s.value() + "'");
            return min;
        }
        if (d < min || d > max) {
            problems.add(v, at + ": " + d + " is out of range [" + min + ", " + max + "]");
            return (int) Math.max(min, Math.min(max, d));
        }
        return (int) d;
    }

    public boolean optBool(String key, boolean dflt) {
        if (!has(key)) return dflt;
        YNode v = map.entries().get(key);
        if (v instanceof YNode.Scalar s) {
            switch (s.value().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> { return true; }
                case "false", "no", "off" -> { return false; }
                default -> { }
            }
        }
        problems.add(v, child(key) + ": expected true or false");
        return dflt;
    }

    public <E extends Enum<E>> E optEnum(String key, Class<E> type, E dflt) {
        if (!has(key)) return dflt;
        YNode v = map.entries().get(key);
        String s = asString(v, child(key)).trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) if (e.name().equals(s)) return e;
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        problems.add(v, child(key) + ": '" + asString(v, child(key)) + "' is not one of " + names + didYouMean(asString(v, ""), names));
        return dflt;
    }

    /** The items of a list field; empty (with a problem) when missing and {@code required}. */
    public List<YNode> list(String key, boolean required) {
        YNode v = required ? require(key) : (has(key) ? map.entries().get(key) : null);
        if (v == null) return List.of();
        if (v instanceof YNode.Seq s) return s.items();
        problems.add(v, child(key) + ": expected a list, found " + v.kind());
        return List.of();
    }

    public List<String> stringList(String key, boolean required) {
        List<String> out = new ArrayList<>();
        List<YNode> items = list(key, required);
        for (int i = 0; i < items.size(); i++) out.add(asString(items.get(i), child(key) + "[" + i + "]"));
        return out;
    }

    /** A nested mapping field as a reader, or null (problem recorded if required). */
    public YMapReader map(String key, boolean required) {
        YNode v = required ? require(key) : (has(key) ? map.entries().get(key) : null);
        if (v == null) return null;
        return of(problems, v, child(key));
    }

    /** Reads each item of a list of mappings with {@code fn}, skipping items that are not mappings. */
    public <T> List<T> mapList(String key, boolean required, Function<YMapReader, T> fn) {
        List<T> out = new ArrayList<>();
        List<YNode> items = list(key, required);
        for (int i = 0; i < items.size(); i++) {
            YMapReader r = of(problems, items.get(i), child(key) + "[" + i + "]");
            if (r == null) continue;
            T t = fn.apply(r);
            r.finish();
            if (t != null) out.add(t);
        }
        return out;
    }

    /** Reports every key in this mapping that no getter asked for. Call after reading all fields. */
    public void finish() {
        for (var e : map.keys().entrySet()) {
            if (!known.contains(e.getKey())) {
                problems.add(e.getValue(), where(path) + "unknown key '" + e.getKey() + "'" + didYouMean(e.getKey(), known));
            }
        }
    }

    public Optional<YNode> position(String key) { return Optional.ofNullable(map.keys().get(key)); }

    /** " (did you mean 'x'?)" for the closest candidate within a small edit distance, else "". */
    public static String didYouMean(String word, Collection<String> candidates) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = editDistance(word.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
            if (d < bestD) { bestD = d; best = c; }
        }
        if (best == null) return "";
        int allowed = Math.max(2, word.length() / 3);
        return bestD <= allowed ? " (did you mean '" + best + "'?)" : "";
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }

    static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
