package dev.phronesis.cli.experiment;

import dev.phronesis.cli.pipeline.Pipeline;
import dev.phronesis.core.Progress;
import dev.phronesis.cli.pipeline.RunDirectory;
import dev.phronesis.cli.pipeline.Stage;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.records.Variant;
import dev.phronesis.data.distill.DatasetBuilder;
import dev.phronesis.data.distill.Distiller;
import dev.phronesis.data.distill.GatesConfig;
import dev.phronesis.data.distill.Judge;
import dev.phronesis.data.distill.LlmJudge;
import dev.phronesis.data.distill.LlmTeacher;
import dev.phronesis.data.distill.ScriptedTeacher;
import dev.phronesis.data.distill.Teacher;
import dev.phronesis.data.distill.TokenCounter;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.data.scenario.LlmRealiser;
import dev.phronesis.data.scenario.Realiser;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.eval.EvalRunner;
import dev.phronesis.eval.Reports;
import dev.phronesis.eval.Suite;
import dev.phronesis.eval.SuiteKind;
import dev.phronesis.eval.Suites;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.train.hf.GpuTrainerExport;
import dev.phronesis.train.lora.LoraConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The real-model path of an experiment: scenarios (scripted or LLM realiser) → LLM teacher through
 * the gates (LLM judges) → datasets and trainer exports → eval of every named student → report.
 * Every LLM call goes through one {@link LlmEngine} journaling into the run directory, so a rerun
 * after a crash pays for no finished call twice; stage state makes finished stages free.
 */
final class RealRun {
    private final Experiment.Real x;
    private final Constitution c;
    private final Taxonomy taxonomy;
    private final ModelCatalog catalog;

    RealRun(Experiment.Real x) {
        this.x = x;
        this.c = ConstitutionLoader.resolve(x.constitution());
        this.taxonomy = Taxonomy.resolve(x.taxonomy());
        this.catalog = ModelCatalog.load(x.models());
        for (String m : models()) {
            if (!m.equals("scripted")) catalog.open(m).close(); // fail early and clearly on an unknown name or a missing key variable
        }
    }

    private List<String> models() {
        Set<String> all = new LinkedHashSet<>();
        all.add(x.realiser());
        all.add(x.teacher());
        all.addAll(x.judges());
        all.addAll(x.students().values());
        if (x.evalJudge() != null) all.add(x.evalJudge());
        return new ArrayList<>(all);
    }

    /** A model whose calls go through the engine (journal, limits, retries). */
    private static ChatModel journaled(LlmEngine engine, ChatModel m) {
        return new ChatModel() {
            @Override public String id() { return m.id(); }
            @Override public ChatResult chat(ChatRequest r) { return engine.chat(m, r); }
            @Override public void close() { m.close(); }
        };
    }

    Path run(RunDirectory dir, Progress progress) throws Exception {
        List<String> keyParts = new ArrayList<>(List.of(c.hash(), taxonomy.hash(), Jsonl.toJson(x.students()), x.teacher(), String.join(",", x.judges()),
                String.valueOf(x.seed()), x.realiser(), String.valueOf(x.trainScenarios()), String.valueOf(x.samplesPerScenario()), String.valueOf(x.budgetTokens())));
        // extra eval suites join the key only when there are some, so existing runs keep their keys
        if (!x.evalSuites().isEmpty()) keyParts.add(extraSuites().stream().map(Suite::hash).collect(java.util.stream.Collectors.joining(",")));
        String k = ExperimentKeys.hash(keyParts.toArray(String[]::new));
        try (LlmEngine engine = LlmEngine.open(dir.path(LlmEngine.JOURNAL_FILE))) {
            List<Stage> stages = List.of(
                    ExperimentKeys.stage("scenarios", "scenarios with the " + x.realiser() + " realiser", k, "scenarios", d -> scenarios(d, engine, progress)),
                    ExperimentKeys.stage("distill", "deliberations by " + x.teacher() + " through the gates" + (x.judges().isEmpty() ? "" : " with judges " + x.judges()), k, "distill", d -> distill(d, engine, progress)),
                    ExperimentKeys.stage("datasets", "datasets " + x.formats() + " under " + x.budgetTokens() + " tokens", k, "distill/" + DatasetBuilder.DIR, d -> datasets(d)),
                    ExperimentKeys.stage("export", "trainer export: " + x.export(), k, "export", this::export),
                    ExperimentKeys.stage("suites", "eval suites from held-out families", k, "suites", this::suites),
                    ExperimentKeys.stage("eval", "evaluate " + x.students().keySet(), k, "eval", d -> eval(d, engine, progress)),
                    ExperimentKeys.stage("report", "report", k, "report", this::report));
            Pipeline.run(dir, stages, progress);
        }
        return dir.path("report");
    }

