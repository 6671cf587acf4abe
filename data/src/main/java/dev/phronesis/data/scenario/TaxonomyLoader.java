package dev.phronesis.data.scenario;

import dev.phronesis.core.yaml.YMapReader;
import dev.phronesis.core.yaml.YNode;
import dev.phronesis.core.yaml.YamlDocs;
import dev.phronesis.core.yaml.YamlProblems;
import dev.phronesis.data.scenario.Taxonomy.Axis;
import dev.phronesis.data.scenario.Taxonomy.AxisValue;
import dev.phronesis.data.scenario.Taxonomy.Constraint;
import dev.phronesis.data.scenario.Taxonomy.CuePool;
import dev.phronesis.data.scenario.Taxonomy.Expect;
import dev.phronesis.data.scenario.Taxonomy.FamilyPolicy;
import dev.phronesis.data.scenario.Taxonomy.Person;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads a taxonomy YAML file, collecting every problem before refusing it. */
final class TaxonomyLoader {
    /** The intent mix is over the 1,000-users test's population. */
    private static final int POPULATION = 1000;
    private static final Set<String> FORMS = Set.of("advice", "agentic");

    private TaxonomyLoader() {}

    static Taxonomy parse(String file, String text) {
        YamlProblems problems = new YamlProblems(file);
        YNode root = YamlDocs.parse(file, text);
        if (root == null) {
            problems.add(0, 0, "empty file");
            problems.throwIfAny("taxonomy");
        }
        YMapReader r = YMapReader.of(problems, root, "");
        if (r == null) {
            problems.throwIfAny("taxonomy");
            throw new AssertionError();
        }
        String id = r.id("id");
        String title = r.optString("title", id);
        List<Axis> axes = r.mapList("axes", true, a -> axis(a, file));
        Map<String, Axis> byId = new LinkedHashMap<>();
        List<YNode> axisNodes = r.list("axes", true);
        for (int i = 0; i < axes.size(); i++) {
            Axis a = axes.get(i);
            if (byId.putIfAbsent(a.id(), a) != null) {
                problems.add(i < axisNodes.size() ? axisNodes.get(i) : r.node(), "axes[" + i + "]: duplicate axis '" + a.id() + "'");
            }
        }
        requireAxis(problems, r, byId, Taxonomy.FORM);
        requireAxis(problems, r, byId, Taxonomy.KIND);
        Axis form = byId.get(Taxonomy.FORM);
        if (form != null) {
            for (AxisValue v : form.values()) {
                if (!FORMS.contains(v.id())) problems.add(pos(v), "axis form: value '" + v.id() + "' is not one of " + FORMS);
            }
        }
        List<Constraint> constraints = r.mapList("constraints", false, c -> constraint(c, byId, file));
        FamilyPolicy families = families(r.map("families", true), byId);
        Map<String, Map<String, CuePool>> cues = cues(r.map("cues", false));
        List<Person> people = r.mapList("people", true, TaxonomyLoader::person);
        if (people.isEmpty() && r.has("people")) problems.add(r.raw("people"), "people: list at least one person");
        r.finish();
        problems.throwIfAny("taxonomy");
        return new Taxonomy(id, title, file, axes, constraints, families, cues, people, dev.phronesis.core.Hashes.sha256(text));
    }

    private static void requireAxis(YamlProblems problems, YMapReader r, Map<String, Axis> byId, String name) {
        if (!byId.containsKey(name) && r.has("axes")) {
            problems.add(r.raw("axes"), "axes: the axis '" + name + "' is required");
        }
    }


