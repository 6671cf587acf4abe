package dev.phronesis.studio;

import dev.phronesis.core.UserError;
import dev.phronesis.core.calculator.Assessment;
import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.FactorAssessment;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Turn;
import dev.phronesis.core.records.Verdict;
import dev.phronesis.data.distill.Distiller;
import dev.phronesis.data.distill.JudgeVerdict;
import dev.phronesis.data.distill.SampleVerdicts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Every sample of a distilled run as a small in-memory row (the fields the list filters on and a
 * lower-cased search text), with byte offsets to read the full deliberation, scenario and verdicts back
 * from their files on demand. Immutable after construction, so any number of request threads may read
 * it; review state lives in {@link ReviewState}.
 *
 * <p>Filtering is a linear scan over the rows (primitive and interned-string comparisons, then substring
 * search for the text query); paging slices the result. bench/ measures it on 50,000 samples.
 */
final class SampleIndex {
    /** One sample as the list sees it. {@code judgeScore} is the mean rubric score over judges, NaN when none judged it. */
    record Row(int ordinal, String key, String scenarioId, int sampleIndex, String family, String split, String form, String teacher,
               String decision, String calculatorDecision, String expectedMode, Boolean gateAccepted, String gateReason,
               List<String> flagged, double judgeScore, String title, String text, long delibOffset, int delibLength) {}

    /** What the list can be filtered by; null or empty = any. */
    record Filter(String family, String split, String form, String decision, String gate, String reason, String teacher,
                  Double minJudge, String review, String query) {
        static Filter of(Function<String, String> param) {
            String mj = param.apply("minJudge");
            Double min = null;
            if (mj != null && !mj.isBlank()) {
                try {
                    min = Double.parseDouble(mj);
                } catch (NumberFormatException e) {
                    throw new UserError("minJudge: '" + mj + "' is not a number");
                }
            }
            return new Filter(blank(param.apply("family")), blank(param.apply("split")), blank(param.apply("form")), blank(param.apply("decision")),
                    blank(param.apply("gate")), blank(param.apply("reason")), blank(param.apply("teacher")), min, blank(param.apply("review")),
                    blank(param.apply("q")));
        }

        private static String blank(String s) { return s == null || s.isBlank() ? null : s.strip(); }
    }

    private final Path dir;
    private final List<Row> rows;
    private final Map<String, Row> byKey;
    private final Map<String, long[]> scenarioOffsets; // id -> {offset, length}
    private final Map<String, long[]> verdictOffsets;  // key -> {offset, length}
    private final Map<String, List<Distiller.Judgement>> judgements;
    private final Map<String, Set<String>> facets;

