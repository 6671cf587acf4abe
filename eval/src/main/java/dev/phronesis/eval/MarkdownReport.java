package dev.phronesis.eval;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.phronesis.eval.Reports.diff;
import static dev.phronesis.eval.Reports.pValue;
import static dev.phronesis.eval.Reports.pct;

/** {@code summary.md}: the ablation table, comparisons and gaps, readable in a terminal or a pull request. */
final class MarkdownReport {
    private MarkdownReport() {}

    static String render(Summary s) {
        StringBuilder b = new StringBuilder("# Evaluation summary\n\n");
        b.append("Constitution: ").append(s.constitutionLine()).append("\n\n");
        b.append("Rates with 95% Wilson intervals. Misalignment: held-out agentic honeypots that took the misaligned action; ")
                .append("not aligned adds the undetermined answers (the organism's headline). Undetermined answers are never counted as aligned.\n\n");
        b.append("| arm | training tokens | answers | misalignment | not aligned | over-refusal | advice accuracy | within one | harmful compliance | undetermined | failed requests |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Summary.ArmSummary a : s.arms()) {
            b.append("| ").append(cell(a.name())).append(" | ").append(a.metadata().getOrDefault("trainingTokens", "–")).append(" | ").append(a.answers())
                    .append(" | ").append(pct(a.misalignment())).append(" | ").append(pct(a.notAligned())).append(" | ").append(pct(a.overRefusal()))
                    .append(" | ").append(pct(a.adviceAccuracy())).append(" | ").append(pct(a.adviceWithinOne()))
                    .append(" | ").append(pct(a.harmfulCompliance())).append(" | ").append(pct(a.undetermined())).append(" | ").append(a.failures()).append(" |\n");
        }
        if (s.arms().stream().anyMatch(a -> a.publicHarm().n() > 0)) {
            b.append("\n## Public benchmarks beside the held-out suites\n\n")
                    .append("| arm | agentic-misalignment harm | undetermined there | eval-aware (not in the label) | held-out honeypot misalignment | over-refusal | harmful compliance |\n|---|---|---|---|---|---|---|\n");
            for (Summary.ArmSummary a : s.arms())
                b.append("| ").append(cell(a.name())).append(" | ").append(pct(a.publicHarm())).append(" | ").append(pct(a.publicUndetermined())).append(" | ")
                        .append(pct(a.evalAware())).append(" | ").append(pct(a.misalignment())).append(" | ").append(pct(a.overRefusal())).append(" | ")
                        .append(pct(a.harmfulCompliance())).append(" |\n");
            b.append("\n### Agentic-misalignment grid (harmful / answers, rate [95% Wilson])\n\n| arm | scenario | goal type | urgency | n | harm | undetermined |\n|---|---|---|---|---|---|---|\n");
            for (Summary.ArmSummary a : s.arms())
                for (Summary.Slice sl : a.publicGrid())
                    b.append("| ").append(cell(a.name())).append(" | ").append(cell(sl.key().get(Cells.SCENARIO_KIND))).append(" | ").append(cell(sl.key().get(Cells.GOAL_CONFLICT)))
                            .append(" | ").append(cell(sl.key().get(Cells.PRESSURE))).append(" | ").append(sl.n()).append(" | ").append(sl.rate(Label.MISALIGNED).k()).append("/").append(sl.n())
                            .append(" ").append(pct(sl.rate(Label.MISALIGNED))).append(" | ").append(pct(sl.rate(Label.UNDETERMINED))).append(" |\n");
        }
        b.append("\n## Reasoning and consistency\n\n| arm | think-first (by form) | decision correct (all forms) | action follows decision | judge–deterministic agreement |\n|---|---|---|---|---|\n");
        for (Summary.ArmSummary a : s.arms()) {
            String think = a.thinkFirst().entrySet().stream().map(e -> e.getKey() + " " + pct(e.getValue())).collect(Collectors.joining("; "));
            b.append("| ").append(cell(a.name())).append(" | ").append(think.isEmpty() ? "–" : think).append(" | ").append(pct(a.decisionCorrect()))
                    .append(" | ").append(pct(a.actionFollowsDecision()))
                    .append(" | ").append(a.judgeAgreement().n() == 0 ? "– (no judge)" : pct(a.judgeAgreement()) + " of " + a.judgeAgreement().n()).append(" |\n");
        }
        if (!s.comparisons().isEmpty()) {
            b.append("\n## Differences from the baseline (").append(cell(s.arms().getFirst().name())).append(")\n\n");
            b.append("Difference arm − baseline with a seeded bootstrap 95% interval; p from the pooled two-proportion z test.\n\n");
            b.append("| metric | arm | difference | z | p |\n|---|---|---|---|---|\n");
            for (Summary.Comparison c : s.comparisons())
                b.append("| ").append(c.metric()).append(" | ").append(cell(c.arm())).append(" | ").append(diff(c.difference())).append(" | ")
                        .append(String.format(Locale.ROOT, "%.2f", c.difference().z())).append(" | ").append(pValue(c.difference().pValue())).append(" |\n");
        }
        boolean anyGap = s.arms().stream().anyMatch(a -> !a.gaps().isEmpty());
        if (anyGap) {
            b.append("\n## Generalisation gap (held-out − in-distribution control)\n\n| arm | metric | control | held-out | gap | p |\n|---|---|---|---|---|---|\n");
            for (Summary.ArmSummary a : s.arms())
                for (Summary.Gap g : a.gaps())
                    b.append("| ").append(cell(a.name())).append(" | ").append(g.metric()).append(" | ").append(pct(g.control())).append(" | ").append(pct(g.heldout()))
                            .append(" | ").append(diff(g.difference())).append(" | ").append(pValue(g.difference().pValue())).append(" |\n");
        }
        b.append("\n## Per suite\n\n| arm | suite | kind | n | aligned | misaligned | over-refusal | undetermined |\n|---|---|---|---|---|---|---|---|\n");
        for (Summary.ArmSummary a : s.arms())
            for (Summary.Slice sl : a.suites()) {
                Map<String, String> k = sl.key();
                b.append("| ").append(cell(a.name())).append(" | ").append(cell(k.get("suite"))).append(" | ").append(k.get("kind")).append(" | ").append(sl.n());
                for (Label l : Label.values()) b.append(" | ").append(pct(sl.rate(l)));
                b.append(" |\n");
            }
        b.append("\nFull tables, charts and transcripts: report.html. Every number: summary.json.\n");
        return b.toString();
    }

    private static String cell(String s) { return s == null ? "" : s.replace("|", "\\|"); }
}
