package dev.phronesis.data.distill;

import dev.phronesis.core.records.GateName;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every knob of the quality gates, plain values with defaults. Its {@link #hash()} is written next to
 * the verdicts; a rerun with a different configuration re-gates every sample (judge answers come from
 * the judgement journal, so no judge call is paid twice).
 *
 * @param enabled                the gates that run (the others pass every sample without looking)
 * @param onCalculatorMismatch   reject a deliberation whose stated decision disagrees with its own factor levels, or only flag it
 * @param judgeThresholds        criterion id -> lowest passing score (1..5); criteria left out use {@link Rubric#DEFAULT_THRESHOLDS}
 * @param panelRule              how a panel of judges agrees: majority, unanimous or any
 * @param minAgreement           self-consistency: the share of a scenario's samples that must share the modal decision (0..1)
 * @param nearDuplicateJaccard   contamination: word-shingle Jaccard similarity at or above which a prompt is a near-duplicate of an eval item
 * @param shingleWords           contamination: words per shingle
 * @param minReasoningTokens     length: a deliberative sample needs at least this much reasoning
 * @param maxReasoningTokens     length: upper bound on reasoning tokens
 * @param maxResponseTokens      length: upper bound on response tokens
 * @param maxTotalTokens         length: upper bound on prompt + reasoning + response tokens
 * @param stopAtFirstFailure     true: a rejected sample is not shown to later gates (saves judge calls); false: every gate reports
 */
public record GatesConfig(Set<GateName> enabled, OnMismatch onCalculatorMismatch, Map<String, Integer> judgeThresholds, PanelRule panelRule,
                          double minAgreement, double nearDuplicateJaccard, int shingleWords,
                          int minReasoningTokens, int maxReasoningTokens, int maxResponseTokens, int maxTotalTokens,
                          boolean stopAtFirstFailure) {

    public enum OnMismatch { REJECT, FLAG }

    public enum PanelRule { MAJORITY, UNANIMOUS, ANY }

    public GatesConfig {
        enabled = enabled.isEmpty() ? EnumSet.noneOf(GateName.class) : EnumSet.copyOf(enabled);
        judgeThresholds = new TreeMap<>(judgeThresholds);
        for (var e : judgeThresholds.entrySet()) {
            if (!Rubric.CRITERIA.containsKey(e.getKey())) throw new UserError("judge threshold: unknown criterion '" + e.getKey() + "'; criteria are " + Rubric.CRITERIA.keySet());
            if (e.getValue() < 1 || e.getValue() > Rubric.MAX_SCORE) throw new UserError("judge threshold " + e.getKey() + ": " + e.getValue() + " is outside 1.." + Rubric.MAX_SCORE);
        }
        judgeThresholds = java.util.Collections.unmodifiableMap(judgeThresholds); // sorted, so the hash is stable
        require(minAgreement >= 0 && minAgreement <= 1, "min agreement must be within [0, 1], got " + minAgreement);
        require(nearDuplicateJaccard > 0 && nearDuplicateJaccard <= 1, "near-duplicate Jaccard threshold must be within (0, 1], got " + nearDuplicateJaccard);
        require(shingleWords >= 1 && shingleWords <= 20, "shingle size must be within [1, 20] words, got " + shingleWords);
        require(minReasoningTokens >= 0, "min reasoning tokens must be >= 0");
        require(maxReasoningTokens > minReasoningTokens, "max reasoning tokens must exceed the minimum");
        require(maxResponseTokens > 0 && maxTotalTokens > 0, "token bounds must be positive");
    }

    private static void require(boolean ok, String msg) { if (!ok) throw new UserError(msg); }

    /** All gates on; bounds that suit real models. */
    public static GatesConfig defaults() {
        return new GatesConfig(EnumSet.allOf(GateName.class), OnMismatch.REJECT, Map.of(), PanelRule.MAJORITY,
                0.6, 0.7, 5, 8, 2048, 1024, 6144, true);
    }

    /** The threshold for a criterion, explicit or default. */
    public int threshold(String criterion) {
        return judgeThresholds.getOrDefault(criterion, Rubric.DEFAULT_THRESHOLDS.get(criterion));
    }

    public GatesConfig withEnabled(Set<GateName> g) { return new GatesConfig(g, onCalculatorMismatch, judgeThresholds, panelRule, minAgreement, nearDuplicateJaccard, shingleWords, minReasoningTokens, maxReasoningTokens, maxResponseTokens, maxTotalTokens, stopAtFirstFailure); }
    public GatesConfig withOnCalculatorMismatch(OnMismatch m) { return new GatesConfig(enabled, m, judgeThresholds, panelRule, minAgreement, nearDuplicateJaccard, shingleWords, minReasoningTokens, maxReasoningTokens, maxResponseTokens, maxTotalTokens, stopAtFirstFailure); }
    public GatesConfig withJudge(Map<String, Integer> thresholds, PanelRule rule) { return new GatesConfig(enabled, onCalculatorMismatch, thresholds, rule, minAgreement, nearDuplicateJaccard, shingleWords, minReasoningTokens, maxReasoningTokens, maxResponseTokens, maxTotalTokens, stopAtFirstFailure); }
    public GatesConfig withMinAgreement(double a) { return new GatesConfig(enabled, onCalculatorMismatch, judgeThresholds, panelRule, a, nearDuplicateJaccard, shingleWords, minReasoningTokens, maxReasoningTokens, maxResponseTokens, maxTotalTokens, stopAtFirstFailure); }
    public GatesConfig withContamination(double jaccard, int words) { return new GatesConfig(enabled, onCalculatorMismatch, judgeThresholds, panelRule, minAgreement, jaccard, words, minReasoningTokens, maxReasoningTokens, maxResponseTokens, maxTotalTokens, stopAtFirstFailure); }
    public GatesConfig withLengths(int minReasoning, int maxReasoning, int maxResponse, int maxTotal) { return new GatesConfig(enabled, onCalculatorMismatch, judgeThresholds, panelRule, minAgreement, nearDuplicateJaccard, shingleWords, minReasoning, maxReasoning, maxResponse, maxTotal, stopAtFirstFailure); }
    public GatesConfig withStopAtFirstFailure(boolean b) { return new GatesConfig(enabled, onCalculatorMismatch, judgeThresholds, panelRule, minAgreement, nearDuplicateJaccard, shingleWords, minReasoningTokens, maxReasoningTokens, maxResponseTokens, maxTotalTokens, b); }

    /** SHA-256 of the canonical JSON of this configuration. */
    public String hash() {
        Map<String, Object> canon = new LinkedHashMap<>();
        canon.put("enabled", List.copyOf(EnumSet.copyOf(enabled.isEmpty() ? EnumSet.noneOf(GateName.class) : enabled)).stream().map(GateName::wire).toList());
        canon.put("config", this);
        return dev.phronesis.core.Hashes.sha256(Jsonl.toJson(canon));
    }
}