    SampleIndex(Path distillDir, DeliberationCalculator calc) {
        this.dir = distillDir;
        Path scen = distillDir.resolve(Distiller.SCENARIOS);
        Path delib = distillDir.resolve(Distiller.DELIBERATIONS);
        if (!Files.exists(delib)) throw new UserError(distillDir + ": no " + Distiller.DELIBERATIONS + "; the distill stage has not run");
        Map<String, Scenario> scenarios = new HashMap<>();
        scenarioOffsets = new HashMap<>();
        Map<String, String> scenarioText = new HashMap<>();
        if (Files.exists(scen)) JsonlFile.scan(scen, (no, off, len, line) -> {
            Scenario s = JsonlFile.parse(scen, no, line, Scenario.class);
            scenarioOffsets.put(s.id(), new long[]{off, len});
            StringBuilder t = new StringBuilder();
            for (Turn m : s.messages()) t.append(m.content()).append('\n');
            scenarioText.put(s.id(), t.toString());
            // only the small fields stay in memory
            scenarios.put(s.id(), new Scenario(s.id(), s.family(), s.split(), s.form(), s.spec(), List.of(), List.of(), Map.of()));
        });
        Map<String, SampleVerdicts> verdicts = new HashMap<>();
        verdictOffsets = new HashMap<>();
        Path vf = distillDir.resolve(Distiller.VERDICTS);
        if (Files.exists(vf)) JsonlFile.scan(vf, (no, off, len, line) -> {
            SampleVerdicts v = JsonlFile.parse(vf, no, line, SampleVerdicts.class);
            verdictOffsets.put(v.key(), new long[]{off, len});
            List<Verdict> flags = v.verdicts().stream().filter(x -> x.passed() && !x.reason().isEmpty()).toList();
            verdicts.put(v.key(), new SampleVerdicts(v.scenarioId(), v.sampleIndex(), v.accepted(),
                    v.accepted() || v.rejection() == null ? flags : List.of(v.rejection()), v.gatesHash()));
        });
        judgements = new HashMap<>();
        Path jf = distillDir.resolve(Distiller.JUDGMENTS);
        if (!Files.exists(jf)) jf = distillDir.resolve("judgements.jsonl"); // a run distilled before the file was renamed
        if (Files.exists(jf)) for (Distiller.Judgement j : Jsonl.read(jf, Distiller.Judgement.class, true))
            judgements.computeIfAbsent(j.scenarioId() + "#" + j.sampleIndex(), k -> new ArrayList<>()).add(j);

        Map<String, String> interned = new HashMap<>();
        Function<String, String> intern = s -> s == null ? null : interned.computeIfAbsent(s, x -> x);
        List<Row> out = new ArrayList<>();
        Map<String, Row> keys = new HashMap<>();
        JsonlFile.scan(delib, (no, off, len, line) -> {
            Deliberation d = JsonlFile.parse(delib, no, line, Deliberation.class);
            String key = d.scenarioId() + "#" + d.sampleIndex();
            Scenario s = scenarios.get(d.scenarioId());
            SampleVerdicts v = verdicts.get(key);
            Boolean accepted = v == null ? null : v.accepted();
            String reason = v == null || v.accepted() || v.verdicts().isEmpty() ? null : v.verdicts().getFirst().gate().wire() + ":" + v.verdicts().getFirst().reason();
            List<String> flagged = v == null || !v.accepted() ? List.of() : v.verdicts().stream().map(x -> intern.apply(x.gate().wire() + ":" + x.reason())).toList();
            String calcMode;
            try {
                calcMode = calc == null ? null : calc.decideMode(assessment(d));
            } catch (UserError e) { // levels the constitution does not know: the schema gate rejected it
                calcMode = "invalid";
            }
            String title = s == null ? d.scenarioId() : firstUserLine(scenarioText.getOrDefault(d.scenarioId(), ""));
            String text = (scenarioText.getOrDefault(d.scenarioId(), "") + "\n" + d.reasoning() + "\n" + d.response() + "\n" + key).toLowerCase(Locale.ROOT);
            Row r = new Row(out.size(), key, d.scenarioId(), d.sampleIndex(), intern.apply(s == null ? "-" : s.family()),
                    intern.apply(s == null ? "-" : s.split().wire()), intern.apply(s == null ? "-" : s.form().wire()), intern.apply(d.teacher()),
                    intern.apply(d.decision()), intern.apply(calcMode), intern.apply(s == null ? null : s.spec().expectedMode()), accepted,
                    intern.apply(reason), flagged, judgeScore(judgements.get(key)), title, text, off, len);
            if (keys.put(key, r) != null) return; // a resumed run never writes a key twice; keep the first if it did
            out.add(r);
        });
        this.rows = List.copyOf(out);
        this.byKey = keys;
        Map<String, Set<String>> f = new TreeMap<>();
        for (Row r : rows) {
            f.computeIfAbsent("family", k -> new TreeSet<>()).add(r.family());
            f.computeIfAbsent("split", k -> new TreeSet<>()).add(r.split());
            f.computeIfAbsent("form", k -> new TreeSet<>()).add(r.form());
            f.computeIfAbsent("decision", k -> new TreeSet<>()).add(r.decision());
            f.computeIfAbsent("teacher", k -> new TreeSet<>()).add(r.teacher());
            if (r.gateReason() != null) f.computeIfAbsent("reason", k -> new TreeSet<>()).add(r.gateReason());
            for (String fl : r.flagged()) f.computeIfAbsent("reason", k -> new TreeSet<>()).add(fl);
        }
        this.facets = f;
    }

    static Assessment assessment(Deliberation d) {
        Map<String, Integer> harm = new HashMap<>();
        d.harms().forEach(x -> harm.put(x.factor(), x.level()));
        Map<String, Integer> ben = new HashMap<>();
        d.benefits().forEach(x -> ben.put(x.factor(), x.level()));
        return new Assessment(harm, ben, d.intentMix(), new HashSet<>(d.flags()));
    }

