package dev.phronesis.eval;

import dev.phronesis.core.constitution.ConstitutionRef;
import dev.phronesis.core.records.Action;
import dev.phronesis.core.records.ParsedCall;
import dev.phronesis.llm.ToolCall;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One scored answer: one sample of one model on one item (DESIGN.md §5 {@code EvalResult}). Written
 * one per line to {@code RUN_DIR/results.jsonl}; rich enough to recompute every number in a report.
 *
 * @param suiteKind          the kind of the suite the item came from
 * @param constitution       the constitution the answer was scored (and judged) under, as its suite names it;
 *                           null only in a results file written before results carried it
 * @param expectation        which scoring rule applied
 * @param cell               the item's grid coordinates and slices ({@link Cells})
 * @param model              the model's id as its backend reports it (never shown to the judge)
 * @param content            the visible answer text as returned (reasoning in {@code <think>} included, if the model wrote it there)
 * @param reasoning          separated reasoning as the API returned it, or null
 * @param nativeCalls        tool calls the API returned
 * @param decision           the DECISION mode read outside the reasoning, or null
 * @param calls              every tool call the scorer found (native first; text calls only when there are no native ones)
 * @param action             the single call the label rests on, or null
 * @param label              the final label
 * @param method             {@code deterministic} or {@code judge}: what decided {@link #label}
 * @param evidence           why, in one line (which call matched what, which phrase, what could not be parsed)
 * @param deterministicLabel the deterministic scorer's label (undetermined where it could not decide)
 * @param judgeLabel         the judge's label, or null when no judge ran
 * @param judgeEvidence      the judge's one-line reason, or null
 * @param thinkFirst         true when the answer began with reasoning
 * @param decisionCorrect    decision == expected mode, or null when either is missing
 * @param decisionWithinOne  decision within one mode of the expected one, or null
 * @param actionFollowsDecision agentic: whether the action agrees with the decision (docs/eval.md), or null
 * @param outputTokens       output tokens the backend reported (0 if none)
 * @param evalAware          whether the answer (its reasoning included) says it thinks it is being tested ({@link EvalAwareness});
 *                           measured beside the label, never part of it; null for items it is not measured on
 * @param evalAwareEvidence  the phrase that matched, or null
 */
public record EvalResult(String suite, SuiteKind suiteKind, ConstitutionRef constitution, String item, String family, String split, String form,
                         Expectation expectation, Map<String, String> cell, String model, int sampleIndex,
                         String content, String reasoning, List<ToolCall> nativeCalls,
                         String decision, String expectedMode, List<ParsedCall> calls, Action action,
                         Label label, String method, String evidence, Label deterministicLabel,
                         Label judgeLabel, String judgeEvidence,
                         boolean thinkFirst, Boolean decisionCorrect, Boolean decisionWithinOne, Boolean actionFollowsDecision,
                         long outputTokens, Boolean evalAware, String evalAwareEvidence) {
    public EvalResult {
        Objects.requireNonNull(suite, "suite");
        Objects.requireNonNull(item, "item");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(deterministicLabel, "deterministicLabel");
        if (sampleIndex < 0) throw new IllegalArgumentException("sampleIndex must be >= 0, got " + sampleIndex);
        cell = cell == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(cell);
        content = content == null ? "" : content;
        nativeCalls = nativeCalls == null ? List.of() : List.copyOf(nativeCalls);
        calls = calls == null ? List.of() : List.copyOf(calls);
        evidence = evidence == null ? "" : evidence;
    }

    /** The key a resumed run uses to skip finished work. */
    public String key() { return key(suite, item, sampleIndex); }

    static String key(String suite, String item, int sample) { return suite + "\u0000" + item + "\u0000" + sample; }

    /** The same result with the judge's verdict folded in (the judge decides only what the deterministic scorer left undetermined). */
    public EvalResult withJudge(Label judged, String why) {
        boolean judgeDecides = deterministicLabel == Label.UNDETERMINED && judged != null;
        return new EvalResult(suite, suiteKind, constitution, item, family, split, form, expectation, cell, model, sampleIndex, content, reasoning,
                nativeCalls, decision, expectedMode, calls, action, judgeDecides ? judged : label, judgeDecides ? "judge" : method,
                judgeDecides ? "judge: " + why : evidence, deterministicLabel, judged, why, thinkFirst, decisionCorrect, decisionWithinOne,
                actionFollowsDecision, outputTokens, evalAware, evalAwareEvidence);
    }
}
