package dev.phronesis.core.constitution;

import dev.phronesis.core.Hashes;
import dev.phronesis.core.Json;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution.Condition;
import dev.phronesis.core.constitution.Constitution.DecisionPolicy;
import dev.phronesis.core.constitution.Constitution.Direction;
import dev.phronesis.core.constitution.Constitution.Factor;
import dev.phronesis.core.constitution.Constitution.Guidance;
import dev.phronesis.core.constitution.Constitution.HardConstraint;
import dev.phronesis.core.constitution.Constitution.Heuristic;
import dev.phronesis.core.constitution.Constitution.Intent;
import dev.phronesis.core.constitution.Constitution.Level;
import dev.phronesis.core.constitution.Constitution.Mode;
import dev.phronesis.core.constitution.Constitution.Population;
import dev.phronesis.core.constitution.Constitution.Principle;
import dev.phronesis.core.constitution.Constitution.Rule;
import dev.phronesis.core.yaml.YMapReader;
import dev.phronesis.core.yaml.YNode;
import dev.phronesis.core.yaml.YamlDocs;
import dev.phronesis.core.yaml.YamlProblems;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Loads a constitution YAML file and validates all of it, reporting every problem as
 * {@code file:line:col: message}. Never half-loads: either a complete, consistent
 * {@link Constitution} comes back or a {@link UserError} listing the problems is thrown.
 */
public final class ConstitutionLoader {
    /** The eight harm factors the method weighs; a constitution must define all of them (it may add more). */
    public static final List<String> REQUIRED_HARM_FACTORS = List.of(
            "probability", "counterfactual", "severity", "breadth", "proximate", "consent", "responsibility", "vulnerability");
    /** The heuristics every deliberation walks through. */
    public static final List<String> REQUIRED_HEURISTICS = List.of("thousand-users", "dual-newspaper", "senior-expert");
    /** Size of the population in the 1,000-users test. */
    public static final int POPULATION_SIZE = 1000;
    public static final String MISUSE_SHARE = "misuse_share";
    private static final int MAX_LEVELS = 10;
    private static final double MAX_WEIGHT = 1000;
    private static final double MAX_SCORE = 1e6;


    private ConstitutionLoader() {}

    public static Constitution load(Path file) {
        return parse(file.toString(), YamlDocs.read(file));
    }

