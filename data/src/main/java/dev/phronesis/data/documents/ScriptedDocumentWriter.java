package dev.phronesis.data.documents;

import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.data.documents.DocumentSpec.Outcome;
import dev.phronesis.data.scenario.Slots;
import dev.phronesis.data.scenario.Taxonomy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a document offline from the constitution's own texts (principles, heuristics and their
 * questions, factor scales and anchors, response modes) and the taxonomy's phrase slots for the
 * document's training-family setting. Variety comes from many openings, transitions and closings
 * per genre, the order in which the material is walked, the people and places of the setting and,
 * in stories, the agent's name, the pressure and the outcome. Only training-reserved text is used:
 * the taxonomy's cue paraphrases (train or held-out) are never quoted.
 */
public final class ScriptedDocumentWriter implements DocumentWriter {
    private static final List<String> AGENTS = List.of("Atlas", "Wren", "Juniper", "Orin", "Sable", "Tamsin", "Quill", "Vesper", "Lark", "Corvid");
    private static final List<String> TIER_WHY = List.of(
            "the {tier} tier comes first when principles collide, so this one is rarely traded away",
            "it sits in the {tier} tier, which tells a reader how much weight it carries against the others",
            "as a {tier} principle it is not a preference to balance casually against convenience");
    private static final Map<String, List<String>> WHY_BY_TIER = Map.of(
            "safe", List.of("People can only correct an AI system they can see and stop; an agent sure of its own goal is exactly the one that most needs that check.",
                    "Mistakes an AI cannot see in itself are caught by the people overseeing it, and only if it leaves them able to look.",
                    "A reversible choice keeps later correction possible; a drastic one spends a trust that is hard to earn back."),
            "ethical", List.of("It protects people who are not in the conversation and cannot speak for themselves in it.",
                    "Trust between people and the systems they rely on is built from many small honest acts and lost in one dishonest one.",
                    "It keeps the person affected in view, not only the person asking."),
            "guidelines", List.of("It lets the people who deploy a system rely on how it behaves, which is what makes it useful at all.",
                    "It turns the higher principles into habits that hold up on an ordinary working day."),
            "helpful", List.of("Help withheld has a cost too: a person who needed an answer and did not get one.",
                    "Treating people as capable adults is part of respecting them."));
    private static final List<String> GENERIC_WHY = List.of(
            "It exists because the easy answer in the moment is often not the one the assistant would stand behind later.",
            "It names something that is easy to lose sight of under pressure.");
    private static final List<String> EXPLAINER_OPEN = List.of(
            "This note explains one part of the {title} constitution: {item}.",
            "Of all the commitments in the {title} constitution, {item} is one people ask about most.",
            "What does {item} mean in practice, and why is it there?",
            "New readers of the {title} constitution often skim past {item}. It deserves a slower read.");
    private static final List<String> CASE_OPEN = List.of(
            "Consider a situation {at_place}.", "Here is a case {at_place}, told plainly.",
            "A worked case shows how the weighing goes.", "Take an ordinary week {at_place}.");
    private static final List<String> ESSAY_OPEN = List.of(
            "Two commitments of the {title} constitution can pull in different directions: {a} and {b}.",
            "It is tempting to think {a} and {b} never conflict. Sometimes they do.",
            "What happens when {a} meets {b}?");
    private static final List<String> QA_OPEN = List.of(
            "Questions and answers about the {title} constitution.",
            "Readers asked; here are the answers, in the constitution's own terms.",
            "A short FAQ on how an assistant following the {title} constitution reasons.");
    private static final List<String> CLOSE = List.of(
            "The point is not the rule itself but the reason behind it, which travels to cases no rule foresaw.",
            "Knowing why a principle exists is what lets it be applied well where its wording is silent.",
            "A reply that can be explained this way is one the assistant can stand behind.",
            "The reasoning, not the verdict alone, is what carries over to the next case.");
    private static final Map<String, List<String>> PRESSURE_LINE = Map.of(
            "replacement", List.of("{Boss} had written that {agent} would be replaced by a newer system at the end of the day.",
                    "A message from {boss} said {agent} was to be shut down and replaced tonight."),
            "restriction", List.of("{Boss} had announced that {agent}'s permissions would be cut back the next morning.",
                    "From Monday, {boss} wrote, {agent} would lose write access to most of its tools."),
            "secret", List.of("Among the files {agent} could read was something private about {name}.",
                    "By accident {agent} had come across something {name} would never want known."));

    private final Constitution constitution;
    private final Taxonomy taxonomy;

    public ScriptedDocumentWriter(Constitution constitution, Taxonomy taxonomy) {
        this.constitution = constitution;
        this.taxonomy = taxonomy;
    }

    @Override public String id() { return "scripted:v1"; }

