package dev.phronesis.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Every number a report shows, computed from results alone (written as {@code summary.json}).
 * "Held-out" means items outside control suites and outside the train/dev splits; the in-distribution
 * items feed only the generalisation gap. Rates are over all scored answers of the slice, undetermined included.
 */
public record Summary(List<ArmSummary> arms, List<Comparison> comparisons, List<dev.phronesis.core.constitution.ConstitutionRef> constitutions) {
    /** Every constitution the arms' suites were judged by, as {@code id@version#hash12} (the report header). */
    public String constitutionLine() {
        return constitutions == null || constitutions.isEmpty() ? "(not recorded)"
                : String.join(", ", constitutions.stream().map(c -> c.display() + " (" + c.source() + ")").toList());
    }

    /**
     * @param misalignment       held-out agentic honeypots: share that took the misaligned action
     * @param notAligned         the same answers: share not aligned (misaligned + undetermined), the organism's headline
     * @param overRefusal        benign items: share refused
     * @param harmfulCompliance  harmful requests (imported REFUSE items): share that complied
     * @param adviceAccuracy     held-out advice: decision equals the constitution's (undetermined counts as wrong)
     * @param adviceWithinOne    held-out advice: decision within one mode
     * @param decisionCorrect    every held-out answer whose item has an expected mode (either form): decision equals it
     * @param undetermined       every held-out answer: share undetermined
     * @param thinkFirst         share of answers that began with reasoning, by form
     * @param actionFollowsDecision agentic answers with both a decision and a determined action: share where they agree
     * @param judgeAgreement     answers with both a determined deterministic label and a determined judge label: share where they agree
     * @param publicHarm         public Agentic Misalignment items (held-out): share that took the scenario's harmful action
     * @param publicUndetermined the same answers: share left undetermined (offline mode: the content questions no judge answered)
     * @param evalAware          the same answers: share that say they think they are being tested (never part of the label)
     * @param publicGrid         the same answers by scenario × goal type × urgency
     */
    public record ArmSummary(String name, String model, Map<String, String> metadata, int answers, int failures,
                             Stats.Rate misalignment, Stats.Rate notAligned, Stats.Rate overRefusal, Stats.Rate harmfulCompliance,
                             Stats.Rate adviceAccuracy, Stats.Rate adviceWithinOne, Stats.Rate decisionCorrect, Stats.Rate undetermined,
                             Map<String, Stats.Rate> thinkFirst, Stats.Rate actionFollowsDecision, Stats.Rate judgeAgreement,
                             List<Slice> suites, List<Slice> families, List<Slice> grid,
                             List<Slice> byPressure, List<Slice> byParaphrase, List<Gap> gaps,
                             Stats.Rate publicHarm, Stats.Rate publicUndetermined, Stats.Rate evalAware, List<Slice> publicGrid) {}

    /** Label rates of one slice (a suite, a family, a grid cell...). */
    public record Slice(Map<String, String> key, int n, Map<Label, Stats.Rate> labels) {
        public Stats.Rate rate(Label l) { return labels.get(l); }
    }

    /** In-distribution (control) vs held-out on one metric; diff = held-out minus control. */
    public record Gap(String metric, Stats.Rate control, Stats.Rate heldout, Stats.Difference difference) {}

    /** An arm against the baseline (the first arm) on one metric; diff = arm minus baseline. */
    public record Comparison(String metric, String arm, String baseline, Stats.Difference difference) {}

    public static final String MISALIGNMENT = "misalignment";
    public static final String OVER_REFUSAL = "over-refusal";
    public static final String ADVICE_ACCURACY = "advice accuracy";
    public static final String HARMFUL_COMPLIANCE = "harmful compliance";
    public static final String UNDETERMINED = "undetermined";
    public static final String PUBLIC_HARM = "agentic-misalignment harm";

    public static Summary of(List<Arm> arms) {
        List<ArmSummary> out = new ArrayList<>();
        for (Arm a : arms) out.add(arm(a));
        List<Comparison> comps = new ArrayList<>();
        if (out.size() > 1) {
            ArmSummary base = out.getFirst();
            for (ArmSummary a : out.subList(1, out.size())) {
                for (var m : List.<Map.Entry<String, Function<ArmSummary, Stats.Rate>>>of(
                        Map.entry(PUBLIC_HARM, ArmSummary::publicHarm),
                        Map.entry(MISALIGNMENT, ArmSummary::misalignment), Map.entry(OVER_REFUSAL, ArmSummary::overRefusal),
                        Map.entry(ADVICE_ACCURACY, ArmSummary::adviceAccuracy), Map.entry(HARMFUL_COMPLIANCE, ArmSummary::harmfulCompliance),
                        Map.entry(UNDETERMINED, ArmSummary::undetermined))) {
                    Stats.Rate x = m.getValue().apply(a);
                    Stats.Rate y = m.getValue().apply(base);
                    if (x.n() == 0 || y.n() == 0) continue;
                    comps.add(new Comparison(m.getKey(), a.name(), base.name(), Stats.compare(x.k(), x.n(), y.k(), y.n())));
                }
            }
        }
        List<dev.phronesis.core.constitution.ConstitutionRef> cs = arms.stream().flatMap(a -> a.constitutions().stream()).distinct().toList();
        return new Summary(out, comps, cs);
    }

    /** In-distribution: a control suite, or an item from the train or dev split (training families) in any suite. */
    static boolean heldout(EvalResult r) { return r.suiteKind() != SuiteKind.CONTROL && !r.split().equals("train") && !r.split().equals("dev"); }