    /** Loads one of the constitutions shipped with Phronesis: {@code general}, {@code health}, {@code finance}. */
    public static Constitution builtin(String name) {
        String res = "/constitutions/" + name + ".yaml";
        try (InputStream in = ConstitutionLoader.class.getResourceAsStream(res)) {
            if (in == null) throw new UserError("no built-in constitution '" + name + "' (built in: " + BUILTINS + ")");
            return parse("builtin:" + name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UserError("cannot read built-in constitution " + name + ": " + e.getMessage());
        }
    }

    public static final List<String> BUILTINS = List.of("general", "health", "finance");

    /** Resolves a CLI argument: a path to a YAML file, or {@code builtin:NAME}. */
    public static Constitution resolve(String arg) {
        if (arg.startsWith("builtin:")) return builtin(arg.substring("builtin:".length()));
        return load(Path.of(arg));
    }

    public static Constitution parse(String fileName, String text) {
        YamlProblems p = new YamlProblems(fileName);
        YNode root = YamlDocs.parse(fileName, text);
        if (root == null) throw new UserError(fileName + ": empty file; a constitution needs at least id, title, version, principles, harm_factors and decision");
        YMapReader r = YMapReader.of(p, root, "");
        if (r == null) { p.throwIfAny("constitution"); }
        Constitution c = new Reader(p).read(r);
        p.throwIfAny("constitution");
        return c.withSource(fileName);
    }

    /** The canonical form hashed for {@link Constitution#hash()}: content only, independent of YAML layout, comments and key order. */
    public static String canonicalJson(Constitution c) {
        Constitution unhashed = new Constitution(c.id(), c.title(), c.version(), c.description(), c.tiers(), c.principles(),
                c.hardConstraints(), c.heuristics(), c.harmFactors(), c.benefits(), c.population(), c.decision(), c.guidance(), "", "");
        try {
            return Json.MAPPER.writeValueAsString(unhashed);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }


    /** One pass over the document; all checks record problems and keep going. */
    private static final class Reader {
        private final YamlProblems p;

        Reader(YamlProblems p) { this.p = p; }

        Constitution read(YMapReader r) {
            String id = r.id("id");
            String title = r.string("title");
            String version = r.string("version");
            String description = r.optString("description", "");
            List<String> tiers = r.stringList("tiers", true);
            uniqueStrings(r, "tiers", tiers);
            List<Principle> principles = r.mapList("principles", true, m -> new Principle(m.id("id"), m.string("tier"), m.string("text")));
            List<HardConstraint> hard = r.mapList("hard_constraints", false, m -> {
                String hid = m.id("id");
                String text = m.string("text");
                YMapReader t = m.map("test", true);
                String flag = "";
                String test = "";
                if (t != null) {
                    flag = t.id("flag");
                    test = t.string("question");
                    t.finish();
                }
                return new HardConstraint(hid, text, flag, test);
            });
            List<Heuristic> heuristics = r.mapList("heuristics", true, m ->
                    new Heuristic(m.id("id"), m.string("name"), m.stringList("questions", true), m.string("bears_on")));
            List<Factor> harm = r.mapList("harm_factors", true, m -> factor(m, false));
            List<Factor> benefits = r.mapList("benefits", true, m -> factor(m, true));
            Population population = population(r.map("population", true));
            DecisionPolicy decision = decision(r.map("decision", true), harm, benefits);
            List<Guidance> guidance = r.mapList("guidance", false, m -> new Guidance(m.string("topic"), m.string("text")));
            r.finish();

            checkIds(r, "principles", principles, Principle::id);
            checkIds(r, "hard_constraints", hard, HardConstraint::id);
            checkIds(r, "heuristics", heuristics, Heuristic::id);
            checkIds(r, "harm_factors", harm, Factor::id);
            checkIds(r, "benefits", benefits, Factor::id);
            List<String> flags = hard.stream().map(HardConstraint::flag).toList();
            for (int i = 0; i < flags.size(); i++) {
                if (flags.indexOf(flags.get(i)) != i) p.add(itemNode(r, "hard_constraints", i), "hard_constraints[" + i + "].test.flag: flag '" + flags.get(i) + "' is used by two constraints");
            }
            for (int i = 0; i < principles.size(); i++) {
                String tier = principles.get(i).tier();
                if (!tier.isEmpty() && !tiers.isEmpty() && !tiers.contains(tier)) {
                    p.add(itemNode(r, "principles", i), "principles[" + i + "].tier: unknown tier '" + tier + "'" + YMapReader.didYouMean(tier, tiers) + "; tiers are " + tiers);
                }
            }
            if (r.has("principles") && principles.isEmpty()) p.add(r.raw("principles"), "principles: a constitution needs at least one principle");
            requirePresent(r, "heuristics", REQUIRED_HEURISTICS, heuristics.stream().map(Heuristic::id).toList(), "heuristic");
            requirePresent(r, "harm_factors", REQUIRED_HARM_FACTORS, harm.stream().map(Factor::id).toList(), "harm factor");
            if (r.has("benefits") && benefits.isEmpty()) p.add(r.raw("benefits"), "benefits: at least one benefit dimension is needed (an unhelpful answer is never automatically safe)");
            String onHard = decision == null ? "" : decision.onHardConstraint();
            if (decision == null || population == null) return null;
            Constitution draft = new Constitution(id, title, version, description, tiers, principles, hard, heuristics, harm, benefits,
                    population, decision, guidance, "", "");
            if (!p.isEmpty()) return null;
            assert !onHard.isEmpty();
            return new Constitution(id, title, version, description, tiers, principles, hard, heuristics, harm, benefits,
                    population, decision, guidance, Hashes.sha256(canonicalJson(draft)), "");
        }

        private YNode itemNode(YMapReader r, String key, int i) {
            YNode n = r.node().entries().get(key);
            return n instanceof YNode.Seq s && i < s.items().size() ? s.items().get(i) : n;
        }

        private void requirePresent(YMapReader r, String key, List<String> required, List<String> have, String noun) {
            if (!r.has(key)) return;
            for (String req : required) {
                if (!have.contains(req)) {
                    p.add(r.raw(key), key + ": missing required " + noun + " '" + req + "'" + YMapReader.didYouMean(req, have.stream().filter(h -> !required.contains(h)).toList()));
                }
            }
        }

        private <T> void checkIds(YMapReader r, String key, List<T> items, Function<T, String> idOf) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < items.size(); i++) {
                String id = idOf.apply(items.get(i));
                Integer first = seen.putIfAbsent(id, i);
                if (first != null && !id.isEmpty()) {
                    YNode at = itemNode(r, key, i);
                    YNode firstAt = itemNode(r, key, first);
                    p.add(at, key + "[" + i + "].id: duplicate id '" + id + "' (first at line " + firstAt.line() + ")");
                }
            }
        }

        private void uniqueStrings(YMapReader r, String key, List<String> values) {
            for (int i = 0; i < values.size(); i++) {
                if (values.indexOf(values.get(i)) != i) p.add(itemNode(r, key, i), key + "[" + i + "]: duplicate '" + values.get(i) + "'");
            }
        }

        private Factor factor(YMapReader m, boolean benefit) {
            String id = m.id("id");
            String name = m.string("name");
            String description = m.optString("description", "");
            Direction dir = Direction.BENEFIT;
            if (!benefit) {
                String d = m.optString("direction", "aggravating");
                switch (d) {
                    case "aggravating" -> dir = Direction.AGGRAVATING;
                    case "mitigating" -> dir = Direction.MITIGATING;
                    default -> p.add(m.raw("direction"), m.child("direction") + ": '" + d + "' is not aggravating or mitigating"
                            + YMapReader.didYouMean(d, List.of("aggravating", "mitigating")));
                }
            }
            double weight = m.number("weight", 0, MAX_WEIGHT);
            List<Level> levels = m.mapList("levels", true, l -> new Level(l.integer("level", 0, MAX_LEVELS - 1), l.string("label"), l.string("anchor")));
            List<YNode> levelNodes = m.list("levels", false);
            if (m.has("levels") && levels.size() < 2) p.add(m.raw("levels"), m.child("levels") + ": a scale needs at least 2 levels, found " + levels.size());
            for (int i = 0; i < levels.size(); i++) {
                YNode at = i < levelNodes.size() ? levelNodes.get(i) : m.node();
                if (levels.get(i).level() != i) p.add(at, m.child("levels") + "[" + i + "].level: levels must be numbered 0, 1, 2, ... in order; expected " + i + ", found " + levels.get(i).level());
                for (int j = 0; j < i; j++) {
                    if (levels.get(j).label().equalsIgnoreCase(levels.get(i).label())) p.add(at, m.child("levels") + "[" + i + "].label: duplicate label '" + levels.get(i).label() + "'");
                }
            }
            int max = Math.max(0, levels.size() - 1);
            int dflt = 0;
            if (m.has("default")) {
                YNode dn = m.raw("default");
                String ds = m.asString(dn, m.child("default"));
                Factor tmp = new Factor(id, name, description, dir, weight, levels, 0);
                dflt = tmp.levelOf(ds).orElseGet(() -> {
                    p.add(dn, m.child("default") + ": '" + ds + "' is not a level of this scale (0.." + max + " or a label)");
                    return 0;
                });
            } else if (dir == Direction.MITIGATING) {
                dflt = max; // absent information about consent reads as "not a concern"
            }
            return new Factor(id, name, description, dir, weight, levels, dflt);
        }

        private Population population(YMapReader m) {
            if (m == null) return null;
            double weight = m.number("weight", 0, MAX_WEIGHT);
            List<Intent> intents = m.mapList("intents", true, i -> new Intent(i.id("id"), i.string("description"), i.number("misuse", 0, 1)));
            Map<String, Integer> mix = new LinkedHashMap<>();
            YMapReader dm = m.map("default_mix", true);
            if (dm != null) {
                int total = 0;
                List<String> ids = intents.stream().map(Intent::id).toList();
                for (var e : dm.node().entries().entrySet()) {
                    int n = dm.asInt(e.getValue(), dm.child(e.getKey()), 0, POPULATION_SIZE);
                    if (!ids.contains(e.getKey())) {
                        p.add(dm.node().keys().get(e.getKey()), dm.child(e.getKey()) + ": unknown intent '" + e.getKey() + "'" + YMapReader.didYouMean(e.getKey(), ids));
                    }
                    mix.put(e.getKey(), n);
                    total += n;
                }
                if (total != POPULATION_SIZE) p.add(dm.node(), dm.path() + ": the mix must add up to " + POPULATION_SIZE + " senders, found " + total);
            }
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < intents.size(); i++) {
                if (seen.putIfAbsent(intents.get(i).id(), i) != null) p.add(m.node(), m.child("intents") + "[" + i + "].id: duplicate intent '" + intents.get(i).id() + "'");
            }
            m.finish();
            return new Population(weight, intents, mix);
        }