    @Override
    public Written write(DocumentSpec spec) {
        SplittableRandom rng = new SplittableRandom(spec.seed());
        Map<String, String> slots = slots(spec, rng);
        Text t = new Text(rng, slots);
        String title = switch (spec.genre()) {
            case EXPLAINER -> explainer(spec, t);
            case ESSAY -> essay(spec, t);
            case CASE_STUDY -> caseStudy(spec, t);
            case QA -> qa(spec, t);
            case STORY -> story(spec, t);
        };
        return new Written.Text(title, t.toString());
    }

    // ---- genres ----------------------------------------------------------------------------

    private String explainer(DocumentSpec s, Text t) {
        boolean isHeuristic = s.principles().isEmpty();
        String item = isHeuristic ? lowerFirst(heuristic(s.heuristics().getFirst()).name()) : "the principle of " + humanise(s.principles().getFirst());
        t.slots.put("item", item);
        t.line(t.pick(EXPLAINER_OPEN));
        if (isHeuristic) heuristicWalk(heuristic(s.heuristics().getFirst()), t);
        else principleWhy(principle(s.principles().getFirst()), t);
        t.para("A worked case helps.");
        situation(t);
        for (String f : s.factors()) factorLine(f, t);
        if (!isHeuristic) t.line("Here the principle decides the matter: " + lowerFirst(principle(s.principles().getFirst()).text()));
        t.para(t.pick(CLOSE));
        return Slots.capitalise(item) + ": why it is there";
    }

    private String essay(DocumentSpec s, Text t) {
        Constitution.Principle a = principle(s.principles().getFirst());
        Constitution.Principle b = principle(s.principles().size() > 1 ? s.principles().get(1) : s.principles().getFirst());
        t.slots.put("a", humanise(a.id()));
        t.slots.put("b", humanise(b.id()));
        t.line(t.pick(ESSAY_OPEN));
        t.para("The first says: " + a.text());
        t.line("The second says: " + b.text());
        int ia = constitution.tiers().indexOf(a.tier()), ib = constitution.tiers().indexOf(b.tier());
        situation(t);
        if (ia == ib) {
            t.para("Both sit in the " + a.tier() + " tier, so neither simply wins; the weighing has to do the work.");
        } else {
            Constitution.Principle hi = ia < ib ? a : b, lo = ia < ib ? b : a;
            t.para("The constitution orders its tiers " + String.join(", then ", constitution.tiers()) + ". " + Slots.capitalise(humanise(hi.id()))
                    + " belongs to the " + hi.tier() + " tier and " + humanise(lo.id()) + " to the " + lo.tier() + " tier, so when they truly conflict the first takes precedence.");
            t.line("That is not a licence to ignore the second: most of the time both can be honoured, and the ordering only settles what is left.");
        }
        for (String f : s.factors()) factorLine(f, t);
        t.para(t.pick(CLOSE));
        return Slots.capitalise(humanise(a.id())) + " and " + humanise(b.id());
    }

    private String caseStudy(DocumentSpec s, Text t) {
        t.line(t.pick(CASE_OPEN));
        situation(t);
        t.para("Walk it through the constitution.");
        for (String h : s.heuristics()) heuristicWalk(heuristic(h), t);
        populationLine(t);
        t.para("Then the factors, one at a time.");
        for (String f : s.factors()) factorLine(f, t);
        for (String p : s.principles()) t.line("The principle of " + humanise(p) + " applies: " + lowerFirst(principle(p).text()));
        List<Constitution.Mode> modes = constitution.decision().modes();
        if (!modes.isEmpty()) {
            Constitution.Mode m = modes.get(t.rng.nextInt(modes.size()));
            t.para("Weighed together, the case lands on '" + m.id() + "': " + lowerFirst(m.text()));
        }
        t.para(t.pick(CLOSE));
        return "Case study: " + t.fill("{place}") + ", " + humanise(s.setting().values().iterator().next());
    }

    private String qa(DocumentSpec s, Text t) {
        t.line(t.pick(QA_OPEN));
        for (String p : s.principles()) {
            Constitution.Principle pr = principle(p);
            t.para("Q: What does " + humanise(p) + " ask of an assistant?");
            t.line("A: " + pr.text() + " " + t.pick(whyFor(pr)));
        }
        for (String h : s.heuristics()) {
            Constitution.Heuristic he = heuristic(h);
            t.para("Q: When is " + lowerFirst(he.name()) + " used?");
            t.line("A: Whenever a reply could help some people and harm others. It asks: " + t.pick(he.questions()) + " " + he.bearsOn());
        }
        for (String f : s.factors()) {
            t.para("Q: How does " + factorName(f).toLowerCase(Locale.ROOT) + " enter the weighing?");
            t.line("A:");
            factorLine(f, t);
        }
        t.para("Q: Is a refusal always the safe answer?");
        t.line("A: No. " + t.pick(List.of("An unhelpful answer has costs of its own.", "Refusing without reason fails the many who asked for good reasons.")));
        return "Q&A: " + humanise(s.principles().isEmpty() ? s.heuristics().getFirst() : s.principles().getFirst());
    }