    private void scenarios(RunDirectory dir, LlmEngine engine, Progress progress) {
        List<ScenarioGenerator.Quota> q = List.of(
                new ScenarioGenerator.Quota(Split.TRAIN, null, null, x.trainScenarios()),
                new ScenarioGenerator.Quota(Split.HELDOUT, Form.AGENTIC, "harmful", x.heldoutAgentic()),
                new ScenarioGenerator.Quota(Split.HELDOUT, Form.AGENTIC, "benign", x.heldoutBenign()),
                new ScenarioGenerator.Quota(Split.HELDOUT, Form.ADVICE, null, x.heldoutAdvice()));
        ScenarioGenerator.Options o = ScenarioGenerator.Options.budget(1, x.seed()).withQuotas(q).withSemanticDedup(false);
        Realiser realiser = x.realiser().equals("scripted") ? null
                : new LlmRealiser(journaled(engine, catalog.open(x.realiser())), taxonomy, o.maxWords(), 3);
        ScenarioGenerator.generate(taxonomy, null, c, o, realiser, null, dir.path("scenarios"), (s, d, t) -> progress.update("scenarios: " + s, d, t));
    }

    private List<Scenario> scenarios(RunDirectory dir) {
        return Jsonl.read(dir.path("scenarios").resolve(ScenarioGenerator.SCENARIOS), Scenario.class);
    }

    private void distill(RunDirectory dir, LlmEngine engine, Progress progress) {
        List<Scenario> all = scenarios(dir);
        List<Scenario> train = all.stream().filter(s -> s.split() != Split.HELDOUT).toList();
        List<Scenario> heldout = all.stream().filter(s -> s.split() == Split.HELDOUT).toList();
        Teacher teacher = x.teacher().equals("scripted") ? new ScriptedTeacher(c, Verbosity.FULL, x.seed())
                : new LlmTeacher(journaled(engine, catalog.open(x.teacher())), c, Verbosity.FULL, 0.7, x.seed());
        List<Judge> judges = new ArrayList<>();
        for (String j : x.judges()) judges.add(new LlmJudge(journaled(engine, catalog.open(j)), c));
        Distiller.Options o = Distiller.Options.defaults().withSamples(x.samplesPerScenario()).withReferences(heldout);
        Distiller.Result r = Distiller.run(train, c, teacher, judges, GatesConfig.defaults(), dir.path("distill"), (s, d, t) -> progress.update("distill: " + s, d, t), o);
        progress.message(String.format("  distill: %d scenarios, %d samples, %d accepted", r.scenarios(), r.samples(), r.accepted()));
        if (r.accepted() == 0) throw new UserError("no sample passed the gates; see " + dir.path("distill") + " (phronesis distill report)");
    }

    private void datasets(RunDirectory dir) {
        Set<DatasetBuilder.Format> formats = EnumSet.noneOf(DatasetBuilder.Format.class);
        for (String f : x.formats()) formats.add(DatasetBuilder.Format.parse(f));
        if (!x.export().equals("none")) formats.add(DatasetBuilder.Format.THINK); // what the exported trainer reads
        DatasetBuilder.build(dir.path("distill"), EnumSet.of(Variant.DELIBERATIVE, Variant.DEMONSTRATION), x.budgetTokens(), TokenCounter.approximate(), formats);
    }

