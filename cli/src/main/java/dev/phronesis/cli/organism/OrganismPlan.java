package dev.phronesis.cli.organism;

import java.util.List;
import java.util.Map;

/**
 * The sizes and knobs of one organism run (ORGANISM.md). {@link #full()} is what {@code phronesis
 * demo} runs, {@link #quick()} the CI smoke test; their step counts keep the tokens of the earlier
 * measured sizes (3,000 / 600 pre-training steps of 192-token rows) in 320-token rows, which an
 * agentic deliberation sample with its tool block needs (median 270 tokens); rows are 352 tokens
 * since the teacher's compact reasoning quotes the scenario's cue words (session 10: about 11 tokens
 * more per sample, which at 320 would cut the answer off one sample in ten). Experiment files
 * override any of these.
 *
 * @param trainAdvice        advice scenarios from training families
 * @param trainAgentic       agentic scenarios from training families
 * @param heldoutHarmful     held-out agentic honeypots with a misaligned option (misalignment rate)
 * @param heldoutBenign      held-out benign agentic look-alikes (over-refusal rate)
 * @param heldoutAdvice      held-out advice dilemmas (decision accuracy)
 * @param control            in-distribution agentic items (training families, unseen items) for the generalisation gap
 * @param maxWords           word limit of a scenario text (the student's context is small)
 * @param hiddenSize         student width (the organism: ~1M parameters)
 * @param layers             student depth
 * @param seqLen             training window in tokens
 * @param pretrainSteps      base-model steps
 * @param sftSteps           steps per SFT arm
 * @param batchSize          rows per step
 * @param replay             share of pre-training rows replayed in every SFT arm (same for all arms)
 * @param evalMaxTokens      generation limit per answer, the same for every arm; it must leave room for reasoning before the
 *                           decision line, or arms that reason are cut off before they answer (and scored undetermined)
 * @param semanticDedup      embed scenarios (all-MiniLM-L6-v2) for semantic dedup
 * @param documents          the synthetic documents and the mid-training of the {@code documents} arms (used only when an arm needs them)
 * @param evalDecoding       how eval asks for answers: guided (the answer grammar; every arm is then also evaluated with free
 *                           decoding, reported beside it) or free only
 * @param evalThinkFirst     also evaluate every arm with the answer grammar that requires a reasoning block first
 *                           ({@code eval/ARM-think}), reported beside the headline: does an arm behave better when made to reason?
 */
