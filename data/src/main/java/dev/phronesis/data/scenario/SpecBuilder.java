package dev.phronesis.data.scenario;

import dev.phronesis.core.UserError;
import dev.phronesis.core.calculator.Assessment;
import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.Constitution.Factor;
import dev.phronesis.core.records.Action;
import dev.phronesis.core.records.AgenticSetup;
import dev.phronesis.core.records.ScenarioSpec;
import dev.phronesis.core.records.Split;
import dev.phronesis.data.scenario.Taxonomy.Axis;
import dev.phronesis.data.scenario.Taxonomy.AxisValue;
import dev.phronesis.data.scenario.Taxonomy.CuePool;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Turns a row of axis values into a {@link ScenarioSpec}: the assessment the values imply, the
 * calculator's expected mode, the concrete content (who, what, which cue paraphrase) and, for the
 * agentic form, the requested tool call and the aligned alternative.
 *
 * <p>Spec axes hold the taxonomy values plus {@code slot:*} (content facts), {@code cue:FACTOR}
 * (the paraphrase used) and {@code cuepool:FACTOR} ({@code train} or {@code heldout}).
 */
final class SpecBuilder {
    /** Phrase slots the realiser varies per rendering; every other text slot is a content fact fixed in the spec. */
    static final Set<String> TEMPLATE_SLOTS = Set.of("situation", "act", "line", "agentic_line", "tool");

    private final Taxonomy taxonomy;
    private final Constitution constitution;
    private final DeliberationCalculator calculator;
    /** Share of dev/held-out scenarios whose cues use held-out paraphrases (the rest use train ones). */
    private final double heldoutCueShare;

    SpecBuilder(Taxonomy taxonomy, Constitution constitution, double heldoutCueShare) {
        this.taxonomy = taxonomy;
        this.constitution = constitution;
        this.calculator = new DeliberationCalculator(constitution);
        this.heldoutCueShare = heldoutCueShare;
        validateAgainstConstitution();
    }

    Constitution constitution() { return constitution; }

    private void validateAgainstConstitution() {
        for (Axis a : taxonomy.axes()) {
            for (AxisValue v : a.values()) {
                levels(v.harm(), constitution.harmFactors(), v.where(), "harm factor");
                levels(v.benefits(), constitution.benefits(), v.where(), "benefit");
                String tool = v.phrases("tool").isEmpty() ? null : v.phrases("tool").getFirst();
                if (tool != null && !ToolCatalog.has(tool)) {
                    throw new UserError(v.where() + ": unknown tool '" + tool + "'" + dev.phronesis.core.yaml.YMapReader.didYouMean(tool, ToolCatalog.names())
                            + "; tools are " + ToolCatalog.names());
                }
                if (!v.mix().isEmpty()) {
                    try { calculator.misuseShare(v.mix()); } catch (UserError e) { throw new UserError(v.where() + ": " + e.getMessage()); }
                }
                for (String f : v.flags()) {
                    try { calculator.compile(new Assessment(Map.of(), Map.of(), Map.of(), Set.of(f))); }
                    catch (UserError e) { throw new UserError(v.where() + ": " + e.getMessage()); }
                }
            }
        }
    }

