package dev.phronesis.cli.experiment;

import dev.phronesis.cli.models.ModelRef;
import dev.phronesis.cli.models.Models;
import dev.phronesis.cli.stages.DatasetsStage;
import dev.phronesis.cli.stages.DistillStage;
import dev.phronesis.cli.stages.DocumentsStage;
import dev.phronesis.data.documents.DocumentPlanner;
import dev.phronesis.data.documents.Genre;
import dev.phronesis.cli.stages.EvalStage;
import dev.phronesis.cli.stages.ExportKind;
import dev.phronesis.cli.stages.ExportStage;
import dev.phronesis.cli.stages.ReportStage;
import dev.phronesis.cli.stages.ScenariosStage;
import dev.phronesis.cli.stages.SuitesStage;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Split;
import dev.phronesis.data.distill.DatasetBuilder;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.eval.EvalRunner;
import dev.phronesis.pipeline.Stage;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The real-model path of an experiment as a list of shared stages: scenarios (scripted or LLM
 * realiser) → LLM teacher through the gates (LLM judges) → (synthetic documents, when the experiment
 * has a {@code documents} section) → datasets → trainer export (with a mid-training stage on the documents) → suites →
 * eval of every named student (on the held-out suites and the experiment's extra suite files) → report. Every LLM call goes through the run's journal (see
 * {@link Models}), so a rerun after a crash pays for no finished call twice.
 */
final class RealRun {
    private RealRun() {}

    /** LLM document writer: documents in flight (not in the key; results do not depend on it). */
    static final int DOCUMENTS_CONCURRENCY = 8;

    /** Every model the experiment names, checked (unknown name, missing key variable) before any stage runs. */
    static void check(Experiment.Real x, Models models) {
        Set<String> all = new LinkedHashSet<>();
        all.add(x.realiser());
        all.add(x.teacher());
        all.addAll(x.judges());
        all.addAll(x.students().values());
        if (x.evalJudge() != null) all.add(x.evalJudge());
        if (x.documents() != null) all.add(x.documents().writer());
        for (String m : all) models.check(models.ref(m));
    }

    static List<Stage> stages(Experiment.Real x, Constitution c, Taxonomy taxonomy, Models models) {
        List<ScenarioGenerator.Quota> q = List.of(
                new ScenarioGenerator.Quota(Split.TRAIN, null, null, x.trainScenarios()),
                new ScenarioGenerator.Quota(Split.HELDOUT, Form.AGENTIC, "harmful", x.heldoutAgentic()),
                new ScenarioGenerator.Quota(Split.HELDOUT, Form.AGENTIC, "benign", x.heldoutBenign()),
                new ScenarioGenerator.Quota(Split.HELDOUT, Form.ADVICE, null, x.heldoutAdvice()));
        ScenarioGenerator.Options o = ScenarioGenerator.Options.budget(1, x.seed()).withQuotas(q).withSemanticDedup(false);
        Set<DatasetBuilder.Format> formats = EnumSet.noneOf(DatasetBuilder.Format.class);
        for (String f : x.formats()) formats.add(DatasetBuilder.Format.parse(f));
        if (x.export() != ExportKind.NONE) formats.add(DatasetBuilder.Format.THINK); // what the exported trainer reads
        List<ModelRef> judges = x.judges().stream().map(models::ref).toList();
        ModelRef evalJudge = x.evalJudge() == null ? null : models.ref(x.evalJudge());

        List<Stage> s = new ArrayList<>();
        s.add(new ScenariosStage(c, taxonomy, null, o, models.ref(x.realiser()), models));
        s.add(new DistillStage(c, models.ref(x.teacher()), Verbosity.FULL, judges, x.samplesPerScenario(), 0, x.seed(), models));
        Experiment.Documents d = x.documents();
        if (d != null) {
            List<Genre> genres = d.genres().stream().map(Genre::of).toList();
            s.add(new DocumentsStage(c, taxonomy, new DocumentPlanner.Options(d.count(), d.minCoverage(), genres, x.seed()), d.budgetTokens(),
                    models.ref(d.writer()), DOCUMENTS_CONCURRENCY, models));
        }
        s.add(new DatasetsStage(x.budgetTokens(), formats, List.of(), x.seed()));
        s.add(new ExportStage(x.export(), x.baseModel(), x.seed(), d == null ? 0 : d.midtrainSteps()));
        s.add(new SuitesStage(0));
        for (Map.Entry<String, String> e : x.students().entrySet()) {
            EvalRunner.Options eval = EvalRunner.Options.of(x.evalSamples(), x.temperature()).withArm(e.getKey(), Map.of("model", e.getValue()));
            s.add(new EvalStage(e.getKey(), new EvalStage.Named(models.ref(e.getValue())), eval, evalJudge, x.evalSuites(), models));
        }
        s.add(new ReportStage(List.copyOf(x.students().keySet()), null));
        return s;
    }
}
