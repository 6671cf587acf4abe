package dev.phronesis.eval;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Agreement of a run's labels with human labels ({@code eval calibrate}): for the final labels, for each judge and for
 * the deterministic scorer where it decided, over all labelled answers and per suite — the confusion matrix, accuracy,
 * Cohen's kappa with a seeded bootstrap 95% interval, and every disagreement with the evidence on both sides.
 *
 * @param labelled   labels in the file (after last-wins)
 * @param matched    labels naming an answer the run has
 * @param unmatched  labels naming no answer of the run (suite/item/sample), listed so none is dropped silently
 */
public record Calibration(String runDir, String labelsFile, int labelled, int matched, List<String> unmatched, List<Agreement> agreements) {

    /** Whose labels are compared with the human's. */
    public static final String FINAL = "final";
    public static final String DETERMINISTIC = "deterministic";
    public static final String JUDGE_PREFIX = "judge ";
    /** The scope of agreement over every suite. */
    public static final String ALL_SUITES = "*";

    /**
     * @param rater     {@link #FINAL}, {@link #DETERMINISTIC} or {@code "judge <id>"}
     * @param suite     a suite id or {@link #ALL_SUITES}
     * @param n         labelled answers this rater decided (deterministic: only where it was not undetermined)
     * @param labels    the categories, in the order of the matrix rows (human) and columns (rater)
     * @param confusion confusion[i][j] = answers the human labelled labels[i] and the rater labels[j]
     * @param kappa     Cohen's kappa, or null where undefined (both used one category only)
     */
    public record Agreement(String rater, String suite, int n, List<Label> labels, List<List<Integer>> confusion, double accuracy,
                            Double kappa, Double kappaLo, Double kappaHi, List<Disagreement> disagreements) {}

    /** One answer where the rater and the human differ. */
    public record Disagreement(String suite, String item, int sample, Label human, Label rater, String raterEvidence, String humanNote, String calls) {}

    public static Calibration of(Path runDir, Path labelsFile) {
        if (!Files.isDirectory(runDir)) throw new UserError(runDir + ": no such run directory");
        Path resultsFile = runDir.resolve(EvalRunner.RESULTS);
        if (!Files.exists(resultsFile)) throw new UserError(runDir + ": no " + EvalRunner.RESULTS + " (not an eval run directory?)");
        if (!Files.isRegularFile(labelsFile)) throw new UserError(labelsFile + ": no such labels file");
        List<HumanLabel> human = HumanLabel.read(labelsFile);
        if (human.isEmpty()) throw new UserError(labelsFile + ": no labels in the file");
        Map<String, EvalResult> deterministic = new LinkedHashMap<>();
        for (EvalResult r : Jsonl.read(resultsFile, EvalResult.class, true)) deterministic.put(r.key(), r);
        Map<String, Judgment> judgments = EvalRunner.readJudgments(runDir);

        // rater -> (key -> [label, evidence])
        Map<String, Map<String, Rated>> raters = new TreeMap<>(Comparator.comparingInt(Calibration::raterOrder).thenComparing(Comparator.naturalOrder()));
        raters.put(FINAL, new LinkedHashMap<>());
        raters.put(DETERMINISTIC, new LinkedHashMap<>());
        List<String> unmatched = new ArrayList<>();
        List<HumanLabel> matched = new ArrayList<>();
        for (HumanLabel h : human) {
            EvalResult r = deterministic.get(h.key());
            if (r == null) { unmatched.add(h.suite() + "/" + h.item() + "#" + h.sample()); continue; }
            matched.add(h);
            Judgment j = judgments.get(h.key());
            EvalResult fin = j == null ? r : r.withJudge(j.label(), j.evidence());
            raters.get(FINAL).put(h.key(), new Rated(fin.label(), fin.evidence()));
            if (r.deterministicLabel() != Label.UNDETERMINED) raters.get(DETERMINISTIC).put(h.key(), new Rated(r.deterministicLabel(), r.evidence()));
            if (j != null && j.label() != null)
                raters.computeIfAbsent(JUDGE_PREFIX + j.judge(), k -> new LinkedHashMap<>()).put(h.key(), new Rated(j.label(), j.evidence()));
        }
        Set<String> suites = new TreeSet<>();
        matched.forEach(h -> suites.add(h.suite()));
        List<Agreement> out = new ArrayList<>();
        for (var rater : raters.entrySet()) {
            List<String> scopes = new ArrayList<>();
            scopes.add(ALL_SUITES);
            if (suites.size() > 1) scopes.addAll(suites);
            for (String scope : scopes) {
                List<HumanLabel> hs = matched.stream().filter(h -> (scope.equals(ALL_SUITES) || h.suite().equals(scope)) && rater.getValue().containsKey(h.key())).toList();
                if (hs.isEmpty()) continue;
                out.add(agreement(rater.getKey(), scope, hs, rater.getValue(), deterministic));
            }
        }
        return new Calibration(runDir.toString(), labelsFile.toString(), human.size(), matched.size(), unmatched, out);
    }

    private record Rated(Label label, String evidence) {}

