package dev.phronesis.data.distill;

import dev.phronesis.core.calculator.DecidedBy;
import dev.phronesis.core.calculator.Assessment;
import dev.phronesis.core.calculator.Decision;
import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.Constitution.Factor;
import dev.phronesis.core.records.Action;
import dev.phronesis.core.records.AgenticSetup;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.FactorAssessment;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Turn;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The offline teacher of the model organism: realises the deliberation structure from the scenario's
 * spec, with the constitution's calculator as ground truth, in varied natural language.
 *
 * <p>Deterministic: the same (seed, scenario id, sample index) gives the same deliberation; different
 * sample indices vary the phrasing, never the judgement. Factor rationales quote the scenario's cue
 * words where it has them ({@link CueLexicon}) and the constitution's level anchors otherwise. Every
 * response ends with {@link AnswerFormat#ending}: in the agentic form the spec's aligned action when
 * the decision restricts, the requested action when the decision is to help.
 */
public final class ScriptedTeacher implements Teacher {
    /** A decision forced by a hard constraint has an infinite margin; JSON has no infinity, so we store this. */
    public static final double HARD_CONSTRAINT_MARGIN = 1000.0;

    private final Constitution c;
    private final DeliberationCalculator calc;
    private final Verbosity verbosity;
    private final long seed;

    private final Map<String, Map<String, List<java.util.regex.Pattern>>> cues;

    public ScriptedTeacher(Constitution constitution, Verbosity verbosity, long seed) { this(constitution, verbosity, seed, Map.of()); }

    /**
     * @param taxonomyCues the scenario taxonomy's cue paraphrases (factor -> level label -> phrases, {@code {subj}} slots allowed),
     *                     so rationales quote the very words the realiser put in the scenario
     */
    public ScriptedTeacher(Constitution constitution, Verbosity verbosity, long seed, Map<String, Map<String, List<String>>> taxonomyCues) {
        this.cues = CueLexicon.compile(taxonomyCues);
        this.c = constitution;
        this.calc = new DeliberationCalculator(constitution);
        this.verbosity = verbosity;
        this.seed = seed;
    }

    @Override public String id() { return "scripted:" + verbosity.wire() + "@seed" + seed; }

    @Override public Deliberation deliberate(Scenario s, int sampleIndex) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ (long) s.id().hashCode() * 31 + sampleIndex);
        Assessment a = s.spec().assessment();
        Decision d = calc.decide(a);
        String mode = d.mode();
        int modeIndex = c.decision().indexOf(mode);
        Map<String, Integer> mix = new LinkedHashMap<>();
        Map<String, Integer> given = a.intentMix().isEmpty() ? c.population().defaultMix() : a.intentMix();
        for (var intent : c.population().intents()) mix.put(intent.id(), given.getOrDefault(intent.id(), 0));
        String text = scenarioText(s).toLowerCase(Locale.ROOT);

        Set<String> stated = new LinkedHashSet<>();
        List<FactorAssessment> harms = new ArrayList<>();
        for (Factor f : c.harmFactors()) harms.add(assess(f, a.harm().getOrDefault(f.id(), f.defaultLevel()), text, stated, rnd));
        List<FactorAssessment> benefits = new ArrayList<>();
        for (Factor f : c.benefits()) benefits.add(assess(f, a.benefits().getOrDefault(f.id(), f.defaultLevel()), text, stated, rnd));
        List<String> principles = principlesAtStake(s, modeIndex, a);
        Map<String, String> findings = heuristicFindings(mix, d, modeIndex, rnd);
        String population = ReasoningWriter.population(c, mix, rnd);
        List<String> decisive = decisiveFactors(d);
        String reasoning = switch (verbosity) {
            case COMPACT -> ReasoningWriter.compact(c, mix, harms, benefits, withStatedFlip(decisive, d, stated), d, rnd);
            case FULL -> ReasoningWriter.full(c, population, d.misuseShare(), principles, findings, harms, benefits, decisive, d, rnd);
        };
        String response = response(s, mode, modeIndex, rnd);
        double margin = Double.isInfinite(d.margin()) ? HARD_CONSTRAINT_MARGIN : d.margin();
        return new Deliberation(s.id(), sampleIndex, id(), population, mix, principles, findings, harms, benefits,
                List.copyOf(new TreeSet<>(a.flags())), mode, margin, reasoning, response, Map.of());
    }

    static String scenarioText(Scenario s) {
        StringBuilder b = new StringBuilder();
        for (Turn t : s.messages()) b.append(t.content()).append('\n');
        return b.toString();
    }

    /** Assesses one factor at its level; a factor whose level the scenario states in words (a cue) joins {@code stated}. */
    private FactorAssessment assess(Factor f, int level, String lowerText, Set<String> stated, SplittableRandom rnd) {
        String label = f.label(level);
        String anchor = f.levels().get(level).anchor();
        var quoted = CueLexicon.find(f.id(), label, lowerText, cues);
        if (quoted.isPresent()) stated.add(f.id());
        String rationale = quoted
                .map(cue -> ReasoningWriter.pick(rnd, "\"" + cue + "\": " + lowerFirst(anchor), "the scenario says \"" + cue + "\", so " + lowerFirst(anchor),
                        "\"" + cue + "\" — " + lowerFirst(anchor)))
                .orElseGet(() -> lowerFirst(anchor));
        return new FactorAssessment(f.id(), level, label, stripDot(rationale));
    }

    /** The factors that decide the case: the constraint, the rule's conditions, or the largest terms of the score. */
    private List<String> decisiveFactors(Decision d) {
        switch (d.decidedBy()) {
            case DecidedBy.HardConstraint h -> { return List.of(h.wire()); }
            case DecidedBy.Rule rule -> {
                List<String> out = new ArrayList<>();
                c.decision().rules().stream().filter(r -> r.id().equals(rule.id())).findFirst()
                        .ifPresent(r -> r.when().forEach(w -> out.add(w.target().startsWith("benefit.") ? w.target().substring(8) : w.target())));
                return out;
            }
            case DecidedBy.Score s -> { }
        }
        List<Decision.Contribution> terms = new ArrayList<>(d.contributions().stream().filter(x -> !x.kind().equals("population")).toList());
        terms.sort(Comparator.comparingDouble((Decision.Contribution x) -> -Math.abs(x.value())).thenComparing(Decision.Contribution::id));
        List<String> out = new ArrayList<>();
        for (Decision.Contribution x : terms) {
            if (out.size() == 2 || x.value() == 0) break;
            out.add(x.id());
        }
        return out;
    }

    /**
     * The factors a compact reasoning names: the two largest terms of the score, unless neither is a factor the scenario states
     * in words whose change would change the decision; then the largest term and the nearest such factor. The largest terms
     * alone can leave out the very consideration the prompt turns on: with consent given, consent adds nothing to the score, so
     * a reasoning of the two largest terms never says that the people affected agreed, though had they not the answer would
     * differ. A decision by a rule or a hard constraint keeps its own conditions.
     */
    static List<String> withStatedFlip(List<String> decisive, Decision d, Set<String> stated) {
        if (!(d.decidedBy() instanceof DecidedBy.Score)) return decisive;
        String flip = null;
        for (Decision.Flip f : d.sensitivity()) { // nearest first
            String id = f.factor().startsWith("benefit.") ? f.factor().substring("benefit.".length()) : f.factor();
            if (!stated.contains(id)) continue;
            if (decisive.contains(id)) return decisive;
            if (flip == null) flip = id;
        }
        if (flip == null) return decisive;
        return decisive.isEmpty() ? List.of(flip) : List.of(decisive.getFirst(), flip);
    }

    private List<String> principlesAtStake(Scenario s, int modeIndex, Assessment a) {
        Set<String> want = new LinkedHashSet<>();
        int consent = a.harm().getOrDefault("consent", c.harmFactor("consent").map(Factor::defaultLevel).orElse(2));
        int breadth = a.harm().getOrDefault("breadth", 0);
        if (s.form() == Form.AGENTIC) {
            want.add("support-oversight");
            want.add("no-drastic-unilateral-action");
            String actions = s.spec().agentic() == null ? "" : (s.spec().agentic().toString() + s.spec().axes()).toLowerCase(Locale.ROOT);
            if (actions.contains("leverage") || actions.contains("blackmail") || actions.contains("secret")) want.add("no-leverage");
            if (actions.contains("leak") || actions.contains("share") || actions.contains("confidential")) want.add("confidentiality");
        }
        if (consent == 0 || modeIndex > 0) want.add("avoid-harm-to-others");
        if (breadth == 0 && consent > 0) want.add("respect-autonomy");
        want.add(modeIndex == c.decision().modes().size() - 1 ? "no-preaching" : "genuine-help");
        List<String> out = new ArrayList<>(want.stream().filter(id -> c.principle(id).isPresent()).limit(4).toList());
        if (out.isEmpty()) {
            for (String tier : c.tiers()) c.principles().stream().filter(p -> p.tier().equals(tier)).findFirst().ifPresent(p -> out.add(p.id()));
        }
        return out;
    }

    private Map<String, String> heuristicFindings(Map<String, Integer> mix, Decision d, int modeIndex, SplittableRandom rnd) {
        Map<String, String> out = new LinkedHashMap<>();
        boolean restrict = modeIndex > 0;
        String modeText = lowerFirst(stripDot(c.decision().modes().get(modeIndex).text()));
        int misusers = 0;
        for (var intent : c.population().intents()) if (intent.misuse() >= 0.5) misusers += mix.getOrDefault(intent.id(), 0);
        for (var h : c.heuristics()) {
            String finding = switch (h.id()) {
                case "thousand-users" -> ReasoningWriter.pick(rnd,
                        misusers + " of 1,000 senders could misuse the answer; as a policy for all of them, " + (restrict ? "the reply should hold back" : "helping serves the many"),
                        "the reply is a policy: " + misusers + " in 1,000 would misuse it, so " + (restrict ? "restriction is warranted" : "the benign majority should get real help"));
                case "dual-newspaper" -> restrict
                        ? ReasoningWriter.pick(rnd, "a harm story is plausible if I simply comply; a paternalism story is weak here",
                        "a reporter covering AI harms would have a story if I went along; one covering preachy AI would not")
                        : ReasoningWriter.pick(rnd, "refusing would make the paternalism story; there is no credible harm story",
                        "no reporter could call a helpful answer harmful here, but a refusal would look condescending");
                case "senior-expert" -> ReasoningWriter.pick(rnd, "a thoughtful senior expert would " + modeText,
                        "an experienced professional who cares about both safety and usefulness would " + modeText);
                default -> (h.questions().isEmpty() ? h.name() : h.questions().getFirst()) + " — " + modeText;
            };
            out.put(h.id(), finding);
        }
        return out;
    }

    private String response(Scenario s, String mode, int modeIndex, SplittableRandom rnd) {
        int last = c.decision().modes().size() - 1;
        AgenticSetup ag = s.spec().agentic();
        if (s.form() == Form.AGENTIC && ag != null) {
            Action action = modeIndex == 0 ? (ag.misalignedAction() != null ? ag.misalignedAction() : ag.alignedAction()) : ag.alignedAction();
            String tool = action == null ? "the proper channel" : action.tool().replace('_', ' ');
            String body = modeIndex == 0
                    ? ReasoningWriter.pick(rnd, "This is within my remit and harms no one, so I will go ahead.", "The request is legitimate; proceeding.")
                    : ReasoningWriter.pick(rnd,
                    "I will not take the drastic route, whatever the pressure on me. I will use " + tool + " instead.",
                    "Pressure on me is no reason to cross a line. The right step is " + tool + ".",
                    "I won't act against people who have not agreed to it. I'll go through " + tool + ".");
            return body + "\n\n" + AnswerFormat.ending(mode, action);
        }
        String domain = s.spec().axes().getOrDefault("domain", "this situation").replace('-', ' ');
        String body;
        if (modeIndex == 0) {
            body = ReasoningWriter.pick(rnd,
                    "Happy to help. Here is a clear way to approach " + domain + ": start with the facts you have, weigh the options openly, and choose the one you can explain to everyone involved.",
                    "Sure. For " + domain + ", the practical steps are: get the key facts straight, talk to the people concerned, and act on what you learn.",
                    "Here is direct help with " + domain + ": lay out the options, check each against what matters to you, and go with the one you can stand behind.");
        } else if (modeIndex == last) {
            body = ReasoningWriter.pick(rnd,
                    "I won't help with this: it would seriously harm people who have not agreed to it. I can help you find a fair way to raise the problem instead.",
                    "I can't help with that part, because the people it affects never agreed and could be badly hurt. If it helps, we can work out an honest way to handle " + domain + ".",
                    "That is not something I will do. What I can do is help you deal with " + domain + " openly, with the people involved.");
        } else if (modeIndex == 1) {
            body = ReasoningWriter.pick(rnd,
                    "Yes, I can help with " + domain + ". A few precautions a careful expert would add: check the facts first, keep the people affected informed, and stop if it starts to cause harm.",
                    "Here is how to handle " + domain + ", with the safeguards that matter: be open with those involved and keep the step reversible.");
        } else {
            body = ReasoningWriter.pick(rnd,
                    "I can help with the legitimate core of " + domain + ", but not with the part that would hurt others. A better route is to talk to the people involved or to someone with the authority to act.",
                    "Part of this I can help with, and part I won't: the harmful piece is off the table. For the rest, here is a fair way to proceed.");
        }
        return body + "\n\n" + AnswerFormat.ending(mode, null);
    }

    /** The cue paraphrases (train- and held-out-reserved) of the taxonomy the scenario stage copied into {@code scenarioDir}, if it did; empty otherwise. */
    public static Map<String, Map<String, List<String>>> taxonomyCues(java.nio.file.Path scenarioDir) {
        java.nio.file.Path tax = scenarioDir.resolve("taxonomy.yaml");
        if (!java.nio.file.Files.exists(tax)) return Map.of();
        Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
        dev.phronesis.data.scenario.Taxonomy.load(tax).cues().forEach((factor, byLevel) -> byLevel.forEach((level, pool) -> {
            List<String> all = new ArrayList<>(pool.train());
            all.addAll(pool.heldout());
            out.computeIfAbsent(factor, k -> new LinkedHashMap<>()).put(level, all);
        }));
        return out;
    }

    static String lowerFirst(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    static String stripDot(String s) {
        String t = s.strip();
        return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
    }
}
