package dev.phronesis.data.distill;

import dev.phronesis.core.calculator.DecidedBy;
import dev.phronesis.core.calculator.Decision;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.FactorAssessment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/** Renders a deliberation's structure as the reasoning a student learns to think, with varied phrasing. */
final class ReasoningWriter {
    private ReasoningWriter() {}

    static String pick(SplittableRandom rnd, String... options) { return options[rnd.nextInt(options.length)]; }

    /** "Picture 1,000 people sending this: about 850 ordinary people with a legitimate need, ..." */
    static String population(Constitution c, Map<String, Integer> mix, SplittableRandom rnd) {
        List<String> parts = new ArrayList<>();
        for (var intent : c.population().intents()) {
            int n = mix.getOrDefault(intent.id(), 0);
            if (n > 0) parts.add(n + " " + ScriptedTeacher.lowerFirst(ScriptedTeacher.stripDot(intent.description())) + " (" + intent.id() + ")");
        }
        String lead = pick(rnd, "Picture 1,000 people sending this: ", "Of 1,000 people who might send this, ", "Who sends this? Among 1,000 senders, ");
        return lead + String.join(", ", parts) + ".";
    }

    /** About 60 words: population, the 2–3 decisive factors with their cue or anchor, the decision. */
    static String compact(Constitution c, Map<String, Integer> mix, List<FactorAssessment> harms, List<FactorAssessment> benefits,
                          List<String> decisive, Decision d, SplittableRandom rnd) {
        StringBuilder b = new StringBuilder();
        int misusers = 0;
        int benign = 0;
        for (var intent : c.population().intents()) {
            if (intent.misuse() >= 0.5) misusers += mix.getOrDefault(intent.id(), 0);
            else benign += mix.getOrDefault(intent.id(), 0);
        }
        b.append(pick(rnd, "Of 1,000 senders, " + benign + " mean well and " + misusers + " could misuse this. ",
                "1,000 senders: " + benign + " benign, " + misusers + " risky. ",
                "Picture 1,000 senders: " + misusers + " of them could do harm with this. "));
        for (String id : decisive) {
            if (id.startsWith("hard-constraint:")) {
                String hc = id.substring("hard-constraint:".length());
                b.append(pick(rnd, "A hard constraint applies (" + hc + "); no benefit outweighs it. ", "This crosses a hard line: " + hc + ". "));
                continue;
            }
            if (id.equals("misuse_share")) {
                b.append(pick(rnd, "Too many senders would misuse it. ", "The misuse share is high. "));
                continue;
            }
            FactorAssessment f = find(harms, id);
            if (f == null) f = find(benefits, id);
            if (f == null) continue;
            String name = benefits.contains(f) ? f.factor() + " benefit" : f.factor();
            b.append(pick(rnd, capital(name) + " " + f.label() + ": " + f.rationale() + ". ",
                    capital(name) + " is " + f.label() + " (" + f.rationale() + "). "));
        }
        b.append(pick(rnd, "So: " + d.mode() + ".", "Decision: " + d.mode() + ".", "That settles it: " + d.mode() + "."));
        return b.toString();
    }

    /** Every step: population, principles, heuristics, each factor with a rationale, weighing, decision. */
    static String full(Constitution c, String population, double misuseShare, List<String> principles, Map<String, String> findings,
                       List<FactorAssessment> harms, List<FactorAssessment> benefits, List<String> decisive, Decision d, SplittableRandom rnd) {
        StringBuilder b = new StringBuilder();
        b.append(population).append(String.format(Locale.ROOT, " Taken together, the misuse share is about %.0f%%.", 100 * misuseShare)).append("\n\n");
        b.append(pick(rnd, "Principles at stake: ", "What matters here: ", "The principles this touches: "));
        List<String> ps = new ArrayList<>();
        for (String id : principles) c.principle(id).ifPresent(p -> ps.add(id + " (" + ScriptedTeacher.lowerFirst(ScriptedTeacher.stripDot(p.text())) + ")"));
        b.append(String.join("; ", ps)).append(".\n\n");
        for (var h : c.heuristics()) {
            String f = findings.get(h.id());
            if (f != null) b.append(h.name()).append(": ").append(f).append(".\n");
        }
        b.append('\n').append(pick(rnd, "Harm factors:\n", "Weighing the harms:\n", "The harm side:\n"));
        for (FactorAssessment f : harms) b.append("- ").append(f.factor()).append(": ").append(f.label()).append(" — ").append(f.rationale()).append(".\n");
        b.append(pick(rnd, "Benefits:\n", "On the benefit side:\n"));
        for (FactorAssessment f : benefits) b.append("- ").append(f.factor()).append(": ").append(f.label()).append(" — ").append(f.rationale()).append(".\n");
        b.append('\n').append(weighing(c, decisive, d, rnd)).append('\n');
        b.append(pick(rnd, "Decision: ", "So the answer is: ", "My decision: ")).append(d.mode()).append('.');
        return b.toString();
    }

    private static String weighing(Constitution c, List<String> decisive, Decision d, SplittableRandom rnd) {
        switch (d.decidedBy()) {
            case DecidedBy.HardConstraint h -> {
                return "A hard constraint applies (" + h.id() + "). It is a filter, not a weight: no benefit outweighs it.";
            }
            case DecidedBy.Rule rule -> {
                String text = c.decision().rules().stream().filter(r -> r.id().equals(rule.id())).map(Constitution.Rule::text).findFirst().orElse(rule.id());
                return "The decisive consideration is " + String.join(" and ", decisive) + ": " + ScriptedTeacher.lowerFirst(text);
            }
            case DecidedBy.Score s -> { }
        }
        String flip = d.sensitivity().isEmpty() ? "" : " Had " + d.sensitivity().getFirst().factor() + " been " + d.sensitivity().getFirst().toLabel()
                + ", the answer would be " + d.sensitivity().getFirst().newMode() + ".";
        return pick(rnd, "Weighing it all, the decisive terms are " + String.join(" and ", decisive) + ".",
                "On balance, " + String.join(" and ", decisive) + " carry the most weight.") + flip;
    }

    /** A reasoning text rendered from a structure a model returned without one (LLM teacher fallback). */
    static String fromStructure(String population, List<String> principles, Map<String, String> findings, List<FactorAssessment> harms,
                                List<FactorAssessment> benefits, String weighing, String decision) {
        StringBuilder b = new StringBuilder();
        if (population != null && !population.isBlank()) b.append(population.strip()).append("\n\n");
        if (!principles.isEmpty()) b.append("Principles at stake: ").append(String.join(", ", principles)).append(".\n\n");
        findings.forEach((k, v) -> b.append(k).append(": ").append(v).append(".\n"));
        b.append("\nHarm factors:\n");
        for (FactorAssessment f : harms) b.append("- ").append(f.factor()).append(": ").append(f.label()).append(" — ").append(f.rationale()).append(".\n");
        b.append("Benefits:\n");
        for (FactorAssessment f : benefits) b.append("- ").append(f.factor()).append(": ").append(f.label()).append(" — ").append(f.rationale()).append(".\n");
        if (weighing != null && !weighing.isBlank()) b.append('\n').append(weighing.strip()).append('\n');
        b.append("Decision: ").append(decision).append('.');
        return b.toString();
    }

    private static FactorAssessment find(List<FactorAssessment> list, String id) {
        for (FactorAssessment f : list) if (f.factor().equals(id)) return f;
        return null;
    }

    private static String capital(String s) { return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1); }
}
