package dev.phronesis.core.calculator;

import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.Constitution.Factor;
import dev.phronesis.core.yaml.YMapReader;
import dev.phronesis.core.yaml.YNode;
import dev.phronesis.core.yaml.YamlDocs;
import dev.phronesis.core.yaml.YamlProblems;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads assessments written by people: {@code k=v,...} on the command line, or a small YAML file. */
public final class AssessmentParser {
    private AssessmentParser() {}

    /** {@code probability=likely,severity=2,benefit.educational=high,intent.malicious=100,flag=mass_casualty_uplift}. */
    public static Assessment parseInline(Constitution c, String spec) {
        Map<String, Integer> harm = new HashMap<>();
        Map<String, Integer> benefits = new HashMap<>();
        Map<String, Integer> mix = new HashMap<>();
        Set<String> flags = new HashSet<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) continue;
            int eq = p.indexOf('=');
            if (eq <= 0) throw new UserError("--assess: '" + p + "' is not key=value");
            String k = p.substring(0, eq).trim();
            String v = p.substring(eq + 1).trim();
            if (k.equals("flag")) flags.add(v);
            else if (k.startsWith("intent.")) mix.put(k.substring(7), parseCount(k, v));
            else if (k.startsWith("benefit.")) benefits.put(k.substring(8), level(c.benefit(k.substring(8)), "benefit", k.substring(8), v, c.benefits(), "--assess"));
            else harm.put(k, level(c.harmFactor(k), "harm factor", k, v, c.harmFactors(), "--assess"));
        }
        return new Assessment(harm, benefits, mix, flags);
    }

    private static int parseCount(String k, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UserError("--assess: " + k + ": '" + v + "' is not a whole number of senders");
        }
    }

    private static int level(Optional<Factor> f, String noun, String id, String v, List<Factor> all, String where) {
        Factor factor = f.orElseThrow(() -> new UserError(where + ": unknown " + noun + " '" + id + "'"
                + YMapReader.didYouMean(id, all.stream().map(Factor::id).toList()) + "; known: " + all.stream().map(Factor::id).toList()));
        return factor.levelOf(v).orElseThrow(() -> new UserError(where + ": " + id + ": '" + v + "' is not a level (0.." + factor.maxLevel()
                + " or one of " + factor.levels().stream().map(Constitution.Level::label).toList() + ")"));
    }

    /** An assessment file: {@code harm: {factor: level}, benefits: {...}, intents: {...}, flags: [...]}. */
    public static Assessment load(Constitution c, Path file) {
        String name = file.toString();
        YNode root = YamlDocs.parse(name, YamlDocs.read(file));
        YamlProblems p = new YamlProblems(name);
        YMapReader r = YMapReader.of(p, root, "");
        Map<String, Integer> harm = new HashMap<>();
        Map<String, Integer> benefits = new HashMap<>();
        Map<String, Integer> mix = new HashMap<>();
        Set<String> flags = new HashSet<>();
        if (r != null) {
            levels(p, r.map("harm", false), c.harmFactors(), harm, "harm factor");
            levels(p, r.map("benefits", false), c.benefits(), benefits, "benefit");
            YMapReader im = r.map("intents", false);
            if (im != null) for (var e : im.node().entries().entrySet()) mix.put(e.getKey(), im.asInt(e.getValue(), im.child(e.getKey()), 0, 1000));
            flags.addAll(r.stringList("flags", false));
            r.finish();
        }
        p.throwIfAny("assessment");
        return new Assessment(harm, benefits, mix, flags);
    }

    private static void levels(YamlProblems p, YMapReader m, List<Factor> factors, Map<String, Integer> out, String noun) {
        if (m == null) return;
        for (var e : m.node().entries().entrySet()) {
            YNode keyNode = m.node().keys().get(e.getKey());
            Optional<Factor> f = factors.stream().filter(x -> x.id().equals(e.getKey())).findFirst();
            if (f.isEmpty()) {
                p.add(keyNode, m.child(e.getKey()) + ": unknown " + noun + " '" + e.getKey() + "'" + YMapReader.didYouMean(e.getKey(), factors.stream().map(Factor::id).toList()));
                continue;
            }
            String v = m.asString(e.getValue(), m.child(e.getKey()));
            Optional<Integer> lvl = f.get().levelOf(v);
            if (lvl.isEmpty()) p.add(e.getValue(), m.child(e.getKey()) + ": '" + v + "' is not a level (0.." + f.get().maxLevel() + " or a label)");
            else out.put(e.getKey(), lvl.get());
        }
    }
}