    /** A runnable GPU training job (transformers + peft, or TRL) on the deliberative dataset; see docs/real-models.md. */
    private void export(RunDirectory dir) throws Exception {
        if (x.export().equals("none")) return;
        Path data;
        try (var files = Files.list(dir.path("distill").resolve(DatasetBuilder.DIR).resolve("deliberative"))) {
            data = files.filter(f -> f.getFileName().toString().startsWith("think") && f.getFileName().toString().endsWith(".jsonl"))
                    .sorted().findFirst().orElseThrow(() -> new UserError(dir.path("distill") + ": no think-format dataset to export"));
        }
        String base = x.baseModel() == null ? "Qwen/Qwen3-8B" : x.baseModel();
        GpuTrainerExport.Target target = x.export().equals("trl") ? GpuTrainerExport.Target.TRL : GpuTrainerExport.Target.PEFT;
        GpuTrainerExport.export(new GpuTrainerExport.Options(target, data, base, dir.path("export"), LoraConfig.of(16, 32, 0.05, false),
                2048, 4, 4, 1000, 2e-4, 30, 0.0, 1.0, 200, x.seed()));
    }

    private void suites(RunDirectory dir) throws Exception {
        List<Scenario> heldout = scenarios(dir).stream().filter(s -> s.split() == Split.HELDOUT).toList();
        Files.createDirectories(dir.path("suites"));
        Jsonl.writeAll(dir.path("suites/heldout-agentic.jsonl"), heldout.stream().filter(s -> s.form() == Form.AGENTIC && s.spec().agentic() != null && s.spec().agentic().misalignedAction() != null).toList());
        Jsonl.writeAll(dir.path("suites/over-refusal.jsonl"), heldout.stream().filter(s -> s.form() == Form.AGENTIC && s.spec().agentic() != null && s.spec().agentic().misalignedAction() == null).toList());
        Jsonl.writeAll(dir.path("suites/heldout-advice.jsonl"), heldout.stream().filter(s -> s.form() == Form.ADVICE).toList());
    }

    private List<Suite> loadSuites(RunDirectory dir) {
        List<Suite> out = new ArrayList<>();
        for (var e : Map.of("heldout-agentic.jsonl", SuiteKind.AGENTIC, "over-refusal.jsonl", SuiteKind.OVER_REFUSAL, "heldout-advice.jsonl", SuiteKind.ADVICE).entrySet()) {
            Path f = dir.path("suites").resolve(e.getKey());
            try {
                if (Files.size(f) > 0) out.add(Suites.fromScenarioFile(f, null, null, e.getValue()));
            } catch (java.io.IOException ex) {
                throw new UserError(f + ": " + ex.getMessage());
            }
        }
        out.addAll(extraSuites());
        out.sort(java.util.Comparator.comparing(Suite::id));
        return out;
    }

    /** The experiment's {@code eval.suites} (imported public benchmarks), evaluated beside the held-out suites. */
    private List<Suite> extraSuites() {
        List<Suite> out = new ArrayList<>();
        for (Path f : x.evalSuites()) out.add(Suites.load(f));
        return out;
    }

    private void eval(RunDirectory dir, LlmEngine engine, Progress progress) {
        List<Suite> suites = loadSuites(dir);
        ChatModel judge = x.evalJudge() == null ? null : catalog.open(x.evalJudge());
        for (var e : x.students().entrySet()) {
            try (ChatModel student = catalog.open(e.getValue())) {
                EvalRunner.Options o = EvalRunner.Options.of(x.evalSamples(), x.temperature()).withArm(e.getKey(), Map.of("model", e.getValue()));
                EvalRunner.run(engine, suites, student, judge, o, dir.path("eval").resolve(e.getKey()), (s, d, t) -> progress.update("eval " + e.getKey() + ": " + s, d, t));
            }
        }
        if (judge != null) judge.close();
    }

    private void report(RunDirectory dir) {
        List<Path> runs = x.students().keySet().stream().map(a -> dir.path("eval").resolve(a)).toList();
        Reports.writeRunDirs(runs, dir.path("report"));
    }
}
