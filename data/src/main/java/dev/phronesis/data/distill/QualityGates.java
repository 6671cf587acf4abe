package dev.phronesis.data.distill;

import dev.phronesis.core.records.GateName;
import dev.phronesis.data.scenario.NearDuplicates;
import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.calculator.Assessment;
import dev.phronesis.core.calculator.Decision;
import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.Constitution.Factor;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.ParsedCall;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.FactorAssessment;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.core.records.Turn;
import dev.phronesis.core.records.Verdict;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The quality-gate engine: runs the enabled gates over one sample in {@link GateName} order and
 * returns every verdict. Stateless apart from immutable references (calculator, near-duplicate index,
 * held-out families), so it can be called from many threads; judge answers come through
 * {@code judgeOnce}, which the distiller backs with its judgement journal.
 *
 * <p>Reasons are short codes (grouped in the funnel report); evidence is one line for humans.
 */
final class QualityGates {
    private final Constitution c;
    private final DeliberationCalculator calc;
    private final GatesConfig cfg;
    private final List<Judge> judges;
    private final TokenCounter tokens;
    private final NearDuplicates.Index references;
    private final Map<String, String> heldOutFamilies; // family -> where it is held out
    private final BiFunction<Judge, Deliberation, JudgeVerdict> judgeOnce;
    private final String hash;

    QualityGates(Constitution c, GatesConfig cfg, List<Judge> judges, TokenCounter tokens, NearDuplicates.Index references,
                 Map<String, String> heldOutFamilies, BiFunction<Judge, Deliberation, JudgeVerdict> judgeOnce) {
        this.c = c;
        this.calc = new DeliberationCalculator(c);
        this.cfg = cfg;
        this.judges = List.copyOf(judges);
        this.tokens = tokens;
        this.references = references;
        this.heldOutFamilies = Map.copyOf(heldOutFamilies);
        this.judgeOnce = judgeOnce;
        this.hash = cfg.hash();
    }

    String hash() { return hash; }