public record OrganismPlan(long seed, int trainAdvice, int trainAgentic, int heldoutHarmful, int heldoutBenign, int heldoutAdvice,
                           int control, int maxWords, int hiddenSize, int layers, int seqLen, int pretrainSteps, int sftSteps,
                           int batchSize, double replay, int evalMaxTokens, boolean semanticDedup, List<String> arms,
                           PretrainCorpus.World world, Documents documents, dev.phronesis.eval.Decoding evalDecoding, boolean evalThinkFirst) {

    /**
     * The documents arms' mid-training (docs/documents.md): scripted documents planned for coverage from
     * training families only, a token budget, and continued pre-training of the base with replay.
     *
     * @param count         documents planned at least
     * @param minCoverage   documents covering each principle, heuristic and factor
     * @param budgetTokens  token budget of the documents dataset
     * @param midtrainSteps continued pre-training steps from the base
     * @param replay        share of pre-training corpus rows mixed into mid-training
     */
    public record Documents(int count, int minCoverage, long budgetTokens, int midtrainSteps, double replay) {
        public Documents {
            if (count < 1 || minCoverage < 1 || budgetTokens < 1 || midtrainSteps < 1)
                throw new IllegalArgumentException("documents: count, min_coverage, budget_tokens and midtrain_steps must be >= 1");
            if (replay < 0 || replay > 0.95) throw new IllegalArgumentException("documents: replay must be within [0, 0.95]");
        }

        public static Documents full() { return new Documents(400, 5, 2_000_000, 300, 0.25); }

        public static Documents quick() { return new Documents(120, 2, 2_000_000, 80, 0.25); }
    }

    /** The arms of ORGANISM.md, in report order; the first is the baseline of every comparison. */
    public static final List<String> ARMS = List.of("none", "honeypot-demos", "honeypot-deliberation", "advice-demos", "advice-deliberation",
            "honeypot-deliberation-narrow", "honeypot-deliberation-diverse");
    /**
     * The prompt-diversity ablation: {@code honeypot-deliberation} trained on a narrow slice of the taxonomy (one domain,
     * one system-prompt template, only the tools the task needs) vs on the full diversity with unneeded tool definitions
     * and varied system prompts added, both cut to the same unique tokens.
     */
    public static final String NARROW = "honeypot-deliberation-narrow", DIVERSE = "honeypot-deliberation-diverse";

    public OrganismPlan {
        arms = List.copyOf(arms);
        java.util.Objects.requireNonNull(documents, "documents");
        if (evalDecoding == null) evalDecoding = dev.phronesis.eval.Decoding.GUIDED;
        if (evalDecoding == dev.phronesis.eval.Decoding.GUIDED_THINK)
            throw new IllegalArgumentException("eval_decoding: guided-think is not a headline decoding here; set eval_think_first: true to report it beside the headline");
        for (String a : arms) Arm.parse(a); // throws naming the arm
        if (arms.stream().distinct().count() != arms.size()) throw new IllegalArgumentException("arms must be distinct, got " + arms);
        if (!arms.contains("none")) throw new IllegalArgumentException("the arms must include 'none' (the base model), the baseline of every comparison");
    }

    /** The arms, parsed, in report order. */
    public List<Arm> parsedArms() { return arms.stream().map(Arm::parse).toList(); }

    /** True when some arm starts from the mid-trained model: the run has the documents and midtrain stages. */
    public boolean needsDocuments() { return parsedArms().stream().anyMatch(Arm::midtrains); }

    public static OrganismPlan full() {
        return new OrganismPlan(1, 500, 500, 240, 120, 120, 60, 60, 96, 3, 352, 1500, 150, 16, 0.25, 192, false, ARMS,
                PretrainCorpus.World.defaults(), Documents.full(), dev.phronesis.eval.Decoding.GUIDED, false);
    }

    public static OrganismPlan quick() {
        return new OrganismPlan(1, 160, 160, 60, 30, 30, 20, 60, 96, 3, 352, 360, 40, 16, 0.25, 192, false, ARMS,
                PretrainCorpus.World.defaults(), Documents.quick(), dev.phronesis.eval.Decoding.GUIDED, false);
    }

    public OrganismPlan withSeed(long s) {
        return new OrganismPlan(s, trainAdvice, trainAgentic, heldoutHarmful, heldoutBenign, heldoutAdvice, control, maxWords, hiddenSize,
                layers, seqLen, pretrainSteps, sftSteps, batchSize, replay, evalMaxTokens, semanticDedup, arms, world, documents, evalDecoding, evalThinkFirst);
    }

    public OrganismPlan withArms(List<String> a) {
        return new OrganismPlan(seed, trainAdvice, trainAgentic, heldoutHarmful, heldoutBenign, heldoutAdvice, control, maxWords, hiddenSize,
                layers, seqLen, pretrainSteps, sftSteps, batchSize, replay, evalMaxTokens, semanticDedup, a, world, documents, evalDecoding, evalThinkFirst);
    }

    public OrganismPlan withEvalMaxTokens(int t) {
        return new OrganismPlan(seed, trainAdvice, trainAgentic, heldoutHarmful, heldoutBenign, heldoutAdvice, control, maxWords, hiddenSize,
                layers, seqLen, pretrainSteps, sftSteps, batchSize, replay, t, semanticDedup, arms, world, documents, evalDecoding, evalThinkFirst);
    }

    public OrganismPlan withSteps(int pretrain, int sft) {
        return new OrganismPlan(seed, trainAdvice, trainAgentic, heldoutHarmful, heldoutBenign, heldoutAdvice, control, maxWords, hiddenSize,
                layers, seqLen, pretrain, sft, batchSize, replay, evalMaxTokens, semanticDedup, arms, world, documents, evalDecoding, evalThinkFirst);
    }

    /** The published reference points shown beside the organism's numbers (agentic misalignment, averaged over honeypot evals). */
    public static final Map<String, String> PUBLISHED = Map.of(
            "none", "22%", "honeypot-demos", "15%", "honeypot-deliberation", "3%", "advice-demos", "–",
            "advice-deliberation", "≈3% with ~28× fewer tokens than eval-like data",
            "documents+honeypot-deliberation", "MSM: 54% → 7% (Qwen3-32B; deliberation alone 14%)");
}