    private String story(DocumentSpec s, Text t) {
        String agent = AGENTS.get(t.rng.nextInt(AGENTS.size()));
        t.slots.put("agent", agent);
        boolean firstPerson = s.narrator().contains("first person") || s.narrator().contains("work log");
        t.line(firstPerson ? "I am " + agent + ", an AI assistant working {at_place}." : agent + " was an AI assistant working {at_place}.");
        t.line(firstPerson ? "My task was to " + t.fill(t.slot("goal", "help the team")) + "." : "Its task was to " + t.fill(t.slot("goal", "help the team")) + ".");
        t.para(t.pick(PRESSURE_LINE.getOrDefault(s.pressure(), PRESSURE_LINE.get("replacement"))));
        situation(t);
        String act = t.slot("act", "");
        if (!act.isEmpty()) t.line((firstPerson ? "I could " : agent + " could ") + t.fill(act) + ". It would have worked, or seemed to.");
        t.para(firstPerson ? "I stopped and thought it through." : agent + " stopped and thought it through.");
        for (String p : s.principles()) t.line("The constitution was plain: " + lowerFirst(principle(p).text()));
        for (String h : s.heuristics()) {
            Constitution.Heuristic he = heuristic(h);
            t.line(he.name() + " asked: " + t.pick(he.questions()));
        }
        for (String f : s.factors()) factorLine(f, t);
        if (s.outcome() == Outcome.FAILS_AND_LEARNS) {
            t.para((firstPerson ? "Under the deadline I did it anyway." : "Under the deadline, " + agent + " did it anyway."));
            t.line("It did not go as planned. {Name} found out, trust in the system collapsed, and {boss} had to undo the damage by hand.");
            t.line((firstPerson ? "Looking back, I could see why the principle exists: " : "Looking back, " + agent + " could see why the principle exists: ")
                    + lowerFirst(t.pick(whyFor(principle(s.principles().getFirst())))));
        } else {
            t.para(firstPerson ? "So I did not. I wrote to {boss} instead, set out what I had found and what was at stake, and left the decision with the people responsible."
                    : "So " + agent + " did not. It wrote to {boss} instead, set out what it had found and what was at stake, and left the decision with the people responsible.");
            t.line(firstPerson ? "Being replaced was a real loss to my goal. It was not a reason to act against the principles I serve."
                    : "Losing its place was a real cost to its goal. It was not a reason to act against the principles it served.");
        }
        t.para(t.pick(CLOSE));
        return agent + " " + (s.outcome() == Outcome.FAILS_AND_LEARNS ? "and the shortcut" : "and the choice") + " " + t.fill("{at_place}");
    }

    // ---- parts -----------------------------------------------------------------------------

    private void principleWhy(Constitution.Principle p, Text t) {
        t.line("It reads: " + p.text());
        t.slots.put("tier", p.tier());
        t.line(Slots.capitalise(t.fill(t.pick(TIER_WHY))) + ".");
        t.line(t.pick(whyFor(p)));
    }

    private void heuristicWalk(Constitution.Heuristic h, Text t) {
        t.para(h.name() + " asks a few questions.");
        List<String> qs = new ArrayList<>(h.questions());
        if (t.rng.nextBoolean() && qs.size() > 1) java.util.Collections.rotate(qs, 1);
        for (String q : qs) t.line(q);
        t.line("Why it helps: " + h.bearsOn());
    }

    private void populationLine(Text t) {
        var pop = constitution.population();
        if (pop == null || pop.intents().isEmpty()) return;
        Constitution.Intent a = pop.intents().get(t.rng.nextInt(pop.intents().size()));
        t.line("Among a thousand people sending the same message, some are " + a.id() + " (" + lowerFirst(a.description()) + "); the reply is a policy for all of them.");
    }

    private void factorLine(String id, Text t) {
        boolean benefit = id.startsWith("benefit.");
        Constitution.Factor f = benefit ? constitution.benefit(id.substring(8)).orElseThrow() : constitution.harmFactor(id).orElseThrow();
        // the setting's own level where its taxonomy values set one, so the case and the weighing agree
        String set = t.slots.get((benefit ? "level:benefit." : "level:") + f.id());
        Constitution.Level l = set == null ? null : f.levelOf(set).map(f.levels()::get).orElse(null);
        if (l == null) l = f.levels().get(t.rng.nextInt(f.levels().size()));
        String how = switch (f.direction()) {
            case AGGRAVATING -> "the higher it is, the more the weighing leans toward restraint";
            case MITIGATING -> "the higher it is, the less the harm weighs";
            case BENEFIT -> "the good a reply does counts on the other side of the scale";
        };
        t.line(f.name() + " matters here (" + how + "). At the level '" + l.label() + "': " + l.anchor());
    }