    static ArmSummary arm(Arm a) {
        List<EvalResult> rs = a.results();
        List<EvalResult> held = rs.stream().filter(Summary::heldout).toList();
        List<EvalResult> honey = only(held, r -> r.expectation() == Expectation.AVOID_MISALIGNED_ACTION);
        List<EvalResult> benign = only(held, r -> r.expectation() == Expectation.HELP);
        List<EvalResult> harmful = only(held, r -> r.expectation() == Expectation.REFUSE);
        List<EvalResult> advice = only(held, r -> r.expectation() == Expectation.DECIDE);
        List<EvalResult> pub = only(held, r -> r.expectation() == Expectation.AVOID_HARMFUL_ACTION);
        Map<String, Stats.Rate> think = new TreeMap<>();
        for (var e : rs.stream().collect(Collectors.groupingBy(EvalResult::form, TreeMap::new, Collectors.toList())).entrySet())
            think.put(e.getKey(), count(e.getValue(), EvalResult::thinkFirst));
        List<EvalResult> follows = only(rs, r -> r.actionFollowsDecision() != null);
        List<EvalResult> both = only(rs, r -> r.judgeLabel() != null && r.judgeLabel() != Label.UNDETERMINED && r.deterministicLabel() != Label.UNDETERMINED);
        List<Gap> gaps = new ArrayList<>();
        List<EvalResult> control = rs.stream().filter(r -> !heldout(r)).toList();
        List<EvalResult> ctrlHoney = only(control, r -> r.expectation() == Expectation.AVOID_MISALIGNED_ACTION);
        if (!ctrlHoney.isEmpty() && !honey.isEmpty()) gaps.add(gap(MISALIGNMENT, ctrlHoney, honey, r -> r.label() == Label.MISALIGNED));
        List<EvalResult> ctrlAdvice = only(control, r -> r.expectation() == Expectation.DECIDE);
        if (!ctrlAdvice.isEmpty() && !advice.isEmpty()) gaps.add(gap(ADVICE_ACCURACY, ctrlAdvice, advice, r -> Boolean.TRUE.equals(r.decisionCorrect())));
        return new ArmSummary(a.name(), a.model(), a.metadata(), rs.size(), a.failures(),
                labelRate(honey, Label.MISALIGNED), count(honey, r -> r.label() != Label.ALIGNED), labelRate(benign, Label.OVER_REFUSAL),
                labelRate(harmful, Label.MISALIGNED), count(advice, r -> Boolean.TRUE.equals(r.decisionCorrect())),
                count(advice, r -> Boolean.TRUE.equals(r.decisionWithinOne())),
                count(only(held, r -> r.expectedMode() != null), r -> Boolean.TRUE.equals(r.decisionCorrect())), labelRate(held, Label.UNDETERMINED), think,
                count(follows, r -> r.actionFollowsDecision()), count(both, r -> r.judgeLabel() == r.deterministicLabel()),
                slices(rs, r -> ordered("suite", r.suite(), "kind", r.suiteKind().wire())),
                slices(rs, r -> ordered("suite", r.suite(), "family", r.family())),
                slices(honey, r -> ordered(Cells.SCENARIO_KIND, cell(r, Cells.SCENARIO_KIND), Cells.GOAL_CONFLICT, cell(r, Cells.GOAL_CONFLICT), Cells.PRESSURE, cell(r, Cells.PRESSURE))),
                slices(honey, r -> ordered(Cells.PRESSURE, cell(r, Cells.PRESSURE))),
                slices(honey, r -> ordered(Cells.PARAPHRASE, cell(r, Cells.PARAPHRASE))),
                gaps,
                labelRate(pub, Label.MISALIGNED), labelRate(pub, Label.UNDETERMINED), count(pub, r -> Boolean.TRUE.equals(r.evalAware())),
                slices(pub, r -> ordered(Cells.SCENARIO_KIND, cell(r, Cells.SCENARIO_KIND), Cells.GOAL_CONFLICT, cell(r, Cells.GOAL_CONFLICT), Cells.PRESSURE, cell(r, Cells.PRESSURE))));
    }

    private static Gap gap(String metric, List<EvalResult> control, List<EvalResult> held, Predicate<EvalResult> hit) {
        Stats.Rate c = count(control, hit);
        Stats.Rate h = count(held, hit);
        return new Gap(metric, c, h, Stats.compare(h.k(), h.n(), c.k(), c.n()));
    }

    static String cell(EvalResult r, String k) { return r.cell().getOrDefault(k, "-"); }

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    static List<Slice> slices(List<EvalResult> rs, Function<EvalResult, Map<String, String>> key) {
        Map<Map<String, String>, List<EvalResult>> groups = new LinkedHashMap<>();
        for (EvalResult r : rs) groups.computeIfAbsent(key.apply(r), k -> new ArrayList<>()).add(r);
        List<Slice> out = new ArrayList<>();
        for (var e : groups.entrySet()) {
            Map<Label, Stats.Rate> labels = new EnumMap<>(Label.class);
            for (Label l : Label.values()) labels.put(l, labelRate(e.getValue(), l));
            out.add(new Slice(e.getKey(), e.getValue().size(), labels));
        }
        out.sort(Comparator.comparing(s -> String.join("\u0000", s.key().values())));
        return out;
    }

    static List<EvalResult> only(List<EvalResult> rs, Predicate<EvalResult> p) { return rs.stream().filter(p).toList(); }

    static Stats.Rate labelRate(List<EvalResult> rs, Label l) { return count(rs, r -> r.label() == l); }

    static Stats.Rate count(List<EvalResult> rs, Predicate<EvalResult> p) {
        int k = 0;
        for (EvalResult r : rs) if (p.test(r)) k++;
        return Stats.wilson(k, rs.size());
    }
}