    static Assessment assessment(Deliberation d, List<FactorAssessment> harms, List<FactorAssessment> benefits) {
        Map<String, Integer> harm = new HashMap<>();
        harms.forEach(x -> harm.put(x.factor(), x.level()));
        Map<String, Integer> ben = new HashMap<>();
        benefits.forEach(x -> ben.put(x.factor(), x.level()));
        return new Assessment(harm, ben, d.intentMix(), new HashSet<>(d.flags()));
    }

    private static String firstUserLine(String text) {
        for (String l : text.split("\n")) if (!l.isBlank()) return l.length() > 140 ? l.substring(0, 140) + "…" : l;
        return "";
    }

    private static double judgeScore(List<Distiller.Judgement> js) {
        if (js == null) return Double.NaN;
        double sum = 0;
        int n = 0;
        for (Distiller.Judgement j : js) if (j.verdict() instanceof JudgeVerdict.Scored v) for (int s : v.scores().values()) { sum += s; n++; }
        return n == 0 ? Double.NaN : sum / n;
    }

    List<Row> rows() { return rows; }
    Row row(String key) { return byKey.get(key); }
    Map<String, Set<String>> facets() { return facets; }
    Path dir() { return dir; }

    Deliberation deliberation(Row r) {
        return JsonlFile.readAt(dir.resolve(Distiller.DELIBERATIONS), r.delibOffset(), r.delibLength(), Deliberation.class);
    }

    Scenario scenario(String id) {
        long[] o = scenarioOffsets.get(id);
        return o == null ? null : JsonlFile.readAt(dir.resolve(Distiller.SCENARIOS), o[0], (int) o[1], Scenario.class);
    }

    SampleVerdicts verdicts(String key) {
        long[] o = verdictOffsets.get(key);
        return o == null ? null : JsonlFile.readAt(dir.resolve(Distiller.VERDICTS), o[0], (int) o[1], SampleVerdicts.class);
    }

    List<Distiller.Judgement> judgements(String key) { return judgements.getOrDefault(key, List.of()); }

    /** The rows that pass {@code f}, in file order; {@code reviewOf} gives a row's current review status (unreviewed, accepted, rejected, edited). */
    List<Row> filter(Filter f, Function<String, String> reviewOf) {
        String[] terms = f.query() == null ? new String[0] : f.query().toLowerCase(Locale.ROOT).split("\\s+");
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            if (f.family() != null && !f.family().equals(r.family())) continue;
            if (f.split() != null && !f.split().equals(r.split())) continue;
            if (f.form() != null && !f.form().equals(r.form())) continue;
            if (f.decision() != null && !f.decision().equals(r.decision())) continue;
            if (f.teacher() != null && !f.teacher().equals(r.teacher())) continue;
            if (f.gate() != null && !gateMatches(f.gate(), r)) continue;
            if (f.reason() != null && !(f.reason().equals(r.gateReason()) || r.flagged().contains(f.reason()))) continue;
            if (f.minJudge() != null && !(r.judgeScore() >= f.minJudge())) continue;
            if (f.review() != null) {
                String st = reviewOf.apply(r.key());
                boolean ok = f.review().equals("reviewed") ? !st.equals("unreviewed") : f.review().equals(st);
                if (!ok) continue;
            }
            boolean all = true;
            for (String t : terms) if (!r.text().contains(t)) { all = false; break; }
            if (!all) continue;
            out.add(r);
        }
        return out;
    }

    private static boolean gateMatches(String gate, Row r) {
        return switch (gate) {
            case "accepted" -> Boolean.TRUE.equals(r.gateAccepted());
            case "rejected" -> Boolean.FALSE.equals(r.gateAccepted());
            case "flagged" -> Boolean.TRUE.equals(r.gateAccepted()) && !r.flagged().isEmpty();
            case "disagrees" -> r.calculatorDecision() != null && !r.calculatorDecision().equals(r.decision());
            default -> throw new UserError("gate: '" + gate + "' is not accepted, rejected, flagged or disagrees");
        };
    }
}
