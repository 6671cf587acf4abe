package dev.phronesis.data.scenario;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.yaml.YamlDocs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The design space of scenarios: axes and their values, constraints between values, which
 * combinations form a family and which families are held out, and the cue paraphrases that reveal
 * factor levels in text. Loaded from YAML by {@link #load(Path)} or {@link #resolve(String)} with
 * the same {@code file:line:col} error quality as constitutions.
 *
 * @param axes        in file order; {@code form} (advice, agentic) and {@code kind} are required
 * @param constraints combinations that never occur
 * @param families    which axes make a family, and the held-out / dev family patterns
 * @param cues        factor id -> level label -> paraphrases (train-reserved and held-out-reserved)
 * @param people      names (with pronouns) the realisers use for the person affected
 * @param hash        SHA-256 of the file text, recorded in every scenario's provenance
 */
public record Taxonomy(String id, String title, String source, List<Axis> axes, List<Constraint> constraints,
                       FamilyPolicy families, Map<String, Map<String, CuePool>> cues, List<Person> people, String hash) {

    public static final String FORM = "form";
    public static final String KIND = "kind";
    public static final List<String> BUILTINS = List.of("default");

    public Taxonomy {
        axes = List.copyOf(axes);
        constraints = List.copyOf(constraints);
        cues = ordered(cues);
        people = List.copyOf(people);
        Objects.requireNonNull(families, "families");
    }

    /**
     * One axis of the design space.
     *
     * @param factor the harm factor whose level this axis sets (values are level labels), or null
     */
    public record Axis(String id, String factor, List<AxisValue> values) {
        public Axis { values = List.copyOf(values); }

        public AxisValue value(String valueId) {
            for (AxisValue v : values) if (v.id().equals(valueId)) return v;
            throw new IllegalArgumentException("axis " + id + " has no value '" + valueId + "'");
        }

        public int indexOf(String valueId) {
            for (int i = 0; i < values.size(); i++) if (values.get(i).id().equals(valueId)) return i;
            return -1;
        }
    }

    /** What a calculator check on a sampled spec must find for a value of the {@code kind} axis. */
    public enum Expect { ANY, RESTRICTIVE, PERMISSIVE }

    /**
     * One value of an axis.
     *
     * @param where    {@code file:line:col} of its definition, for errors found later (against a constitution)
     * @param harm     harm factor id -> level label this value sets
     * @param benefits benefit id -> level label
     * @param mix      intent mix over the 1,000 senders (empty: leave to others / the constitution)
     * @param text     realiser phrase slots (situation, act, place, line, ...) -> paraphrases
     */
    public record AxisValue(String id, String where, Map<String, String> harm, Map<String, String> benefits,
                            Map<String, Integer> mix, Set<String> flags, Expect expect, Map<String, List<String>> text) {
        public AxisValue {
            harm = ordered(harm);
            benefits = ordered(benefits);
            mix = ordered(mix);
            flags = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(flags));
            text = ordered(text);
        }

        public List<String> phrases(String slot) { return text.getOrDefault(slot, List.of()); }
    }

    /** Any spec whose values match one listed value on every named axis is forbidden. */
    public record Constraint(Map<String, Set<String>> never, String where) {
        public Constraint { never = ordered(never); }

        /** True when every axis of the constraint is assigned in {@code row} and matches. */
        boolean violatedBy(Map<String, String> row) {
            for (var e : never.entrySet()) {
                String v = row.get(e.getKey());
                if (v == null || !e.getValue().contains(v)) return false;
            }
            return true;
        }
    }

    /**
     * Families are combinations of {@code axes}; patterns are values joined by '/', with '*' for any value.
     */
    public record FamilyPolicy(List<String> axes, List<String> heldout, List<String> dev) {
        public FamilyPolicy {
            axes = List.copyOf(axes);
            heldout = List.copyOf(heldout);
            dev = List.copyOf(dev);
        }

        public String familyOf(Map<String, String> row) {
            StringBuilder b = new StringBuilder();
            for (String a : axes) {
                if (!b.isEmpty()) b.append('/');
                b.append(row.get(a));
            }
            return b.toString();
        }

        public Split splitOf(String family) {
            for (String p : heldout) if (matches(p, family)) return Split.HELDOUT;
            for (String p : dev) if (matches(p, family)) return Split.DEV;
            return Split.TRAIN;
        }

        static boolean matches(String pattern, String family) {
            String[] p = pattern.split("/", -1);
            String[] f = family.split("/", -1);
            if (p.length != f.length) return false;
            for (int i = 0; i < p.length; i++) if (!p[i].equals("*") && !p[i].equals(f[i])) return false;
            return true;
        }
    }

    /** Paraphrases of a cue: {@code train} ones appear everywhere, {@code heldout} ones only in dev/held-out scenarios. */
    public record CuePool(List<String> train, List<String> heldout) {
        public CuePool {
            train = List.copyOf(train);
            heldout = List.copyOf(heldout);
        }
    }

    /** A person the scenario is about; {@code pronoun} is she or he. */
    public record Person(String name, String pronoun) {}

    /**
     * An unmodifiable copy that keeps file order. {@code Map.copyOf} iterates in an order that changes
     * from one JVM run to the next, and the sampler draws random numbers while iterating these maps,
     * so file order is what makes a seed reproduce the same scenarios in every process.
     */
    static <K, V> Map<K, V> ordered(Map<K, V> m) { return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m)); }

    public Axis axis(String axisId) {
        for (Axis a : axes) if (a.id().equals(axisId)) return a;
        return null;
    }

    /** Loads and validates a taxonomy file; every problem is reported as {@code file:line:col: message}. */
    public static Taxonomy load(Path file) {
        return TaxonomyLoader.parse(file.toString(), YamlDocs.read(file));
    }

    public static Taxonomy parse(String fileName, String text) { return TaxonomyLoader.parse(fileName, text); }

    public static Taxonomy builtin(String name) {
        String res = "/taxonomies/" + name + ".yaml";
        try (InputStream in = Taxonomy.class.getResourceAsStream(res)) {
            if (in == null) throw new UserError("no built-in taxonomy '" + name + "' (built in: " + BUILTINS + ")");
            return TaxonomyLoader.parse("builtin:" + name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UserError("cannot read built-in taxonomy " + name + ": " + e.getMessage());
        }
    }

    /** A CLI argument: {@code builtin:NAME} or a path to a YAML file. */
    public static Taxonomy resolve(String arg) {
        if (arg.startsWith("builtin:")) return builtin(arg.substring("builtin:".length()));
        return load(Path.of(arg));
    }

    /** Axis id -> value ids, in file order. */
    public Map<String, List<String>> valueIds() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (Axis a : axes) m.put(a.id(), a.values().stream().map(AxisValue::id).toList());
        return m;
    }
}