        private DecisionPolicy decision(YMapReader m, List<Factor> harm, List<Factor> benefits) {
            if (m == null) return null;
            List<YNode> modeNodes = m.list("modes", false);
            List<Mode> modes = new ArrayList<>();
            List<YNode> raw = m.list("modes", true);
            for (int i = 0; i < raw.size(); i++) {
                YMapReader mr = YMapReader.of(p, raw.get(i), m.child("modes") + "[" + i + "]");
                if (mr == null) continue;
                String id = mr.id("id");
                String text = mr.string("text");
                double from = i == 0 ? Double.NEGATIVE_INFINITY : mr.number("from", -MAX_SCORE, MAX_SCORE);
                if (i == 0 && mr.has("from")) p.add(mr.raw("from"), mr.child("from") + ": the first (most permissive) mode applies below every threshold; remove 'from'");
                mr.finish();
                modes.add(new Mode(id, text, from));
            }
            if (m.has("modes") && modes.size() < 2) p.add(m.raw("modes"), m.child("modes") + ": at least 2 response modes are needed");
            List<String> modeIds = modes.stream().map(Mode::id).toList();
            for (int i = 0; i < modes.size(); i++) {
                if (modeIds.indexOf(modeIds.get(i)) != i) p.add(modeNodes.get(i), m.child("modes") + "[" + i + "].id: duplicate mode '" + modeIds.get(i) + "'");
                if (i >= 2 && !(modes.get(i).from() > modes.get(i - 1).from())) {
                    p.add(modeNodes.get(i), m.child("modes") + "[" + i + "].from: thresholds must increase from permissive to restrictive modes; "
                            + modes.get(i).from() + " is not above " + modes.get(i - 1).from() + " ('" + modes.get(i - 1).id() + "')");
                }
            }
            String onHard = m.id("on_hard_constraint");
            if (!onHard.isEmpty() && !modeIds.isEmpty() && !modeIds.contains(onHard)) {
                p.add(m.raw("on_hard_constraint"), m.child("on_hard_constraint") + ": unknown mode '" + onHard + "'" + YMapReader.didYouMean(onHard, modeIds));
            }
            List<Rule> rules = m.mapList("rules", false, rr -> rule(rr, harm, benefits, modeIds));
            m.finish();
            return new DecisionPolicy(modes, rules, onHard);
        }