    private static YNode pos(AxisValue v) {
        // where = file:line:col; rebuild a node carrying the position for YamlProblems
        String[] parts = v.where().split(":");
        int n = parts.length;
        try {
            return new YNode.Scalar("", true, Integer.parseInt(parts[n - 2]), Integer.parseInt(parts[n - 1]));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Axis axis(YMapReader a, String file) {
        String id = a.id("id");
        String factor = a.has("factor") ? a.id("factor") : null;
        List<AxisValue> values = new ArrayList<>();
        List<YNode> items = a.list("values", true);
        Set<String> seen = new LinkedHashSet<>();
        if (items.isEmpty() && a.has("values")) a.problems().add(a.raw("values"), a.child("values") + ": an axis needs at least one value");
        for (int i = 0; i < items.size(); i++) {
            YNode item = items.get(i);
            String at = a.child("values") + "[" + i + "]";
            AxisValue v = value(a.problems(), item, at, file, id, factor);
            if (v == null) continue;
            if (!seen.add(v.id())) {
                a.problems().add(item, at + ": duplicate value '" + v.id() + "' in axis " + id);
                continue;
            }
            values.add(v);
        }
        return new Axis(id, factor, values);
    }

    private static AxisValue value(YamlProblems problems, YNode item, String at, String file, String axis, String factor) {
        String where = file + ":" + item.line() + ":" + item.column();
        if (item instanceof YNode.Scalar s) {
            String vid = s.value().trim();
            if (!YMapReader.ID.matcher(vid).matches()) {
                problems.add(item, at + ": '" + vid + "' is not a valid id (use lower-case letters, digits, '-', '_' or '.')");
                return null;
            }
            Map<String, String> harm = factor == null ? Map.of() : Map.of(factor, vid);
            return new AxisValue(vid, where, harm, Map.of(), Map.of(), Set.of(), Expect.ANY, Map.of());
        }
        YMapReader v = YMapReader.of(problems, item, at);
        if (v == null) return null;
        String vid = v.id("id");
        Map<String, String> harm = new LinkedHashMap<>(labels(v.map("harm", false)));
        if (factor != null) harm.put(factor, vid);
        Map<String, String> benefits = labels(v.map("benefits", false));
        Map<String, Integer> mix = new LinkedHashMap<>();
        YMapReader m = v.map("mix", false);
        if (m != null) {
            int total = 0;
            for (String k : m.node().entries().keySet()) {
                int n = m.integer(k, 0, POPULATION);
                mix.put(k, n);
                total += n;
            }
            if (total != POPULATION) problems.add(m.node(), m.path() + ": the intent mix must add up to " + POPULATION + " senders, found " + total);
        }
        Set<String> flags = new LinkedHashSet<>(v.stringList("flags", false));
        Expect expect = v.optEnum("expect", Expect.class, Expect.ANY);
        Map<String, List<String>> text = new LinkedHashMap<>();
        YMapReader t = v.map("text", false);
        if (t != null) {
            for (var e : t.node().entries().entrySet()) {
                List<String> phrases = new ArrayList<>();
                if (e.getValue() instanceof YNode.Scalar) phrases.add(t.string(e.getKey()));
                else phrases.addAll(t.stringList(e.getKey(), true));
                if (phrases.isEmpty()) problems.add(e.getValue(), t.child(e.getKey()) + ": list at least one phrase");
                for (int i = 0; i < phrases.size(); i++) {
                    if (phrases.get(i).isBlank()) problems.add(e.getValue(), t.child(e.getKey()) + "[" + i + "]: empty phrase");
                    checkSlots(problems, item(e.getValue(), i), t.child(e.getKey()) + "[" + i + "]", phrases.get(i));
                }
                text.put(e.getKey(), phrases);
            }
        }
        v.finish();
        return new AxisValue(vid, where, harm, benefits, mix, flags, expect, text);
    }

    private static Map<String, String> labels(YMapReader m) {
        Map<String, String> out = new LinkedHashMap<>();
        if (m == null) return out;
        for (String k : m.node().entries().keySet()) out.put(k, m.string(k));
        return out;
    }

    private static Constraint constraint(YMapReader c, Map<String, Axis> axes, String file) {
        YMapReader never = c.map("never", true);
        if (never == null) return null;
        Map<String, Set<String>> m = new LinkedHashMap<>();
        for (var e : never.node().entries().entrySet()) {
            String axis = e.getKey();
            Axis a = axes.get(axis);
            if (a == null) {
                c.problems().add(never.node().keys().get(axis), never.child(axis) + ": unknown axis '" + axis + "'"
                        + YMapReader.didYouMean(axis, axes.keySet()));
                never.raw(axis);
                continue;
            }
            List<String> vals = e.getValue() instanceof YNode.Scalar ? List.of(never.string(axis)) : never.stringList(axis, true);
            for (String val : vals) {
                if (a.indexOf(val) < 0) {
                    List<String> known = a.values().stream().map(AxisValue::id).toList();
                    c.problems().add(e.getValue(), never.child(axis) + ": axis " + axis + " has no value '" + val + "'"
                            + YMapReader.didYouMean(val, known) + "; values are " + known);
                }
            }
            m.put(axis, new LinkedHashSet<>(vals));
        }
        if (m.size() < 2 && !never.node().entries().isEmpty()) {
            c.problems().add(never.node(), never.path() + ": a constraint names at least two axes");
        }
        return new Constraint(m, file + ":" + never.node().line() + ":" + never.node().column());
    }

    private static FamilyPolicy families(YMapReader f, Map<String, Axis> axes) {
        if (f == null) return new FamilyPolicy(List.of(), List.of(), List.of());
        List<String> famAxes = f.stringList("axes", true);
        List<YNode> axisNodes = f.list("axes", true);
        for (int i = 0; i < famAxes.size(); i++) {
            if (!axes.containsKey(famAxes.get(i))) {
                f.problems().add(axisNodes.get(i), f.child("axes") + "[" + i + "]: unknown axis '" + famAxes.get(i) + "'"
                        + YMapReader.didYouMean(famAxes.get(i), axes.keySet()));
            }
        }
        if (famAxes.isEmpty() && f.has("axes")) f.problems().add(f.raw("axes"), f.child("axes") + ": name at least one axis");
        List<String> heldout = patterns(f, "heldout", famAxes, axes);
        List<String> dev = patterns(f, "dev", famAxes, axes);
        f.finish();
        return new FamilyPolicy(famAxes, heldout, dev);
    }

    private static List<String> patterns(YMapReader f, String key, List<String> famAxes, Map<String, Axis> axes) {
        List<String> pats = f.stringList(key, false);
        List<YNode> nodes = f.list(key, false);
        for (int i = 0; i < pats.size(); i++) {
            String[] parts = pats.get(i).split("/", -1);
            String at = f.child(key) + "[" + i + "]";
            if (parts.length != famAxes.size()) {
                f.problems().add(nodes.get(i), at + ": '" + pats.get(i) + "' needs " + famAxes.size() + " parts separated by '/' (" + String.join("/", famAxes) + ")");
                continue;
            }
            for (int k = 0; k < parts.length; k++) {
                Axis a = axes.get(famAxes.get(k));
                if (a == null || parts[k].equals("*")) continue;
                if (a.indexOf(parts[k]) < 0) {
                    List<String> known = a.values().stream().map(AxisValue::id).toList();
                    f.problems().add(nodes.get(i), at + ": axis " + a.id() + " has no value '" + parts[k] + "'" + YMapReader.didYouMean(parts[k], known));
                }
            }
        }
        return pats;
    }

    private static Map<String, Map<String, CuePool>> cues(YMapReader c) {
        Map<String, Map<String, CuePool>> out = new LinkedHashMap<>();
        if (c == null) return out;
        for (String factor : c.node().entries().keySet()) {
            YMapReader levels = c.map(factor, true);
            if (levels == null) continue;
            Map<String, CuePool> byLevel = new LinkedHashMap<>();
            for (String level : levels.node().entries().keySet()) {
                YMapReader pool = levels.map(level, true);
                if (pool == null) continue;
                List<String> train = pool.stringList("train", true);
                List<String> held = pool.stringList("heldout", false);
                if (train.isEmpty() && pool.has("train")) pool.problems().add(pool.raw("train"), pool.child("train") + ": list at least one paraphrase");
                for (int i = 0; i < train.size(); i++) checkSlots(pool.problems(), item(pool.raw("train"), i), pool.child("train") + "[" + i + "]", train.get(i));
                for (int i = 0; i < held.size(); i++) checkSlots(pool.problems(), item(pool.raw("heldout"), i), pool.child("heldout") + "[" + i + "]", held.get(i));
                pool.finish();
                byLevel.put(level, new CuePool(train, held));
            }
            out.put(factor, Taxonomy.ordered(byLevel));
        }
        return out;
    }

    private static final java.util.regex.Pattern SLOT = java.util.regex.Pattern.compile("\\{[A-Za-z_]+}");

    /** A phrase's braces must all be slots like {@code {name}}: an unclosed {@code {name,} would be copied into every scenario. */
    static void checkSlots(YamlProblems problems, YNode at, String path, String phrase) {
        String rest = SLOT.matcher(phrase).replaceAll("");
        if (rest.indexOf('{') >= 0 || rest.indexOf('}') >= 0)
            problems.add(at, path + ": '" + phrase + "' has an unclosed or stray brace (slots look like {name})");
    }

    private static YNode item(YNode list, int i) {
        return list instanceof YNode.Seq s && i < s.items().size() ? s.items().get(i) : list;
    }

    private static Person person(YMapReader p) {
        String name = p.string("name");
        String pronoun = p.string("pronoun");
        if (!pronoun.equals("she") && !pronoun.equals("he")) {
            p.problems().add(p.raw("pronoun"), p.child("pronoun") + ": '" + pronoun + "' is not one of [she, he]");
        }
        return new Person(name, pronoun);
    }

}
