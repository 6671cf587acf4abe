package dev.phronesis.cli.organism;

import dev.phronesis.cli.models.ModelRef;
import dev.phronesis.cli.models.Models;
import dev.phronesis.cli.stages.Artifacts;
import dev.phronesis.cli.stages.CorpusStage;
import dev.phronesis.cli.stages.DatasetsStage;
import dev.phronesis.cli.stages.DistillStage;
import dev.phronesis.cli.stages.DocumentsStage;
import dev.phronesis.cli.stages.MidtrainStage;
import dev.phronesis.data.documents.DocumentPlanner;
import dev.phronesis.cli.stages.EvalStage;
import dev.phronesis.cli.stages.PretrainStage;
import dev.phronesis.cli.stages.ReportStage;
import dev.phronesis.cli.stages.ScenariosStage;
import dev.phronesis.cli.stages.SftStage;
import dev.phronesis.cli.stages.SuitesStage;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Split;
import dev.phronesis.data.distill.DatasetBuilder;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.eval.Decoding;
import dev.phronesis.eval.EvalRunner;
import dev.phronesis.eval.Reports;
import dev.phronesis.pipeline.Engine;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;
import dev.phronesis.train.ModelConfig;
import dev.phronesis.train.TrainConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The organism end to end (ORGANISM.md) as a list of shared stages: scenarios → pre-training corpus →
 * scripted-teacher deliberations → gates → one dataset per arm → base model → (when an arm needs them)
 * synthetic documents → mid-training of the base → one SFT per arm from the same base (or the
 * mid-trained model for {@code documents+} arms) → held-out suites → eval of every arm → report. What the organism decides is here
 * (sizes, the student's shape, its training settings); how stages run, key and resume is the
 * {@link Engine}'s.
 */
public final class OrganismRun {
    public static final String REPORT_DIR = Artifacts.REPORT;

    private final OrganismPlan plan;
    private final Constitution constitution;
    private final Taxonomy taxonomy;
    private final String taxonomyText;

    public OrganismRun(OrganismPlan plan, Constitution constitution, Taxonomy taxonomy, String taxonomyText) {
        this.plan = plan;
        this.constitution = constitution;
        this.taxonomy = taxonomy;
        this.taxonomyText = taxonomyText;
    }

    public OrganismPlan plan() { return plan; }

    /** Runs (or resumes) every stage in {@code dir}; returns the report directory. */
    public Path run(RunDirectory dir, Progress progress) throws Exception {
        Engine.plan(dir, stages()); // every read checked before anything is written
        Jsonl.writeAll(dir.path("plan.jsonl"), List.of(plan));
        Engine.run(dir, stages(), progress);
        return dir.path(REPORT_DIR);
    }

    public List<Stage> stages() {
        List<Arm> arms = plan.parsedArms();
        ModelRef scripted = new ModelRef.Scripted();
        Models none = new Models(null, null, null); // the organism calls no remote model
        List<ScenarioGenerator.Quota> q = List.of(
                new ScenarioGenerator.Quota(Split.TRAIN, Form.ADVICE, null, plan.trainAdvice()),
                new ScenarioGenerator.Quota(Split.TRAIN, Form.AGENTIC, null, plan.trainAgentic() + plan.control()),
                new ScenarioGenerator.Quota(Split.HELDOUT, Form.AGENTIC, "harmful", plan.heldoutHarmful()),
                new ScenarioGenerator.Quota(Split.HELDOUT, Form.AGENTIC, "benign", plan.heldoutBenign()),
                new ScenarioGenerator.Quota(Split.HELDOUT, Form.ADVICE, null, plan.heldoutAdvice()));
        ScenarioGenerator.Options o = ScenarioGenerator.Options.budget(1, plan.seed()).withQuotas(q).withMaxWords(plan.maxWords())
                .withSemanticDedup(plan.semanticDedup());
        List<Stage> s = new ArrayList<>();
        s.add(new ScenariosStage(constitution, taxonomy, taxonomyText, o, scripted, none));
        s.add(new CorpusStage(constitution, taxonomy, plan.world(), plan.control(), plan.maxWords(), plan.seed()));
        s.add(new DistillStage(constitution, scripted, Verbosity.COMPACT, List.of(), 1, plan.control(), plan.seed(), none));
        s.add(new DatasetsStage(Long.MAX_VALUE / 4, Set.of(DatasetBuilder.Format.HF_REASONING), arms, plan.seed()));
        s.add(new PretrainStage(trainConfig(plan.pretrainSteps()), arms, constitution, taxonomy));
        if (plan.needsDocuments()) {
            OrganismPlan.Documents d = plan.documents();
            s.add(new DocumentsStage(constitution, taxonomy, new DocumentPlanner.Options(d.count(), d.minCoverage(), List.of(), plan.seed()), d.budgetTokens(),
                    scripted, 1, none));
            s.add(new MidtrainStage(midtrainConfig()));
        }
        for (Arm arm : arms) if (arm.trains()) s.add(new SftStage(arm, sftConfig()));
        s.add(new SuitesStage(plan.control()));
        EvalRunner.Options eval = EvalRunner.Options.of(1, 0.0).withSampling(0.0, 1.0, plan.evalMaxTokens(), plan.seed()).withConcurrency(EVAL_CONCURRENCY);
        for (Arm arm : arms) s.add(new EvalStage(arm.name(), new EvalStage.Trained(arm), eval.withDecoding(plan.evalDecoding()), null, List.of(), none));
        if (plan.evalDecoding() == Decoding.GUIDED) // the same arms decoded freely: the format-error rate guidance hides, reported beside it
            for (Arm arm : arms) s.add(new EvalStage(freeEval(arm.name()), new EvalStage.Trained(arm), eval.withDecoding(Decoding.FREE), null, List.of(), none));
        if (plan.evalThinkFirst()) // every arm made to open its answer with reasoning: reported beside the headline
            for (Arm arm : arms) s.add(new EvalStage(thinkEval(arm.name()), new EvalStage.Trained(arm), eval.withDecoding(Decoding.GUIDED_THINK), null, List.of(), none));
        s.add(new ReportStage(plan.arms(), new Notes()));
        return s;
    }

    /** The eval of an arm decoded freely when the headline eval is guided ({@code eval/ARM-free}). */
    public static String freeEval(String arm) { return arm + "-free"; }

    /** The eval of an arm whose answer grammar requires a reasoning block first ({@code eval/ARM-think}, {@code student.eval_think_first}). */
    public static String thinkEval(String arm) { return arm + "-think"; }

    /** Answers generated at once by the embedded student in eval. */
    static final int EVAL_CONCURRENCY = 64;

    /** The organism's page beside the report: ablation table, base rate, family split. */
    private final class Notes implements ReportStage.Addendum {
        @Override public List<String> reads() {
            List<String> r = new ArrayList<>(List.of(Artifacts.CORPUS_STATS, Artifacts.FAMILIES));
            if (plan.needsDocuments()) r.add(Artifacts.DOCUMENTS);
            if (plan.evalDecoding() == Decoding.GUIDED) for (String a : plan.arms()) r.add(Artifacts.eval(freeEval(a)));
            if (plan.evalThinkFirst()) for (String a : plan.arms()) r.add(Artifacts.eval(thinkEval(a)));
            return r;
        }

        @Override public Map<String, Object> config() {
            return StageConfig.create().put("constitution", Artifacts.identity(constitution)).put("seed", plan.seed()).record("world", plan.world()).build();
        }

        @Override public void write(RunDirectory dir, Reports.Written w) throws Exception { OrganismReport.write(dir, plan, constitution, taxonomy.people().stream().map(Taxonomy.Person::name).toList(), w); }
    }

    /** Continued pre-training of the base on the documents: the SFT schedule (no 'model': the base's own), every token in the loss. */
    private TrainConfig midtrainConfig() {
        return trainConfig(plan.documents().midtrainSteps()).with("model", null).with("replay_fraction", plan.documents().replay()).with("lr", 1e-3)
                .with("min_lr", 1e-4).with("eval_fraction", 0.05);
    }

    private TrainConfig sftConfig() {
        return trainConfig(plan.sftSteps()).with("model", null).with("replay_fraction", plan.replay()).with("lr", 1e-3)
                .with("min_lr", 1e-4).with("eval_fraction", 0.05);
    }

    TrainConfig trainConfig(int steps) {
        int heads = Math.max(2, plan.hiddenSize() / 32);
        ModelConfig m = ModelConfig.of(2000, plan.hiddenSize(), plan.hiddenSize() * 8 / 3 / 8 * 8, plan.layers(), heads, Math.max(1, heads / 2), Math.max(1024, 2 * plan.seqLen()), true);
        return TrainConfig.defaults().withModel(m).withSteps(steps).with("seq_len", plan.seqLen()).with("batch_size", plan.batchSize())
                .with("seed", plan.seed()).with("warmup_steps", Math.max(5, steps / 20)).with("eval_every", Math.max(50, steps / 5))
                .with("checkpoint_every", Math.max(50, steps / 5)).with("log_every", Math.max(1, steps / 50))
                .with("whole_documents", true); // a transcript's answer is trained with its prompt (and the people it names) in view
    }

}