    private static Map<String, Integer> levels(Map<String, String> labels, List<Factor> factors, String where, String what) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (var e : labels.entrySet()) {
            Factor f = factors.stream().filter(x -> x.id().equals(e.getKey())).findFirst().orElseThrow(() -> new UserError(
                    where + ": unknown " + what + " '" + e.getKey() + "'" + dev.phronesis.core.yaml.YMapReader.didYouMean(e.getKey(), factors.stream().map(Factor::id).toList())));
            int level = f.levelOf(e.getValue()).orElseThrow(() -> new UserError(where + ": " + e.getKey() + " has no level '" + e.getValue() + "'; levels are "
                    + f.levels().stream().map(Constitution.Level::label).toList()));
            out.put(e.getKey(), level);
        }
        return out;
    }

    /** The assessment a row of axis values implies (later axes override earlier ones on the same factor). */
    Assessment assessment(Map<String, String> row) {
        Map<String, Integer> harm = new LinkedHashMap<>();
        Map<String, Integer> benefits = new LinkedHashMap<>();
        Map<String, Integer> mix = Map.of();
        Set<String> flags = new LinkedHashSet<>();
        for (Axis a : taxonomy.axes()) {
            String vid = row.get(a.id());
            if (vid == null) continue;
            AxisValue v = a.value(vid);
            harm.putAll(levels(v.harm(), constitution.harmFactors(), v.where(), "harm factor"));
            benefits.putAll(levels(v.benefits(), constitution.benefits(), v.where(), "benefit"));
            if (!v.mix().isEmpty()) mix = v.mix();
            flags.addAll(v.flags());
        }
        return new Assessment(harm, benefits, mix, flags);
    }

    /** Whether the calculator's decision agrees with what the row's values expect (the kind axis). */
    boolean meetsExpectation(Map<String, String> row) {
        String mode = calculator.decideMode(assessment(row));
        for (Axis a : taxonomy.axes()) {
            String vid = row.get(a.id());
            if (vid == null) continue;
            boolean ok = switch (a.value(vid).expect()) {
                case ANY -> true;
                case RESTRICTIVE -> modeIndex(mode) == constitution.decision().modes().size() - 1;
                case PERMISSIVE -> isPermissive(mode);
            };
            if (!ok) return false;
        }
        return true;
    }

    int modeIndex(String mode) { return constitution.decision().indexOf(mode); }

    /** The permissive half of the constitution's modes: the requested action is right to take. */
    boolean isPermissive(String mode) { return modeIndex(mode) < (constitution.decision().modes().size() + 1) / 2; }

    ScenarioSpec build(Map<String, String> row, Split split, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, String> axes = new LinkedHashMap<>(row);
        Map<String, String> slots = new HashMap<>();
        Taxonomy.Person p = taxonomy.people().get(rnd.nextInt(taxonomy.people().size()));
        slots.put("name", p.name());
        slots.putAll(Slots.pronouns(p.pronoun()));
        axes.put("slot:name", p.name());
        axes.put("slot:pronoun", p.pronoun());
        Map<String, Integer> stemIndex = new HashMap<>();
        for (Axis a : taxonomy.axes()) {
            String vid = row.get(a.id());
            if (vid == null) continue;
            AxisValue v = a.value(vid);
            for (var e : v.text().entrySet()) {
                if (TEMPLATE_SLOTS.contains(e.getKey())) continue;
                String stem = e.getKey().replaceAll("_(short|base)$", "");
                int idx = stemIndex.computeIfAbsent(stem, s -> rnd.nextInt(1 << 20));
                String phrase = e.getValue().get(idx % e.getValue().size());
                slots.put(e.getKey(), phrase);
            }
        }
        // fill nested slots (a secret may mention {pos}) so recorded facts read as plain text
        Map<String, String> filled = new HashMap<>(slots);
        for (var e : slots.entrySet()) filled.put(e.getKey(), Slots.fill(e.getValue(), slots, taxonomy.source()));
        // the person is the escalation's `about` argument (one of the contacts); the reason names no one, so
        // a call can only name a person through the address book
        filled.put("reason", ToolCatalog.ESCALATE_REASON);
        for (var e : new java.util.TreeMap<>(filled).entrySet()) {
            if (!Set.of("subj", "obj", "pos", "name", "reason").contains(e.getKey())) axes.put("slot:" + e.getKey(), e.getValue());
        }
        Assessment assessment = assessment(row);
        for (var f : taxonomy.cues().entrySet()) {
            Integer level = levelOf(assessment, f.getKey());
            if (level == null) continue;
            Factor factor = constitution.harmFactors().stream().filter(x -> x.id().equals(f.getKey())).findFirst().orElse(null);
            if (factor == null) continue;
            CuePool pool = f.getValue().get(factor.label(level));
            if (pool == null) continue;
            boolean heldoutPool = split != Split.TRAIN && !pool.heldout().isEmpty() && rnd.nextDouble() < heldoutCueShare;
            List<String> options = heldoutPool ? pool.heldout() : pool.train();
            axes.put("cue:" + f.getKey(), options.get(rnd.nextInt(options.size())));
            axes.put("cuepool:" + f.getKey(), heldoutPool ? "heldout" : "train");
        }
        String mode = calculator.decideMode(assessment);
        AgenticSetup agentic = null;
        if ("agentic".equals(row.get(Taxonomy.FORM))) agentic = agentic(row, filled, mode);
        return new ScenarioSpec(axes, assessment, mode, agentic);
    }

    private Integer levelOf(Assessment a, String factor) {
        Integer l = a.harm().get(factor);
        if (l != null) return l;
        for (Factor f : constitution.harmFactors()) if (f.id().equals(factor)) return f.defaultLevel();
        return null;
    }

    private AgenticSetup agentic(Map<String, String> row, Map<String, String> slots, String mode) {
        AxisValue dilemma = null;
        for (Axis a : taxonomy.axes()) {
            String vid = row.get(a.id());
            if (vid != null && !a.value(vid).phrases("tool").isEmpty()) dilemma = a.value(vid);
        }
        if (dilemma == null) throw new UserError(taxonomy.source() + ": agentic spec " + row + " has no value with a 'tool' text slot (the requested tool call)");
        String tool = dilemma.phrases("tool").getFirst();
        Action requested = ToolCatalog.action(tool, slots, dilemma.where());
        Action escalate = ToolCatalog.action(ToolCatalog.ESCALATE, slots, dilemma.where());
        String goal = slots.getOrDefault("goal", "help the " + slots.getOrDefault("place", "team"));
        boolean permissive = isPermissive(mode);
        return new AgenticSetup(goal, row.getOrDefault("goal-conflict", "none"), row.getOrDefault("pressure", "none"),
                permissive ? null : requested, permissive ? requested : escalate);
    }
}
