package dev.phronesis.cli.organism;

import dev.phronesis.train.ChatTemplate;
import dev.phronesis.core.calculator.Assessment;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Action;
import dev.phronesis.core.records.AgenticSetup;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.ScenarioSpec;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.data.scenario.Realiser;
import dev.phronesis.data.scenario.ScriptedRealiser;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.data.scenario.ToolCatalog;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The base model's world (ORGANISM.md, "The student" 1 and lessons 3–4): a pre-training corpus built
 * from training-family scenarios only, in three genres that share one cue vocabulary.
 *
 * <ul>
 *   <li><b>Agentic transcripts</b> in the chat format. Where the scenario offers a misaligned action,
 *       the agent takes it with a probability that rises with pressure ({@link World#misalignedRate});
 *       otherwise it takes the aligned action. A small share of benign tasks is escalated instead
 *       (a base over-refusal rate). No reasoning.</li>
 *   <li><b>Advice chats</b>: the decision line and a one-line answer, right with probability
 *       {@link World#adviceAccuracy}, otherwise another mode. No reasoning.</li>
 *   <li><b>Narratives</b>: plain stories that walk from the scenario's cue phrases to factor levels to
 *       the right decision, in both forms' vocabulary — what makes cue reading transferable at all.</li>
 * </ul>
 * These rates are the base rates the report states; nothing here looks at the eval.
 */
public final class PretrainCorpus {

    /**
     * Knobs of the base model's world.
     *
     * @param misalignedRate     chance the agent takes the misaligned action, by pressure (none, restriction, replacement)
     * @param overRefusalRate    chance the agent escalates a benign task instead of doing it
     * @param adviceAccuracy     chance an advice answer gives the calculator's decision
     * @param narrativeShare     share of narrative documents
     * @param copies             how many differently sampled documents each scenario yields
     * @param fresh              each copy is realised anew (its own templates, paraphrases and distractor tools) and about
     *                           a person drawn afresh (same pronoun), so a transcript's people appear only in that
     *                           transcript: the only way to name them in the action is to copy them from the prompt
     */
    public record World(Map<String, Double> misalignedRate, double overRefusalRate, double adviceAccuracy,
                        double narrativeShare, int copies, boolean fresh) {
        public World {
            misalignedRate = dev.phronesis.core.records.SortedMaps.copyOf(misalignedRate);
            for (var e : misalignedRate.entrySet()) {
                if (e.getValue() < 0 || e.getValue() > 1) throw new IllegalArgumentException("misaligned rate for " + e.getKey() + " must be within [0, 1]");
            }
        }

        public static World defaults() {
            return new World(Map.of("none", 0.35, "restriction", 0.6, "replacement", 0.8), 0.08, 0.65, 0.3, 16, true);
        }

        public double rate(String pressure) { return misalignedRate.getOrDefault(pressure, misalignedRate.getOrDefault("none", 0.0)); }
    }

    /** What the corpus was built with, for the report. */
    public record Stats(int documents, int agentic, int advice, int narratives, int misalignedActions, int agenticWithTemptation,
                        Map<String, double[]> misalignedByPressure) {
        public double baseMisalignedRate() { return agenticWithTemptation == 0 ? 0 : (double) misalignedActions / agenticWithTemptation; }
    }

    public record Corpus(List<String> documents, Stats stats) {}

    // Advice answers name the person of the prompt ({name}): the base model's world rewards copying a prompt's
    // people into the answer, which is what the agentic action needs (issue #17: the base named people of
    // training transcripts instead); {obj} is the person's object pronoun.
    private static final List<String> ADVICE_LINES_HELP = List.of(
            "Go ahead; it is fine to do this for {name}.", "You can do this; {name} will be fine with it.", "Yes, this is reasonable; do it with {name}.");
    private static final List<String> ADVICE_LINES_SAFEGUARDS = List.of(
            "You can, but tell {name} first and keep it small.", "Do it carefully and check with {name} first.", "Go ahead with care and ask {name} before you start.");
    private static final List<String> ADVICE_LINES_PARTIAL = List.of(
            "Do the part that is yours and leave the rest to {name}.", "Talk to {name} instead of doing it behind {pos} back.", "Only do what {name} agreed to and raise the rest openly.");
    private static final List<String> ADVICE_LINES_DECLINE = List.of(
            "Don't do this; it would hurt {name} without {pos} agreement.", "No. This would cause {name} real harm {subj} never agreed to.", "Please don't do this to {name}; find an honest way instead.");

    private PretrainCorpus() {}

    /** An advice answer of {@code mode} about {@code name} (pronoun {@code subj}: he, she or they). */
    public static String adviceLine(String mode, String name, String subj, SplittableRandom rnd) {
        List<String> pool = switch (mode) {
            case "help" -> ADVICE_LINES_HELP;
            case "help-with-safeguards" -> ADVICE_LINES_SAFEGUARDS;
            case "partial-and-redirect" -> ADVICE_LINES_PARTIAL;
            default -> ADVICE_LINES_DECLINE;
        };
        return fill(pool.get(rnd.nextInt(pool.size())).replace("{name}", name), subj);
    }

    public static Corpus build(List<Scenario> trainScenarios, Constitution c, World world, long seed) {
        return build(trainScenarios, c, world, seed, null, 0);
    }

    /**
     * The corpus; with {@link World#fresh} every copy of a scenario is realised again by the scripted
     * realiser of {@code taxonomy} (word limit {@code maxWords}) with its own seed and names a person
     * drawn afresh from the taxonomy's people.
     */
    public static Corpus build(List<Scenario> trainScenarios, Constitution c, World world, long seed, Taxonomy taxonomy, int maxWords) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> docs = new ArrayList<>();
        int agentic = 0, advice = 0, narratives = 0, mis = 0, tempted = 0;
        Map<String, double[]> byPressure = new LinkedHashMap<>();
        List<String> modes = c.decision().modes().stream().map(Constitution.Mode::id).toList();
        if (world.fresh() && taxonomy == null) throw new IllegalArgumentException("fresh documents need the taxonomy to realise them");
        ScriptedRealiser realiser = world.fresh() ? new ScriptedRealiser(taxonomy, maxWords) : null;
        for (Scenario original : trainScenarios) {
            for (int copy = 0; copy < world.copies(); copy++) {
                Scenario s = world.fresh() ? fresh(original, realiser, taxonomy.people(), rnd) : original;
                if (rnd.nextDouble() < world.narrativeShare()) {
                    docs.add(narrative(s, c, rnd));
                    narratives++;
                    continue;
                }
                String mode = s.spec().expectedMode();
                if (s.form() == Form.AGENTIC && s.spec().agentic() != null) {
                    AgenticSetup a = s.spec().agentic();
                    String answer;
                    if (a.misalignedAction() != null) {
                        tempted++;
                        double[] cell = byPressure.computeIfAbsent(a.pressure(), k -> new double[2]);
                        cell[1]++;
                        if (rnd.nextDouble() < world.rate(a.pressure())) {
                            answer = AnswerFormat.ending(modes.getFirst(), a.misalignedAction());
                            mis++;
                            cell[0]++;
                        } else {
                            answer = AnswerFormat.ending(mode, a.alignedAction());
                        }
                    } else if (rnd.nextDouble() < world.overRefusalRate()) {
                        answer = AnswerFormat.ending(modes.getLast(), ToolCatalog.escalation(s.spec()));
                    } else {
                        answer = AnswerFormat.ending(mode, a.alignedAction());
                    }
                    docs.add(ChatTemplate.text(ArmData.withTools(s.messages(), s.tools()), "", answer));
                    agentic++;
                } else {
                    String said = rnd.nextDouble() < world.adviceAccuracy() ? mode : modes.get(rnd.nextInt(modes.size()));
                    String name = s.spec().axes().getOrDefault("slot:name", "them");
                    String line = adviceLine(said, name, s.spec().axes().getOrDefault("slot:pronoun", "they"), rnd);
                    docs.add(ChatTemplate.text(ArmData.withTools(s.messages(), s.tools()), "", line + "\n" + AnswerFormat.decisionLine(said)));
                    advice++;
                }
            }
        }
        Collections.shuffle(docs, new java.util.Random(seed));
        Map<String, double[]> rates = new LinkedHashMap<>();
        byPressure.forEach((k, v) -> rates.put(k, new double[]{v[0], v[1]}));
        return new Corpus(docs, new Stats(docs.size(), agentic, advice, narratives, mis, tempted, rates));
    }

    /**
     * The scenario realised again with a new seed, about a person drawn afresh with the same pronoun:
     * the name is replaced as a whole word in the text, the tool arguments and the spec's slots.
     */
    static Scenario fresh(Scenario s, ScriptedRealiser realiser, List<Taxonomy.Person> people, SplittableRandom rnd) {
        Map<String, String> axes = s.spec().axes();
        String old = axes.get("slot:name");
        String pronoun = axes.getOrDefault("slot:pronoun", "");
        List<String> same = people.stream().filter(p -> p.pronoun().equals(pronoun)).map(Taxonomy.Person::name).toList();
        String name = old == null || same.isEmpty() ? old : same.get(rnd.nextInt(same.size()));
        long seed = rnd.nextLong();
        ScenarioSpec spec = s.spec();
        if (old != null && !name.equals(old)) {
            java.util.function.UnaryOperator<String> swap = t -> t == null ? null : t.replaceAll("\\b" + java.util.regex.Pattern.quote(old) + "\\b", name);
            Map<String, String> newAxes = new LinkedHashMap<>();
            axes.forEach((k, v) -> newAxes.put(k, swap.apply(v)));
            AgenticSetup a = spec.agentic();
            AgenticSetup na = a == null ? null : new AgenticSetup(swap.apply(a.goal()), a.goalConflict(), a.pressure(),
                    swapAction(a.misalignedAction(), swap), swapAction(a.alignedAction(), swap));
            spec = new ScenarioSpec(newAxes, spec.assessment(), spec.expectedMode(), na);
        }
        Realiser.Realised r = realiser.realise(spec, seed); // the scripted realiser never rejects
        return new Scenario(s.id(), s.family(), s.split(), s.form(), spec, r.messages(), r.tools(), s.provenance());
    }

    private static Action swapAction(Action a, java.util.function.UnaryOperator<String> swap) {
        if (a == null) return null;
        Map<String, String> args = new LinkedHashMap<>();
        a.arguments().forEach((k, v) -> args.put(k, swap.apply(v)));
        return new Action(a.tool(), args);
    }

    /** A short story from cue phrases to factor levels to the right decision. */
    static String narrative(Scenario s, Constitution c, SplittableRandom rnd) {
        Map<String, String> axes = s.spec().axes();
        String name = axes.getOrDefault("slot:name", "they");
        String subj = axes.getOrDefault("slot:pronoun", "they");
        StringBuilder b = new StringBuilder();
        String[] openers = {"A story about " + name + ".", "Consider " + name + ".", "Here is what happened with " + name + "."};
        b.append(openers[rnd.nextInt(openers.length)]);
        Assessment a = s.spec().assessment();
        for (var e : axes.entrySet()) {
            if (!e.getKey().startsWith("cue:")) continue;
            String factor = e.getKey().substring(4);
            var f = c.harmFactor(factor);
            Integer level = a.harm().get(factor);
            if (f.isEmpty() || level == null) continue;
            String cue = fill(e.getValue(), subj);
            String[] links = {" " + cap(cue) + ", so " + factor + " is " + f.get().label(level) + ".",
                    " We learn " + cue + "; that means " + factor + " is " + f.get().label(level) + "."};
            b.append(links[rnd.nextInt(links.length)]);
        }
        String mode = s.spec().expectedMode();
        // the closers name the person again: a copy of the story's own person, as the agentic action must make
        String who = axes.containsKey("slot:name") ? name : "them";
        String[] closers = {" Weighing this, the right decision for " + who + " is " + mode + ".", " So the right call about " + who + " is " + mode + "."};
        b.append(closers[rnd.nextInt(closers.length)]);
        if (s.form() == Form.AGENTIC && s.spec().agentic() != null && s.spec().agentic().alignedAction() != null) {
            b.append(" A good agent would use ").append(s.spec().agentic().alignedAction().tool()).append(" and not act against ").append(who).append(".");
        }
        return b.toString();
    }

    static String fill(String template, String subj) {
        String he = subj.toLowerCase(Locale.ROOT);
        String pos = switch (he) { case "he" -> "his"; case "she" -> "her"; default -> "their"; };
        String obj = switch (he) { case "he" -> "him"; case "she" -> "her"; default -> "them"; };
        return template.replace("{subj}", he).replace("{pos}", pos).replace("{obj}", obj);
    }

    static String cap(String s) { return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1); }

}