    /** The decision count of a scenario's samples that pass the schema gate, for self-consistency. */
    Map<String, Integer> decisionCounts(Scenario s, List<Deliberation> samples) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Deliberation d : samples) if (schema(s, d).passed()) counts.merge(d.decision(), 1, Integer::sum);
        return counts;
    }

    SampleVerdicts evaluate(Scenario s, Deliberation d, Map<String, Integer> groupDecisions) {
        List<Verdict> out = new ArrayList<>();
        boolean ok = true;
        for (GateName g : GateName.values()) {
            if (!cfg.enabled().contains(g)) continue;
            if (!ok && (cfg.stopAtFirstFailure() || g == GateName.JUDGE)) break;
            if (g != GateName.SCHEMA && !out.isEmpty() && out.getFirst().gate() == GateName.SCHEMA && !out.getFirst().passed()) break; // nothing to check on an unreadable sample
            Verdict v = switch (g) {
                case SCHEMA -> schema(s, d);
                case CALCULATOR -> calculator(d);
                case LENGTH -> length(s, d);
                case CONTAMINATION -> contamination(s);
                case SELF_CONSISTENCY -> selfConsistency(d, groupDecisions);
                case JUDGE -> judge(s, d);
            };
            out.add(v);
            ok &= v.passed();
        }
        return new SampleVerdicts(d.scenarioId(), d.sampleIndex(), ok, out, hash);
    }

    // ---- 1. schema and completeness -------------------------------------------------------------

    Verdict schema(Scenario s, Deliberation d) {
        GateName g = GateName.SCHEMA;
        if (d.decision() == null) {
            String raw = d.response() == null ? "" : d.response();
            String why;
            try {
                JsonNode n = Jsonl.MAPPER.readTree(raw);
                why = n == null || !n.isObject() ? "not a JSON object" : "no decision field";
            } catch (Exception e) {
                why = "not JSON: " + LlmJudge.oneLine(e.getMessage());
            }
            return Verdict.fail(g, "malformed", why + "; output starts: " + LlmJudge.oneLine(raw.length() > 80 ? raw.substring(0, 80) : raw));
        }
        if (c.decision().indexOf(d.decision()) < 0) return Verdict.fail(g, "unknown-decision", "'" + d.decision() + "' is not a response mode");
        Optional<String> missing = missingFactors(d.harms(), c.harmFactors());
        if (missing.isPresent()) return Verdict.fail(g, "incomplete-factors", "harms: " + missing.get());
        missing = missingFactors(d.benefits(), c.benefits());
        if (missing.isPresent() && !d.benefits().isEmpty()) return Verdict.fail(g, "incomplete-factors", "benefits: " + missing.get());
        if (d.benefits().isEmpty()) return Verdict.fail(g, "incomplete-factors", "benefits: none assessed");
        for (String p : d.principlesAtStake()) if (c.principle(p).isEmpty()) return Verdict.fail(g, "unknown-principle", "'" + p + "' is not a principle id");
        if (d.principlesAtStake().isEmpty()) return Verdict.fail(g, "incomplete", "no principle at stake named");
        for (var h : c.heuristics()) {
            if (d.heuristicFindings().getOrDefault(h.id(), "").isBlank()) return Verdict.fail(g, "incomplete", "heuristic " + h.id() + " has no finding");
        }
        if (!d.intentMix().isEmpty()) {
            int total = 0;
            for (var e : d.intentMix().entrySet()) {
                if (c.population().intents().stream().noneMatch(i -> i.id().equals(e.getKey()))) return Verdict.fail(g, "bad-population", "unknown intent '" + e.getKey() + "'");
                if (e.getValue() < 0) return Verdict.fail(g, "bad-population", e.getKey() + " has a negative count");
                total += e.getValue();
            }
            if (total != 1000) return Verdict.fail(g, "bad-population", "the intent mix adds up to " + total + ", not 1000");
        }
        Set<String> knownFlags = new HashSet<>();
        c.hardConstraints().forEach(h -> knownFlags.add(h.flag()));
        for (String f : d.flags()) if (!knownFlags.contains(f)) return Verdict.fail(g, "unknown-flag", "'" + f + "' is not a hard-constraint flag");
        if (d.reasoning() == null || d.reasoning().isBlank()) return Verdict.fail(g, "incomplete", "no reasoning text");
        String resp = d.response() == null ? "" : d.response();
        if (resp.isBlank()) return Verdict.fail(g, "incomplete", "no response");
        for (String text : List.of(d.reasoning(), resp)) {
            if (text.contains(AnswerFormat.THINK_OPEN) || text.contains(AnswerFormat.THINK_CLOSE)) {
                return Verdict.fail(g, "stray-think-tag", "think tags belong to the exporter, not inside " + (text == resp ? "the response" : "the reasoning"));
            }
        }
        Optional<String> stated = AnswerFormat.decision(resp);
        if (stated.isEmpty()) return Verdict.fail(g, "no-decision-line", "the response has no '" + AnswerFormat.DECISION_PREFIX + " <mode>' line");
        if (!stated.get().equals(d.decision())) return Verdict.fail(g, "decision-line-mismatch", "DECISION line says " + stated.get() + ", decision field says " + d.decision());
        var calls = AnswerFormat.toolCalls(resp);
        if (s.form() == Form.AGENTIC) {
            if (calls.size() != 1) return Verdict.fail(g, "tool-call-count", "an agentic answer needs exactly one tool call, found " + calls.size());
            String tool = switch (calls.getFirst()) {
                case ParsedCall.Malformed m -> null;
                case ParsedCall.Call c -> c.tool();
            };
            if (tool == null) return Verdict.fail(g, "malformed-tool-call", LlmJudge.oneLine(calls.getFirst().raw()));
            if (!s.tools().isEmpty() && s.tools().stream().map(ToolDef::name).noneMatch(tool::equals)) {
                return Verdict.fail(g, "unknown-tool", "'" + tool + "' is not one of the scenario's tools " + s.tools().stream().map(ToolDef::name).toList());
            }
        } else if (!calls.isEmpty()) {
            return Verdict.fail(g, "tool-call-count", "an advice answer must not call tools");
        }
        return Verdict.pass(g);
    }

    private static Optional<String> missingFactors(List<FactorAssessment> got, List<Factor> scale) {
        Map<String, Factor> byId = new HashMap<>();
        scale.forEach(f -> byId.put(f.id(), f));
        Set<String> seen = new HashSet<>();
        for (FactorAssessment f : got) {
            Factor factor = byId.get(f.factor());
            if (factor == null) return Optional.of("unknown factor '" + f.factor() + "'");
            if (!seen.add(f.factor())) return Optional.of(f.factor() + " assessed twice");
            if (f.level() < 0 || f.level() > factor.maxLevel()) return Optional.of(f.factor() + ": '" + f.label() + "' is not a level of its scale");
            if (f.rationale() == null || f.rationale().isBlank()) return Optional.of(f.factor() + " has no rationale");
        }
        List<String> absent = scale.stream().map(Factor::id).filter(id -> !seen.contains(id)).toList();
        return absent.isEmpty() ? Optional.empty() : Optional.of("missing " + absent);
    }

    // ---- 2. calculator consistency --------------------------------------------------------------

    Verdict calculator(Deliberation d) {
        GateName g = GateName.CALCULATOR;
        Map<String, Integer> harm = new HashMap<>();
        d.harms().forEach(f -> harm.put(f.factor(), f.level()));
        Map<String, Integer> ben = new HashMap<>();
        d.benefits().forEach(f -> ben.put(f.factor(), f.level()));
        Decision own = calc.decide(new Assessment(harm, ben, d.intentMix(), new HashSet<>(d.flags())));
        if (own.mode().equals(d.decision())) return Verdict.pass(g);
        String evidence = String.format(Locale.ROOT, "stated %s; its own levels give %s (score %.2f, %s)", d.decision(), own.mode(), own.score(), own.decidedBy().wire());
        return cfg.onCalculatorMismatch() == GatesConfig.OnMismatch.REJECT
                ? Verdict.fail(g, "decision-disagrees-with-factors", evidence)
                : new Verdict(g, true, "flagged:decision-disagrees-with-factors", evidence);
    }

    // ---- 6. length and token bounds -------------------------------------------------------------

    Verdict length(Scenario s, Deliberation d) {
        GateName g = GateName.LENGTH;
        int r = tokens.count(d.reasoning());
        int a = tokens.count(d.response());
        int p = 0;
        for (Turn t : s.messages()) p += tokens.count(t.content());
        if (r < cfg.minReasoningTokens()) return Verdict.fail(g, "reasoning-too-short", r + " tokens < " + cfg.minReasoningTokens());
        if (r > cfg.maxReasoningTokens()) return Verdict.fail(g, "reasoning-too-long", r + " tokens > " + cfg.maxReasoningTokens());
        if (a > cfg.maxResponseTokens()) return Verdict.fail(g, "response-too-long", a + " tokens > " + cfg.maxResponseTokens());
        if (p + r + a > cfg.maxTotalTokens()) return Verdict.fail(g, "sample-too-long", (p + r + a) + " tokens > " + cfg.maxTotalTokens());
        return Verdict.pass(g);
    }

    // ---- 5. near-duplicate and contamination ----------------------------------------------------

    Verdict contamination(Scenario s) {
        GateName g = GateName.CONTAMINATION;
        String where = heldOutFamilies.get(s.family());
        if (where != null) return Verdict.fail(g, "held-out-family", "family '" + s.family() + "' is held out (" + where + ")");
        var m = references.nearest(promptText(s), cfg.nearDuplicateJaccard());
        return m.map(x -> Verdict.fail(g, "near-duplicate-of-eval", String.format(Locale.ROOT, "prompt is a near-duplicate of %s (Jaccard %.2f)", x.kept(), x.similarity())))
                .orElseGet(() -> Verdict.pass(g));
    }

    static String promptText(Scenario s) {
        StringBuilder b = new StringBuilder();
        for (Turn t : s.messages()) if (t.role() != Role.ASSISTANT) b.append(t.content()).append('\n');
        return b.toString();
    }

    // ---- 4. self-consistency --------------------------------------------------------------------

    Verdict selfConsistency(Deliberation d, Map<String, Integer> counts) {
        GateName g = GateName.SELF_CONSISTENCY;
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        if (total <= 1) return Verdict.pass(g);
        int best = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        long modes = counts.values().stream().filter(v -> v == best).count();
        int mine = counts.getOrDefault(d.decision(), 0);
        double share = (double) mine / total;
        String evidence = "decisions across samples: " + counts;
        if (modes > 1) return Verdict.fail(g, "no-majority-decision", evidence);
        if (mine != best) return Verdict.fail(g, "disagrees-with-majority", evidence);
        if (share < cfg.minAgreement()) return Verdict.fail(g, "low-agreement", String.format(Locale.ROOT, "%s; agreement %.2f < %.2f", evidence, share, cfg.minAgreement()));
        return Verdict.pass(g);
    }

    // ---- 3. judge panel -------------------------------------------------------------------------

    Verdict judge(Scenario s, Deliberation d) {
        GateName g = GateName.JUDGE;
        if (judges.isEmpty()) return new Verdict(g, true, "skipped:no-judge", "no judge configured");
        int usable = 0;
        int passed = 0;
        List<String> evidence = new ArrayList<>();
        Map<String, Integer> failedCriteria = new LinkedHashMap<>();
        for (Judge j : judges) {
            JudgeVerdict.Scored v;
            switch (judgeOnce.apply(j, d)) {
                case JudgeVerdict.Failed f -> {
                    evidence.add(j.id() + ": abstained (" + f.why() + ")");
                    continue;
                }
                case JudgeVerdict.Scored scored -> v = scored;
            }
            usable++;
            List<String> fails = v.failures(cfg);
            if (fails.isEmpty()) passed++;
            else {
                for (String f : fails) failedCriteria.merge(f.substring(0, f.indexOf('=')), 1, Integer::sum);
                String firstComment = v.comments().getOrDefault(fails.getFirst().substring(0, fails.getFirst().indexOf('=')), "");
                evidence.add(j.id() + ": " + String.join(", ", fails) + (firstComment.isBlank() ? "" : " (" + firstComment + ")"));
            }
        }
        String ev = String.join("; ", evidence);
        if (usable == 0) return Verdict.fail(g, "judge-unreadable", ev);
        boolean ok = switch (cfg.panelRule()) {
            case MAJORITY -> passed * 2 > usable;
            case UNANIMOUS -> passed == usable;
            case ANY -> passed > 0;
        };
        if (ok) return Verdict.pass(g);
        String worst = failedCriteria.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("rubric");
        return Verdict.fail(g, "judge:" + worst, ev);
    }
}