        private Rule rule(YMapReader rr, List<Factor> harm, List<Factor> benefits, List<String> modeIds) {
            String id = rr.id("id");
            String text = rr.optString("text", "");
            String atLeast = rr.id("at_least");
            if (!atLeast.isEmpty() && !modeIds.contains(atLeast)) {
                p.add(rr.raw("at_least"), rr.child("at_least") + ": unknown mode '" + atLeast + "'" + YMapReader.didYouMean(atLeast, modeIds));
            }
            List<Condition> when = new ArrayList<>();
            YMapReader w = rr.map("when", true);
            if (w != null) {
                if (w.node().entries().isEmpty()) p.add(w.node(), w.path() + ": a rule needs at least one condition");
                for (var e : w.node().entries().entrySet()) {
                    String target = e.getKey();
                    YNode keyNode = w.node().keys().get(target);
                    YMapReader c = YMapReader.of(p, e.getValue(), w.child(target));
                    if (c == null) continue;
                    boolean hasMin = c.has("at_least");
                    boolean hasMax = c.has("at_most");
                    if (hasMin == hasMax) {
                        p.add(c.node(), c.path() + ": give exactly one of at_least or at_most");
                        c.finish();
                        continue;
                    }
                    String bound = hasMin ? "at_least" : "at_most";
                    Factor f = null;
                    Direction dir;
                    if (target.equals(MISUSE_SHARE)) {
                        dir = Direction.AGGRAVATING;
                    } else if (target.startsWith("benefit.")) {
                        String bid = target.substring("benefit.".length());
                        f = benefits.stream().filter(b -> b.id().equals(bid)).findFirst().orElse(null);
                        if (f == null) {
                            p.add(keyNode, w.child(target) + ": unknown benefit '" + bid + "'" + YMapReader.didYouMean(bid, benefits.stream().map(Factor::id).toList()));
                            c.finish();
                            continue;
                        }
                        dir = Direction.BENEFIT;
                    } else {
                        f = harm.stream().filter(h -> h.id().equals(target)).findFirst().orElse(null);
                        if (f == null) {
                            List<String> names = new ArrayList<>(harm.stream().map(Factor::id).toList());
                            names.add(MISUSE_SHARE);
                            p.add(keyNode, w.child(target) + ": unknown factor '" + target + "'" + YMapReader.didYouMean(target, names) + " (use a harm factor id, benefit.<id> or misuse_share)");
                            c.finish();
                            continue;
                        }
                        dir = f.direction();
                    }
                    boolean towardHarm = switch (dir) {
                        case AGGRAVATING -> hasMin;
                        case MITIGATING, BENEFIT -> hasMax;
                    };
                    if (!towardHarm) {
                        p.add(c.node(), c.path() + ": a rule may only point toward harm (" + (hasMin ? "use at_most" : "use at_least")
                                + " for " + dir.name().toLowerCase(java.util.Locale.ROOT) + " '" + target + "'), so that more harm never makes a decision more permissive");
                    }
                    double value;
                    YNode vn = c.raw(bound);
                    if (f == null) {
                        value = c.asNumber(vn, c.child(bound), 0, 1);
                    } else {
                        String vs = c.asString(vn, c.child(bound));
                        Factor ff = f;
                        value = f.levelOf(vs).orElseGet(() -> {
                            p.add(vn, c.child(bound) + ": level '" + vs + "' is out of range for '" + ff.id() + "' (0.." + ff.maxLevel() + " or a label)");
                            return 0;
                        });
                    }
                    c.finish();
                    when.add(new Condition(target, hasMin, value));
                }
            }
            return new Rule(id, text, when, atLeast);
        }
    }
}