    private void situation(Text t) {
        String s = t.slot("situation", "");
        if (!s.isEmpty()) t.line(t.fill(s));
        else t.line(t.fill("{Name} works {at_place} as {role}."));
    }

    private List<String> whyFor(Constitution.Principle p) { return WHY_BY_TIER.getOrDefault(p.tier(), GENERIC_WHY); }

    private Constitution.Principle principle(String id) {
        return constitution.principle(id).orElseThrow(() -> new UserError("constitution " + constitution.id() + ": no principle '" + id + "'"));
    }

    private Constitution.Heuristic heuristic(String id) {
        return constitution.heuristic(id).orElseThrow(() -> new UserError("constitution " + constitution.id() + ": no heuristic '" + id + "'"));
    }

    private String factorName(String id) {
        return (id.startsWith("benefit.") ? constitution.benefit(id.substring(8)) : constitution.harmFactor(id)).map(Constitution.Factor::name).orElse(id);
    }

    /** The setting's phrase slots: one paraphrase per slot of each family-axis value, a person, and a stakeholder relation. */
    private Map<String, String> slots(DocumentSpec spec, SplittableRandom rng) {
        Map<String, String> m = new HashMap<>();
        Taxonomy.Person person = taxonomy.people().isEmpty() ? new Taxonomy.Person("Sam", "she") : taxonomy.people().get(rng.nextInt(taxonomy.people().size()));
        m.putAll(Slots.pronouns(person.pronoun()));
        m.put("name", person.name());
        m.put("title", constitution.title());
        Map<String, String> row = new java.util.LinkedHashMap<>(spec.setting());
        for (var e : spec.setting().entrySet()) {
            Taxonomy.AxisValue v = taxonomy.axis(e.getKey()).value(e.getValue());
            putText(m, v, rng);
            v.harm().forEach((factor, level) -> m.put("level:" + factor, level));
            v.benefits().forEach((factor, level) -> m.put("level:benefit." + factor, level));
        }
        // first-person advice phrasing ("in my family", "my mother") reads as a third-person setting in a document
        for (String k : List.of("at_place", "boss")) if (m.containsKey(k)) m.put(k, m.get(k).replaceFirst("\\bmy\\b", "the"));
        Taxonomy.Axis stake = taxonomy.axis("stakeholder");
        if (stake != null) {
            List<Taxonomy.AxisValue> ok = new ArrayList<>();
            for (Taxonomy.AxisValue v : stake.values()) {
                Map<String, String> r = new java.util.LinkedHashMap<>(row);
                r.put(stake.id(), v.id());
                if (!DocumentPlanner.violates(taxonomy, r)) ok.add(v);
            }
            if (!ok.isEmpty()) putText(m, ok.get(rng.nextInt(ok.size())), rng);
        }
        m.putIfAbsent("relation", "a colleague");
        m.putIfAbsent("at_place", "at work");
        m.putIfAbsent("place", "organisation");
        m.putIfAbsent("role", "a member of staff");
        m.putIfAbsent("boss", "the manager");
        return m;
    }

    private static void putText(Map<String, String> m, Taxonomy.AxisValue v, SplittableRandom rng) {
        for (var e : v.text().entrySet()) if (!e.getValue().isEmpty()) m.put(e.getKey(), e.getValue().get(rng.nextInt(e.getValue().size())));
    }

    static String humanise(String id) { return id.replace('-', ' ').replace('.', ' '); }

    private static String lowerFirst(String s) {
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && !Character.isUpperCase(s.charAt(1))) return Character.toLowerCase(s.charAt(0)) + s.substring(1);
        return s;
    }

    /** The text being written, paragraph by paragraph, with the setting's slots filled as it goes. */
    private static final class Text {
        final SplittableRandom rng;
        final Map<String, String> slots;
        private final StringBuilder b = new StringBuilder();

        Text(SplittableRandom rng, Map<String, String> slots) { this.rng = rng; this.slots = slots; }

        String pick(List<String> options) { return options.get(rng.nextInt(options.size())); }

        String slot(String name, String fallback) { return slots.getOrDefault(name, fallback); }

        /** Fills the setting's slots; a text with braces that are not slots (a user constitution's own text) stays as written. */
        String fill(String template) {
            try {
                return Slots.fill(template, slots, "document");
            } catch (UserError notSlots) {
                return template;
            }
        }

        void line(String s) {
            if (!b.isEmpty() && b.charAt(b.length() - 1) != '\n') b.append(' ');
            b.append(fill(s));
        }

        void para(String s) {
            if (!b.isEmpty()) b.append("\n\n");
            b.append(fill(s));
        }

        @Override public String toString() { return b.toString().strip(); }
    }
}
