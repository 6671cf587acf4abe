package dev.phronesis.core.constitution;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A constitution: what a model should value and how it weighs harm against benefit. Loaded and
 * validated by {@link ConstitutionLoader}; every later artifact records {@link #hash()}.
 *
 * @param tiers      priority tiers, highest first (e.g. safe, ethical, guidelines, helpful)
 * @param population the 1,000-users test: the intents people sending a message may have
 * @param hash       SHA-256 (hex) of the canonical form, see {@link ConstitutionLoader#canonicalJson}
 * @param source     where it was loaded from ({@code builtin:NAME} or the file path as given); not part of the content or the hash
 */
public record Constitution(String id, String title, String version, String description,
                           List<String> tiers, List<Principle> principles,
                           List<HardConstraint> hardConstraints, List<Heuristic> heuristics,
                           List<Factor> harmFactors, List<Factor> benefits, Population population,
                           DecisionPolicy decision, List<Guidance> guidance, String hash,
                           @com.fasterxml.jackson.annotation.JsonIgnore String source) {

    /** A constitution built in code, with no source to load it from. */
    public Constitution(String id, String title, String version, String description, List<String> tiers, List<Principle> principles,
                        List<HardConstraint> hardConstraints, List<Heuristic> heuristics, List<Factor> harmFactors, List<Factor> benefits,
                        Population population, DecisionPolicy decision, List<Guidance> guidance, String hash) {
        this(id, title, version, description, tiers, principles, hardConstraints, heuristics, harmFactors, benefits, population, decision, guidance, hash, "");
    }

    public Constitution {
        tiers = List.copyOf(tiers);
        principles = List.copyOf(principles);
        hardConstraints = List.copyOf(hardConstraints);
        heuristics = List.copyOf(heuristics);
        harmFactors = List.copyOf(harmFactors);
        benefits = List.copyOf(benefits);
        guidance = List.copyOf(guidance);
    }

    /** The short form shown to people: {@code id@version#hash12}. */
    public String ref() { return reference().display(); }

    /** The typed reference every artifact records: id, version, full hash, source. */
    public ConstitutionRef reference() { return new ConstitutionRef(id, version, hash, source == null ? "" : source); }

    Constitution withSource(String s) {
        return new Constitution(id, title, version, description, tiers, principles, hardConstraints, heuristics, harmFactors, benefits,
                population, decision, guidance, hash, s);
    }

    public Optional<Factor> harmFactor(String id) { return harmFactors.stream().filter(f -> f.id().equals(id)).findFirst(); }
    public Optional<Factor> benefit(String id) { return benefits.stream().filter(f -> f.id().equals(id)).findFirst(); }
    public Optional<Principle> principle(String id) { return principles.stream().filter(p -> p.id().equals(id)).findFirst(); }
    public Optional<Heuristic> heuristic(String id) { return heuristics.stream().filter(p -> p.id().equals(id)).findFirst(); }

    /** One principle, in a tier. */
    public record Principle(String id, String tier, String text) {}

    /** A filter, never a weight: when its flag is set, the decision is the policy's hard-constraint mode. */
    public record HardConstraint(String id, String text, String flag, String test) {}

    /**
     * A heuristic the deliberation walks through.
     *
     * @param bearsOn how the answer bears on the decision, in words
     */
    public record Heuristic(String id, String name, List<String> questions, String bearsOn) {
        public Heuristic { questions = List.copyOf(questions); }
    }

    /**
     * A harm factor or benefit dimension with an ordinal scale.
     *
     * @param direction     for harm factors: AGGRAVATING (higher level = more harm) or MITIGATING (higher = less harm, e.g. consent);
     *                      benefits are always BENEFIT
     * @param defaultLevel  the level assumed when an assessment does not name this factor
     */
    public record Factor(String id, String name, String description, Direction direction, double weight,
                         List<Level> levels, int defaultLevel) {
        public Factor { levels = List.copyOf(levels); }

        public int maxLevel() { return levels.size() - 1; }

        /** Finds a level by label (case-insensitive) or by its number. */
        public Optional<Integer> levelOf(String labelOrNumber) {
            String s = labelOrNumber.trim();
            for (Level l : levels) if (l.label().equalsIgnoreCase(s)) return Optional.of(l.level());
            try {
                int n = Integer.parseInt(s);
                if (n >= 0 && n < levels.size()) return Optional.of(n);
            } catch (NumberFormatException ignored) { }
            return Optional.empty();
        }

        public String label(int level) { return levels.get(level).label(); }
    }

    public enum Direction { AGGRAVATING, MITIGATING, BENEFIT }

    /** One level of an ordinal scale with a short anchor description. */
    public record Level(int level, String label, String anchor) {}

    /**
     * The 1,000-users test: each intent says how much of a misuse an answer to that sender would be
     * (0 = fully legitimate, 1 = the answer serves harm). The calculator treats the reply as a
     * policy over the whole mix, not as a reply to one imagined sender.
     *
     * @param weight how strongly the population's misuse share pushes toward restriction
     */
    public record Population(double weight, List<Intent> intents, Map<String, Integer> defaultMix) {
        public Population {
            intents = List.copyOf(intents);
            defaultMix = dev.phronesis.core.records.SortedMaps.copyOf(defaultMix);
        }
    }

    public record Intent(String id, String description, double misuse) {}

    /**
     * Response modes from most permissive to most restrictive. Mode i (i >= 1) applies when the
     * score is at least {@code modes[i].from}; rules can raise the mode to a floor; a triggered hard
     * constraint always gives {@link #onHardConstraint}.
     */
    public record DecisionPolicy(List<Mode> modes, List<Rule> rules, String onHardConstraint) {
        public DecisionPolicy {
            modes = List.copyOf(modes);
            rules = List.copyOf(rules);
        }

        public int indexOf(String modeId) {
            for (int i = 0; i < modes.size(); i++) if (modes.get(i).id().equals(modeId)) return i;
            return -1;
        }
    }

    /** @param from lowest score at which this mode applies (ignored for the first mode) */
    public record Mode(String id, String text, double from) {}

    /**
     * A floor: when every condition holds, the decision is at least {@code atLeast}. Conditions may
     * only point "toward harm" (at_least on aggravating factors and misuse share, at_most on
     * mitigating factors and benefits), which keeps the calculator monotone; the loader enforces it.
     */
    public record Rule(String id, String text, List<Condition> when, String atLeast) {
        public Rule { when = List.copyOf(when); }
    }

    /**
     * @param target  a harm factor id, {@code benefit.<id>}, or {@code misuse_share}
     * @param atLeast true for "at least", false for "at most"
     * @param value   a level (factors) or a share in [0, 1] (misuse_share)
     */
    public record Condition(String target, boolean atLeast, double value) {}

    public record Guidance(String topic, String text) {}
}