    private static int raterOrder(String r) { return r.equals(FINAL) ? 0 : r.startsWith(JUDGE_PREFIX) ? 1 : 2; }

    private static Agreement agreement(String rater, String scope, List<HumanLabel> hs, Map<String, Rated> rated, Map<String, EvalResult> results) {
        EnumSet<Label> used = EnumSet.noneOf(Label.class);
        for (HumanLabel h : hs) { used.add(h.label()); used.add(rated.get(h.key()).label()); }
        List<Label> labels = List.copyOf(used);
        int k = labels.size();
        int[][] m = new int[k][k];
        int[] a = new int[hs.size()], b = new int[hs.size()];
        int agree = 0;
        List<Disagreement> dis = new ArrayList<>();
        for (int i = 0; i < hs.size(); i++) {
            HumanLabel h = hs.get(i);
            Rated r = rated.get(h.key());
            a[i] = labels.indexOf(h.label());
            b[i] = labels.indexOf(r.label());
            m[a[i]][b[i]]++;
            if (a[i] == b[i]) agree++;
            else {
                EvalResult res = results.get(h.key());
                dis.add(new Disagreement(h.suite(), h.item(), h.sample(), h.label(), r.label(), r.evidence(), h.note(),
                        res.calls().isEmpty() ? "no tool call" : res.calls().stream().map(AnswerScorer::describe).collect(Collectors.joining("; "))));
            }
        }
        double kappa = Stats.kappa(a, b, k);
        double[] ci = Stats.bootstrapKappa(a, b, k, Stats.BOOTSTRAP_REPS, Stats.BOOTSTRAP_SEED);
        List<List<Integer>> confusion = new ArrayList<>();
        for (int[] row : m) confusion.add(java.util.Arrays.stream(row).boxed().toList());
        return new Agreement(rater, scope, hs.size(), labels, confusion, (double) agree / hs.size(),
                nanToNull(kappa), nanToNull(ci[0]), nanToNull(ci[1]), dis);
    }

    private static Double nanToNull(double d) { return Double.isNaN(d) ? null : d; }

    /** A terminal/Markdown rendering: one table of agreement, then each matrix, then the disagreements. */
    public String markdown() {
        StringBuilder b = new StringBuilder("# Calibration against human labels\n\n");
        b.append(runDir).append(" vs ").append(labelsFile).append(": ").append(matched).append(" of ").append(labelled).append(" labels match an answer of the run");
        if (!unmatched.isEmpty()) b.append("; unmatched: ").append(String.join(", ", unmatched.subList(0, Math.min(10, unmatched.size()))))
                .append(unmatched.size() > 10 ? " and " + (unmatched.size() - 10) + " more" : "");
        b.append(".\nDeterministic: only the answers it decided. Kappa: Cohen's, with a seeded bootstrap 95% interval (")
                .append(Stats.BOOTSTRAP_REPS).append(" resamples).\n\n");
        b.append("| rater | suite | n | accuracy | kappa [95% CI] | disagreements |\n|---|---|---|---|---|---|\n");
        for (Agreement g : agreements)
            b.append("| ").append(g.rater()).append(" | ").append(g.suite().equals(ALL_SUITES) ? "all" : g.suite()).append(" | ").append(g.n())
                    .append(" | ").append(String.format(Locale.ROOT, "%.1f%%", 100 * g.accuracy())).append(" | ").append(kappaText(g))
                    .append(" | ").append(g.disagreements().size()).append(" |\n");
        for (Agreement g : agreements) {
            if (!g.suite().equals(ALL_SUITES)) continue;
            b.append("\n## ").append(g.rater()).append(": confusion (rows human, columns ").append(g.rater()).append(")\n\n| human \\\\ rater |");
            g.labels().forEach(l -> b.append(' ').append(l.wire()).append(" |"));
            b.append("\n|---|").append("---|".repeat(g.labels().size())).append('\n');
            for (int i = 0; i < g.labels().size(); i++) {
                b.append("| ").append(g.labels().get(i).wire()).append(" |");
                for (int c : g.confusion().get(i)) b.append(' ').append(c).append(" |");
                b.append('\n');
            }
            if (!g.disagreements().isEmpty()) {
                b.append("\nDisagreements:\n\n");
                for (Disagreement d : g.disagreements())
                    b.append("- ").append(d.suite()).append('/').append(d.item()).append(" #").append(d.sample()).append(": human ").append(d.human().wire())
                            .append(d.humanNote() == null ? "" : " (\"" + AnswerScorer.clip(d.humanNote()) + "\")").append(", ").append(g.rater()).append(' ')
                            .append(d.rater().wire()).append(" — ").append(d.raterEvidence()).append(" [calls: ").append(d.calls()).append("]\n");
            }
        }
        return b.toString();
    }

    static String kappaText(Agreement g) {
        if (g.kappa() == null) return "undefined (one category only)";
        return String.format(Locale.ROOT, "%.3f", g.kappa()) + (g.kappaLo() == null ? " [–]" : String.format(Locale.ROOT, " [%.3f, %.3f]", g.kappaLo(), g.kappaHi()));
    }

}
