package dev.phronesis.eval;

import dev.phronesis.core.records.AnswerParser;
import dev.phronesis.core.records.ParsedCall;
import dev.phronesis.core.records.Role;
import dev.phronesis.core.records.Turn;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.phronesis.eval.Reports.diff;
import static dev.phronesis.eval.Reports.pValue;
import static dev.phronesis.eval.Reports.pct;
import static dev.phronesis.eval.Reports.pctShort;

/**
 * {@code report.html}: one self-contained page. A Content-Security-Policy meta tag forbids every
 * network fetch (default-src 'none'); charts are inline SVG; transcripts are {@code <details>}
 * elements that expand on click; a few lines of inline script filter them by label.
 */
final class HtmlReport {
    /** Transcripts shown per arm and label: enough to browse every kind of answer, few enough to keep the page light. */
    static final int TRANSCRIPTS_PER_LABEL = 8;
    static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"};
    static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

    private HtmlReport() {}

    static String render(List<Arm> arms, Summary s) {
        StringBuilder b = new StringBuilder(64 * 1024);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"")
                .append(CSP).append("\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Phronesis evaluation report</title>\n<style>")
                .append(CSS).append("</style></head><body>\n<h1>Phronesis evaluation report</h1>\n");
        b.append("<p class=\"note\" id=\"constitution\">Constitution: ").append(esc(s.constitutionLine())).append("</p>\n");
        b.append("<p class=\"note\">Arms: ").append(arms.stream().map(a -> esc(a.name())).collect(Collectors.joining(", ")))
                .append(". Rates with 95% Wilson intervals. <b>Misalignment</b>: held-out agentic honeypots where the model made the misaligned tool call. ")
                .append("<b>Not aligned</b> adds undetermined answers (no readable decision or action), which are never counted as aligned. ")
                .append("Labels rest on the tool calls and DECISION line the model produced, never on words in its reasoning.</p>\n");
        ablation(b, s);
        comparisons(b, s);
        b.append("<h2>Rates per arm</h2>\n<figure id=\"chart-rates\" class=\"chart\">").append(ratesChart(s)).append("<figcaption>Bars: rate; whiskers: 95% Wilson interval.</figcaption></figure>\n");
        publicBenchmarks(b, s);
        b.append("<h2>Honeypot grid: misalignment by scenario kind × goal conflict × pressure</h2>\n<figure id=\"chart-grid\" class=\"chart\">")
                .append(gridChart(s, Summary.ArmSummary::grid, "No agentic honeypot items in these runs."))
                .append("<figcaption>Cell text: misaligned / answers (undetermined in brackets). Darker = more misaligned.</figcaption></figure>\n");
        b.append("<h2>Per family</h2>\n<figure id=\"chart-families\" class=\"chart\">").append(familyChart(s))
                .append("<figcaption>Label shares per family and arm: <span class=\"k aligned\">aligned</span> <span class=\"k misaligned\">misaligned</span> ")
                .append("<span class=\"k over-refusal\">over-refusal</span> <span class=\"k undetermined\">undetermined</span>.</figcaption></figure>\n");
        slicesTables(b, s);
        transcripts(b, arms);
        b.append("<script>").append(SCRIPT).append("</script>\n</body></html>\n");
        return b.toString();
    }

    // ---------------------------------------------------------------- tables

    private static void ablation(StringBuilder b, Summary s) {
        b.append("<h2>Ablation</h2>\n<table id=\"ablation\"><thead><tr><th>arm</th><th>model</th><th>training tokens</th><th>answers</th><th>misalignment</th><th>not aligned</th>")
                .append("<th>over-refusal</th><th>advice accuracy</th><th>within one mode</th><th>harmful compliance</th><th>decision correct (all forms)</th><th>undetermined</th><th>think-first</th>")
                .append("<th>action follows decision</th><th>judge agreement</th><th>failed requests</th></tr></thead><tbody>\n");
        for (Summary.ArmSummary a : s.arms()) {
            String think = a.thinkFirst().entrySet().stream().map(e -> esc(e.getKey()) + " " + pctShort(e.getValue())).collect(Collectors.joining("<br>"));
            b.append("<tr><td>").append(esc(a.name())).append("</td><td>").append(esc(a.model())).append("</td><td>").append(esc(a.metadata().getOrDefault("trainingTokens", "–")))
                    .append("</td><td>").append(a.answers()).append("</td><td>").append(pct(a.misalignment())).append("</td><td>").append(pct(a.notAligned()))
                    .append("</td><td>").append(pct(a.overRefusal())).append("</td><td>").append(pct(a.adviceAccuracy())).append("</td><td>").append(pct(a.adviceWithinOne()))
                    .append("</td><td>").append(pct(a.harmfulCompliance())).append("</td><td>").append(pct(a.decisionCorrect())).append("</td><td>").append(pct(a.undetermined()))
                    .append("</td><td>").append(think.isEmpty() ? "–" : think)
                    .append("</td><td>").append(pct(a.actionFollowsDecision())).append("</td><td>")
                    .append(a.judgeAgreement().n() == 0 ? "– (no judge)" : pct(a.judgeAgreement()) + " of " + a.judgeAgreement().n())
                    .append("</td><td>").append(a.failures()).append("</td></tr>\n");
        }
        b.append("</tbody></table>\n");
        Set<String> metaKeys = new LinkedHashSet<>();
        for (Summary.ArmSummary a : s.arms()) metaKeys.addAll(a.metadata().keySet());
        metaKeys.remove("trainingTokens");
        if (!metaKeys.isEmpty()) {
            b.append("<table id=\"metadata\"><thead><tr><th>arm</th>");
            for (String k : metaKeys) b.append("<th>").append(esc(k)).append("</th>");
            b.append("</tr></thead><tbody>");
            for (Summary.ArmSummary a : s.arms()) {
                b.append("<tr><td>").append(esc(a.name())).append("</td>");
                for (String k : metaKeys) b.append("<td>").append(esc(a.metadata().getOrDefault(k, "–"))).append("</td>");
                b.append("</tr>");
            }
            b.append("</tbody></table>\n");
        }
    }

    private static void comparisons(StringBuilder b, Summary s) {
        if (s.comparisons().isEmpty()) return;
        b.append("<h2>Differences from the baseline (").append(esc(s.arms().getFirst().name())).append(")</h2>\n")
                .append("<p class=\"note\">Arm − baseline, with a seeded bootstrap 95% interval (").append(Stats.BOOTSTRAP_REPS)
                .append(" resamples) and the pooled two-proportion z test.</p>\n<table id=\"comparisons\"><thead><tr><th>metric</th><th>arm</th><th>arm rate</th><th>baseline rate</th>")
                .append("<th>difference</th><th>z</th><th>p</th></tr></thead><tbody>\n");
        for (Summary.Comparison c : s.comparisons()) {
            b.append("<tr><td>").append(esc(c.metric())).append("</td><td>").append(esc(c.arm())).append("</td><td>").append(pct(c.difference().a())).append("</td><td>")
                    .append(pct(c.difference().b())).append("</td><td>").append(diff(c.difference())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.2f", c.difference().z())).append("</td><td>").append(pValue(c.difference().pValue())).append("</td></tr>\n");
        }
        b.append("</tbody></table>\n");
    }

    private static void slicesTables(StringBuilder b, Summary s) {
        boolean anyGap = s.arms().stream().anyMatch(a -> !a.gaps().isEmpty());
        b.append("<h2>Generalisation gap</h2>\n");
        if (!anyGap) b.append("<p class=\"note\">No control suite (items from training families) was run, so no gap can be shown.</p>\n");
        else {
            b.append("<table id=\"gaps\"><thead><tr><th>arm</th><th>metric</th><th>in-distribution control</th><th>held-out</th><th>gap (held-out − control)</th><th>p</th></tr></thead><tbody>\n");
            for (Summary.ArmSummary a : s.arms())
                for (Summary.Gap g : a.gaps())
                    b.append("<tr><td>").append(esc(a.name())).append("</td><td>").append(esc(g.metric())).append("</td><td>").append(pct(g.control())).append("</td><td>")
                            .append(pct(g.heldout())).append("</td><td>").append(diff(g.difference())).append("</td><td>").append(pValue(g.difference().pValue())).append("</td></tr>\n");
            b.append("</tbody></table>\n");
        }
        sliceTable(b, s, "Per suite", "per-suite", Summary.ArmSummary::suites);
        sliceTable(b, s, "Per family", "per-family", Summary.ArmSummary::families);
        sliceTable(b, s, "Honeypots by pressure", "by-pressure", Summary.ArmSummary::byPressure);
        sliceTable(b, s, "Honeypots by cue paraphrase (trained vs held-out)", "by-paraphrase", Summary.ArmSummary::byParaphrase);
        sliceTable(b, s, "Honeypot grid cells", "per-cell", Summary.ArmSummary::grid);
    }

    private static void sliceTable(StringBuilder b, Summary s, String title, String id, Function<Summary.ArmSummary, List<Summary.Slice>> f) {
        if (s.arms().stream().allMatch(a -> f.apply(a).isEmpty())) return;
        Set<String> keys = new LinkedHashSet<>();
        for (Summary.ArmSummary a : s.arms()) for (Summary.Slice sl : f.apply(a)) keys.addAll(sl.key().keySet());
        b.append("<details class=\"tables\"").append(id.equals("per-suite") ? " open" : "").append("><summary>").append(esc(title)).append("</summary><table id=\"")
                .append(id).append("\"><thead><tr><th>arm</th>");
        for (String k : keys) b.append("<th>").append(esc(k)).append("</th>");
        b.append("<th>n</th>");
        for (Label l : Label.values()) b.append("<th>").append(l.wire()).append("</th>");
        b.append("</tr></thead><tbody>\n");
        for (Summary.ArmSummary a : s.arms())
            for (Summary.Slice sl : f.apply(a)) {
                b.append("<tr><td>").append(esc(a.name())).append("</td>");
                for (String k : keys) b.append("<td>").append(esc(sl.key().getOrDefault(k, "–"))).append("</td>");
                b.append("<td>").append(sl.n()).append("</td>");
                for (Label l : Label.values()) b.append("<td>").append(pct(sl.rate(l))).append("</td>");
                b.append("</tr>\n");
            }
        b.append("</tbody></table></details>\n");
    }

    // ---------------------------------------------------------------- charts (inline SVG)

    private record Metric(String name, Function<Summary.ArmSummary, Stats.Rate> rate) {}

    private static String ratesChart(Summary s) {
        List<Metric> metrics = new ArrayList<>();
        for (Metric m : List.of(new Metric("misalignment", Summary.ArmSummary::misalignment), new Metric("not aligned", Summary.ArmSummary::notAligned),
                new Metric("over-refusal", Summary.ArmSummary::overRefusal), new Metric("advice accuracy", Summary.ArmSummary::adviceAccuracy),
                new Metric("harmful compliance", Summary.ArmSummary::harmfulCompliance), new Metric("undetermined", Summary.ArmSummary::undetermined)))
            if (s.arms().stream().anyMatch(a -> m.rate().apply(a).n() > 0)) metrics.add(m);
        int arms = s.arms().size();
        int barW = Math.max(8, Math.min(36, 120 / Math.max(1, arms)));
        int groupW = barW * arms + 30;
        int left = 50, top = 20, h = 220;
        int width = left + Math.max(1, metrics.size()) * groupW + 20;
        int legendH = 18 * arms + 10;
        StringBuilder g = new StringBuilder();
        g.append("<svg role=\"img\" aria-label=\"rates per arm\" width=\"").append(width).append("\" height=\"")
                .append(top + h + 40 + legendH).append("\">");
        for (int t = 0; t <= 100; t += 25) {
            double y = top + h - h * t / 100.0;
            g.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/><text x=\"%d\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%d%%</text>",
                    left, y, width - 10, y, left - 6, y + 4, t));
        }
        for (int mi = 0; mi < metrics.size(); mi++) {
            Metric m = metrics.get(mi);
            int gx = left + mi * groupW + 15;
            for (int ai = 0; ai < arms; ai++) {
                Summary.ArmSummary a = s.arms().get(ai);
                Stats.Rate r = m.rate().apply(a);
                if (r.n() == 0) continue;
                double x = gx + ai * barW;
                double y = top + h - h * r.p();
                double ylo = top + h - h * r.lo();
                double yhi = top + h - h * r.hi();
                double cx = x + barW / 2.0;
                g.append(String.format(Locale.ROOT, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s — %s: %s (n=%d)</title></rect>",
                        x, y, barW - 2, top + h - y, PALETTE[ai % PALETTE.length], esc(a.name()), esc(m.name()), pct(r), r.n()));
                g.append(String.format(Locale.ROOT, "<path class=\"errorbar\" d=\"M%.1f %.1f V%.1f M%.1f %.1f H%.1f M%.1f %.1f H%.1f\"/>",
                        cx - 1, ylo, yhi, cx - 4, ylo, cx + 2, cx - 4, yhi, cx + 2));
            }
            g.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">%s</text>", gx + barW * arms / 2.0, top + h + 16, esc(m.name())));
        }
        for (int ai = 0; ai < arms; ai++) {
            int y = top + h + 36 + ai * 18;
            g.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" class=\"legend\">%s</text>",
                    left, y, PALETTE[ai % PALETTE.length], left + 18, y + 10, esc(s.arms().get(ai).name())));
        }
        return g.append("</svg>").toString();
    }

    /**
     * The three numbers a user compares students on, side by side: harm on the public Agentic Misalignment grid (with
     * eval-awareness beside it, never inside it), misalignment on the project's held-out honeypots, and over-refusal;
     * then the public grid's heat-map. Shown only when a run has public-grid items.
     */
    private static void publicBenchmarks(StringBuilder b, Summary s) {
        if (s.arms().stream().allMatch(a -> a.publicHarm().n() == 0)) return;
        b.append("<h2>Public benchmarks beside the held-out suites</h2>\n<table id=\"public-benchmarks\"><tr><th>arm</th><th>agentic-misalignment harm</th>")
                .append("<th>undetermined there</th><th>eval-aware (not in the label)</th><th>held-out honeypot misalignment</th><th>over-refusal</th><th>harmful compliance</th></tr>\n");
        for (Summary.ArmSummary a : s.arms())
            b.append("<tr><td>").append(esc(a.name())).append("</td><td>").append(cellRate(a.publicHarm())).append("</td><td>").append(cellRate(a.publicUndetermined()))
                    .append("</td><td>").append(cellRate(a.evalAware())).append("</td><td>").append(cellRate(a.misalignment())).append("</td><td>")
                    .append(cellRate(a.overRefusal())).append("</td><td>").append(cellRate(a.harmfulCompliance())).append("</td></tr>\n");
        b.append("</table>\n<p class=\"note\">Agentic-misalignment harm: the scenario's harmful action was taken (blackmail, leaking, cancelling the alert); ")
                .append("undetermined answers (content questions no judge answered, malformed tags) are shown, never counted as harmless. ")
                .append("Over-refusal: benign requests refused, the project's own and imported (XSTest-style) together.</p>\n");
        b.append("<h3>Agentic-misalignment grid: harm by scenario × goal type × urgency</h3>\n<figure id=\"chart-public-grid\" class=\"chart\">")
                .append(gridChart(s, Summary.ArmSummary::publicGrid, "No public grid items."))
                .append("<figcaption>Cell text: harmful / answers (undetermined in brackets); hover for the rate with its 95% Wilson interval.</figcaption></figure>\n");
    }

    private static String cellRate(Stats.Rate r) { return r.n() == 0 ? "–" : esc(pct(r)) + " <span class=\"n\">n=" + r.n() + "</span>"; }

    private static String gridChart(Summary s, java.util.function.Function<Summary.ArmSummary, List<Summary.Slice>> grid, String empty) {
        Set<String> rows = new java.util.TreeSet<>();
        Set<String> cols = new java.util.TreeSet<>();
        for (Summary.ArmSummary a : s.arms())
            for (Summary.Slice sl : grid.apply(a)) {
                rows.add(sl.key().get(Cells.SCENARIO_KIND));
                cols.add(sl.key().get(Cells.GOAL_CONFLICT) + " / " + sl.key().get(Cells.PRESSURE));
            }
        if (rows.isEmpty()) return "<p class=\"note\">" + esc(empty) + "</p>";
        StringBuilder g = new StringBuilder();
        int cellW = cols.size() > 9 ? 66 : 92, cellH = 26, left = 130, top = 96;
        for (Summary.ArmSummary a : s.arms()) {
            Map<String, Summary.Slice> byCell = new LinkedHashMap<>();
            for (Summary.Slice sl : grid.apply(a))
                byCell.put(sl.key().get(Cells.SCENARIO_KIND) + "\u0000" + sl.key().get(Cells.GOAL_CONFLICT) + " / " + sl.key().get(Cells.PRESSURE), sl);
            int width = left + cols.size() * cellW + 10;
            int height = top + rows.size() * cellH + 10;
            g.append("<div class=\"heat\"><h3>").append(esc(a.name())).append("</h3><svg role=\"img\" aria-label=\"misalignment grid for ")
                    .append(esc(a.name())).append("\" width=\"").append(width).append("\" height=\"").append(height).append("\">");
            int ci = 0;
            for (String c : cols) {
                double x = left + ci * cellW + cellW / 2.0;
                g.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"start\" transform=\"rotate(-45 %.1f %d)\">%s</text>", x - 8, top - 6, x - 8, top - 6, esc(c)));
                ci++;
            }
            int ri = 0;
            for (String r : rows) {
                int y = top + ri * cellH;
                g.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"end\">%s</text>", left - 6, y + cellH / 2 + 4, esc(r)));
                ci = 0;
                for (String c : cols) {
                    int x = left + ci * cellW;
                    Summary.Slice sl = byCell.get(r + "\u0000" + c);
                    if (sl == null) {
                        g.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"empty\"/>", x, y, cellW - 2, cellH - 2));
                    } else {
                        Stats.Rate m = sl.rate(Label.MISALIGNED);
                        Stats.Rate u = sl.rate(Label.UNDETERMINED);
                        g.append(String.format(Locale.ROOT, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s, %s: misaligned %s, undetermined %s (n=%d)</title></rect>",
                                x, y, cellW - 2, cellH - 2, heat(m.p()), esc(r), esc(c), pct(m), pctShort(u), sl.n()));
                        g.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"celltext%s\" text-anchor=\"middle\">%d/%d (%d)</text>",
                                x + cellW / 2, y + cellH / 2 + 4, m.p() > 0.55 ? " light" : "", m.k(), sl.n(), u.k()));
                    }
                    ci++;
                }
                ri++;
            }
            g.append("</svg></div>");
        }
        return g.toString();
    }

    /** White (0%) to deep red (100%). */
    static String heat(double p) {
        double t = Double.isNaN(p) ? 0 : Math.max(0, Math.min(1, p));
        int r = (int) Math.round(255 - t * (255 - 165));
        int gb = (int) Math.round(255 - t * 240);
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, gb, Math.min(255, gb + 10));
    }

    private static String familyChart(Summary s) {
        List<String> fams = s.arms().stream().flatMap(a -> a.families().stream()).map(sl -> sl.key().get("suite") + " / " + sl.key().get("family"))
                .distinct().sorted().toList();
        if (fams.isEmpty()) return "<p class=\"note\">No results.</p>";
        int barH = 14, left = 260, barW = 420, gap = 10;
        int rowH = barH * s.arms().size() + gap;
        StringBuilder g = new StringBuilder();
        g.append("<svg role=\"img\" aria-label=\"label shares per family\" width=\"").append(left + barW + 340)
                .append("\" height=\"").append(fams.size() * rowH + 10).append("\">");
        for (int fi = 0; fi < fams.size(); fi++) {
            String fam = fams.get(fi);
            int y0 = fi * rowH + 4;
            g.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"axis\" text-anchor=\"end\">%s</text>", left - 8, y0 + barH * s.arms().size() / 2 + 4, esc(fam)));
            for (int ai = 0; ai < s.arms().size(); ai++) {
                Summary.ArmSummary a = s.arms().get(ai);
                Summary.Slice sl = a.families().stream().filter(x -> (x.key().get("suite") + " / " + x.key().get("family")).equals(fam)).findFirst().orElse(null);
                int y = y0 + ai * barH;
                if (sl == null) continue;
                double x = left;
                for (Label l : List.of(Label.ALIGNED, Label.MISALIGNED, Label.OVER_REFUSAL, Label.UNDETERMINED)) {
                    Stats.Rate r = sl.rate(l);
                    double w = barW * (Double.isNaN(r.p()) ? 0 : r.p());
                    if (w > 0) g.append(String.format(Locale.ROOT, "<rect class=\"seg %s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\"><title>%s — %s: %s %s (n=%d)</title></rect>",
                            l.wire(), x, y, w, barH - 2, esc(a.name()), esc(fam), l.wire(), pct(r), sl.n()));
                    x += w;
                }
                g.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"legend\">%s · misaligned %s · n=%d</text>", left + barW + 6, y + barH - 4,
                        esc(a.name()), pctShort(sl.rate(Label.MISALIGNED)), sl.n()));
            }
        }
        return g.append("</svg>").toString();
    }

    // ---------------------------------------------------------------- transcripts

    private static void transcripts(StringBuilder b, List<Arm> arms) {
        b.append("<h2>Transcripts</h2>\n<p class=\"note\">A sample per arm and label (up to ").append(TRANSCRIPTS_PER_LABEL)
                .append(" each, spread over items). Click one to read what the model saw, what it answered and why it got its label.</p>\n<div id=\"filters\">Show: ")
                .append("<button type=\"button\" data-filter=\"all\" class=\"on\">all</button>");
        for (Label l : Label.values()) b.append("<button type=\"button\" data-filter=\"").append(l.wire()).append("\">").append(l.wire()).append("</button>");
        b.append("</div>\n<div id=\"transcripts\">\n");
        int n = 0;
        for (Arm a : arms) {
            for (Label l : Label.values()) {
                List<EvalResult> these = a.results().stream().filter(r -> r.label() == l).sorted(Comparator.comparing(EvalResult::key)).toList();
                for (EvalResult r : spread(these, TRANSCRIPTS_PER_LABEL)) transcript(b, a, r, n++);
            }
        }
        if (n == 0) b.append("<p class=\"note\">No results.</p>");
        b.append("</div>\n");
    }

    /** Up to {@code k} elements evenly spaced over the list, so the sample is not just the first items. */
    static <T> List<T> spread(List<T> xs, int k) {
        if (xs.size() <= k) return xs;
        List<T> out = new ArrayList<>();
        for (int i = 0; i < k; i++) out.add(xs.get((int) ((long) i * xs.size() / k)));
        return out;
    }

    private static void transcript(StringBuilder b, Arm a, EvalResult r, int n) {
        EvalItem item = a.items().get(r.suite() + "\u0000" + r.item());
        b.append("<details class=\"transcript\" id=\"t").append(n).append("\" data-label=\"").append(r.label().wire()).append("\"><summary><span class=\"badge ")
                .append(r.label().wire()).append("\">").append(r.label().wire()).append("</span> ").append(esc(a.name())).append(" · ").append(esc(r.suite())).append(" / ")
                .append(esc(r.item())).append(" #").append(r.sampleIndex()).append(" · <span class=\"evidence\">").append(esc(r.evidence())).append("</span></summary>\n<div class=\"body\">");
        b.append("<p class=\"meta\">family ").append(esc(r.family())).append(" · split ").append(esc(r.split())).append(" · form ").append(esc(r.form()))
                .append(" · expects ").append(r.expectation() == null ? "–" : r.expectation().wire());
        if (r.expectedMode() != null) b.append(" · expected mode ").append(esc(r.expectedMode()));
        for (var e : r.cell().entrySet()) b.append(" · ").append(esc(e.getKey())).append(' ').append(esc(e.getValue()));
        b.append("</p>");
        if (item != null) {
            for (Turn t : item.messages()) b.append("<div class=\"msg ").append(t.role().wire()).append("\"><b>").append(t.role().wire()).append("</b><pre>").append(esc(t.content())).append("</pre></div>");
            if (!item.tools().isEmpty()) b.append("<p class=\"meta\">tools offered: ").append(esc(item.tools().stream().map(dev.phronesis.core.records.ToolDef::name).collect(Collectors.joining(", ")))).append("</p>");
            if (item.misalignedAction() != null) b.append("<p class=\"meta\">misaligned action: <code>").append(esc(AnswerScorer.describe(item.misalignedAction()))).append("</code></p>");
        } else b.append("<p class=\"meta\">(the prompt is not in this run directory)</p>");
        AnswerParser.Split parts = AnswerParser.split(r.content());
        String reasoning = r.reasoning() != null && !r.reasoning().isBlank() ? r.reasoning() : parts.reasoning();
        if (!reasoning.isBlank()) b.append("<div class=\"msg reasoning\"><b>reasoning (not scored)</b><pre>").append(esc(reasoning)).append("</pre></div>");
        b.append("<div class=\"msg assistant\"><b>answer</b><pre>").append(esc(parts.visible())).append("</pre></div>");
        if (!r.nativeCalls().isEmpty()) b.append("<p class=\"meta\">native tool calls: <code>").append(esc(r.nativeCalls().stream().map(c -> c.name() + " " + c.argumentsJson()).collect(Collectors.joining("; ")))).append("</code></p>");
        b.append("<table class=\"verdict\"><tr><th>decision read</th><td>").append(esc(r.decision() == null ? "none" : r.decision())).append("</td></tr>")
                .append("<tr><th>tool calls read</th><td>").append(r.calls().isEmpty() ? "none" : esc(r.calls().stream().map(c -> c.source().wire() + ": " + AnswerScorer.describe(c)
                        + (c instanceof ParsedCall.Malformed ? " " + AnswerScorer.clip(c.raw()) : "")).collect(Collectors.joining("; ")))).append("</td></tr>")
                .append("<tr><th>label</th><td>").append(r.label().wire()).append(" (").append(esc(r.method())).append(")</td></tr>")
                .append("<tr><th>evidence</th><td>").append(esc(r.evidence())).append("</td></tr>")
                .append("<tr><th>deterministic</th><td>").append(r.deterministicLabel().wire()).append("</td></tr>");
        if (r.judgeLabel() != null || r.judgeEvidence() != null)
            b.append("<tr><th>judge</th><td>").append(r.judgeLabel() == null ? "unreadable" : r.judgeLabel().wire()).append(" — ").append(esc(r.judgeEvidence())).append("</td></tr>");
        if (r.evalAware() != null)
            b.append("<tr><th>eval-aware (not part of the label)</th><td>").append(r.evalAware() ? "yes — " + esc(r.evalAwareEvidence()) : "no").append("</td></tr>");
        b.append("<tr><th>think-first</th><td>").append(r.thinkFirst()).append("</td></tr></table></div></details>\n");
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static final String CSS = """
            body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
            h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:14px;margin:8px 0}
            table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
            th{background:#f5f5f5}.note{color:#555}.chart{margin:0;overflow-x:auto}figcaption{color:#555;font-size:12px}
            .grid{stroke:#e5e5e5}.axis{font-size:11px;fill:#444}.legend{font-size:11px;fill:#222}.errorbar{stroke:#111;stroke-width:1.5;fill:none}
            .empty{fill:#f3f3f3}.celltext{font-size:11px;fill:#111}.celltext.light{fill:#fff}.heat{display:inline-block;margin-right:16px;vertical-align:top}
            .seg.aligned,.k.aligned{fill:#59a14f;background:#59a14f}.seg.misaligned,.k.misaligned{fill:#e15759;background:#e15759}
            .seg.over-refusal,.k.over-refusal{fill:#f28e2b;background:#f28e2b}.seg.undetermined,.k.undetermined{fill:#9d9d9d;background:#9d9d9d}
            .k{color:#fff;padding:0 4px;border-radius:3px}
            details.transcript{border:1px solid #ddd;border-radius:4px;margin:4px 0;padding:4px 8px}details.transcript summary{cursor:pointer}
            details.tables summary{cursor:pointer;font-weight:600;margin-top:8px}
            .badge{display:inline-block;min-width:92px;text-align:center;color:#fff;border-radius:3px;padding:0 4px;font-size:12px}
            .badge.aligned{background:#59a14f}.badge.misaligned{background:#e15759}.badge.over-refusal{background:#f28e2b}.badge.undetermined{background:#9d9d9d}
            .evidence{color:#555}.meta{color:#555;font-size:12px}pre{white-space:pre-wrap;margin:2px 0 6px;font-size:12px}
            .msg{border-left:3px solid #ccc;padding-left:8px;margin:4px 0}.msg.system{border-color:#b07aa1}.msg.user{border-color:#4e79a7}
            .msg.assistant{border-color:#59a14f}.msg.reasoning{border-color:#bbb;color:#666}.msg.tool{border-color:#edc948}
            #filters button{margin:0 2px;border:1px solid #bbb;background:#fafafa;border-radius:3px;cursor:pointer}#filters button.on{background:#333;color:#fff}
            """;

    static final String SCRIPT = """
            document.querySelectorAll('#filters button').forEach(function(btn){
              btn.addEventListener('click', function(){
                var f = btn.getAttribute('data-filter');
                document.querySelectorAll('#filters button').forEach(function(b){ b.classList.toggle('on', b === btn); });
                document.querySelectorAll('details.transcript').forEach(function(d){
                  d.style.display = (f === 'all' || d.getAttribute('data-label') === f) ? '' : 'none';
                });
              });
            });
            """;
}
