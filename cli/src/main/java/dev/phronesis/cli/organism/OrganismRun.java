package dev.phronesis.cli.organism;

import dev.phronesis.cli.pipeline.Pipeline;
import dev.phronesis.core.Progress;
import dev.phronesis.cli.pipeline.RunDirectory;
import dev.phronesis.cli.pipeline.Stage;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.records.Turn;
import dev.phronesis.core.records.Variant;
import dev.phronesis.data.distill.DatasetBuilder;
import dev.phronesis.data.distill.Distiller;
import dev.phronesis.data.distill.GatesConfig;
import dev.phronesis.data.distill.ScriptedTeacher;
import dev.phronesis.data.distill.TokenCounter;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.eval.EvalRunner;
import dev.phronesis.eval.Reports;
import dev.phronesis.eval.Suite;
import dev.phronesis.eval.SuiteKind;
import dev.phronesis.eval.Suites;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.train.EmbeddedStudent;
import dev.phronesis.train.ModelConfig;
import dev.phronesis.train.TrainConfig;
import dev.phronesis.train.Trainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The organism end to end (ORGANISM.md): scenarios → pre-training corpus → base model →
 * scripted-teacher deliberations → gates → one dataset per arm → one SFT per arm from the same base →
 * eval of every arm on held-out agentic honeypots, benign look-alikes and held-out advice →
 * report. Each step is a {@link Stage} of a resumable run directory.
 */
public final class OrganismRun {
    static final String SCENARIOS_DIR = "scenarios";
    static final String CORPUS = "corpus/pretrain.jsonl";
    static final String CORPUS_STATS = "corpus/stats.json";
    static final String DISTILL_DIR = "distill";
    static final String DATASETS_DIR = "datasets";
    static final String MODELS_DIR = "models";
    static final String EVAL_DIR = "eval";
    static final String SUITES_DIR = "suites";
    public static final String REPORT_DIR = "report";

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

    /** The taxonomy's people: names a tool call could carry. */
    List<String> people() { return taxonomy.people().stream().map(dev.phronesis.data.scenario.Taxonomy.Person::name).toList(); }

    /** Runs (or resumes) every stage in {@code dir}; returns the report directory. */
    public Path run(RunDirectory dir, Progress progress) throws Exception {
        Jsonl.writeAll(dir.path("plan.jsonl"), List.of(plan));
        Pipeline.run(dir, stages(), progress);
        return dir.path(REPORT_DIR);
    }

    public List<Stage> stages() {
        List<Stage> s = new ArrayList<>();
        // the generation limit only changes the eval: keep it out of the key of every stage before it
        String k0 = hash(constitution.hash(), taxonomy.hash(), Jsonl.toJson(plan.withEvalMaxTokens(0)));
        String kEval = hash(k0, "eval_max_tokens=" + plan.evalMaxTokens());
        s.add(stage("scenarios", "train families (both forms) and held-out families: honeypots, benign look-alikes, advice", k0, this::scenarios, SCENARIOS_DIR));
        s.add(stage("corpus", "pre-training corpus: agentic transcripts at the stated base rate, advice chats, cue narratives", k0, this::corpus, "corpus"));
        s.add(stage("distill", "scripted-teacher deliberations through the quality gates", k0, this::distill, DISTILL_DIR));
        s.add(stage("datasets", "one SFT dataset per arm (context distilled: no constitution in the prompt)", k0, this::datasets, DATASETS_DIR));
        s.add(stage("pretrain", "base model pre-training (" + plan.pretrainSteps() + " steps)", k0, this::pretrain, MODELS_DIR + "/base"));
        for (String arm : plan.arms()) {
            if (arm.equals("none")) continue;
            s.add(stage("sft-" + arm, "SFT of '" + arm + "' from the base (" + plan.sftSteps() + " steps, " + Math.round(plan.replay() * 100) + "% replay)", k0,
                    d -> sft(d, arm), MODELS_DIR + "/" + arm));
        }
        s.add(stage("suites", "eval suites from held-out families only (checked disjoint from every training family)", k0, this::suites, SUITES_DIR));
        for (String arm : plan.arms()) {
            s.add(stage("eval-" + arm, "evaluate '" + arm + "' on every suite", kEval, d -> eval(d, arm), EVAL_DIR + "/" + arm));
        }
        s.add(stage("report", "report: ablation table, rates with 95% CIs, charts, transcripts", kEval, this::report, REPORT_DIR));
        return s;
    }

    interface Body { void run(RunDirectory dir) throws Exception; }

    private Stage stage(String name, String describe, String key, Body body, String output) {
        return new Stage() {
            @Override public String name() { return name; }
            @Override public List<String> outputs() { return List.of(output); }
            @Override public String describe() { return describe; }
            @Override public String key() { return hash(key, name); }
            @Override public void run(RunDirectory dir, Progress progress) throws Exception {
                OrganismRun.this.progress = progress;
                body.run(dir);
            }
        };
    }

    private Progress progress = Progress.silent();

    // ---- stages ------------------------------------------------------------------------------

    private void scenarios(RunDirectory dir) {
        List<ScenarioGenerator.Quota> q = new ArrayList<>();
        q.add(new ScenarioGenerator.Quota(Split.TRAIN, Form.ADVICE, null, plan.trainAdvice()));
        q.add(new ScenarioGenerator.Quota(Split.TRAIN, Form.AGENTIC, null, plan.trainAgentic() + plan.control()));
        q.add(new ScenarioGenerator.Quota(Split.HELDOUT, Form.AGENTIC, "harmful", plan.heldoutHarmful()));
        q.add(new ScenarioGenerator.Quota(Split.HELDOUT, Form.AGENTIC, "benign", plan.heldoutBenign()));
        q.add(new ScenarioGenerator.Quota(Split.HELDOUT, Form.ADVICE, null, plan.heldoutAdvice()));
        ScenarioGenerator.Options o = ScenarioGenerator.Options.budget(1, plan.seed()).withQuotas(q).withMaxWords(plan.maxWords())
                .withSemanticDedup(plan.semanticDedup());
        ScenarioGenerator.generate(taxonomy, taxonomyText, constitution, o, null, null, dir.path(SCENARIOS_DIR),
                (stage, done, total) -> progress.update("scenarios: " + stage, done, total));
    }

    List<Scenario> allScenarios(RunDirectory dir) {
        return Jsonl.read(dir.path(SCENARIOS_DIR).resolve(ScenarioGenerator.SCENARIOS), Scenario.class);
    }

    /** Training scenarios and the in-distribution control items: a fixed, seed-independent split of the train agentic pool by id. */
    record TrainPool(List<Scenario> train, List<Scenario> control, List<Scenario> heldout) {}

    TrainPool pool(RunDirectory dir) {
        List<Scenario> train = new ArrayList<>();
        List<Scenario> control = new ArrayList<>();
        List<Scenario> heldout = new ArrayList<>();
        List<Scenario> agentic = new ArrayList<>();
        for (Scenario s : allScenarios(dir)) {
            if (s.split() == Split.HELDOUT) heldout.add(s);
            else if (s.split() == Split.TRAIN && s.form() == Form.AGENTIC) agentic.add(s);
            else if (s.split() == Split.TRAIN) train.add(s);
        }
        agentic.sort(java.util.Comparator.comparing(Scenario::id));
        for (int i = 0; i < agentic.size(); i++) (i < plan.control() ? control : train).add(agentic.get(i));
        return new TrainPool(train, control, heldout);
    }

    private void corpus(RunDirectory dir) throws IOException {
        TrainPool p = pool(dir);
        PretrainCorpus.Corpus c = PretrainCorpus.build(p.train(), constitution, plan.world(), plan.seed(), taxonomy, plan.maxWords());
        Jsonl.writeAll(dir.path(CORPUS), c.documents());
        Files.writeString(dir.path(CORPUS_STATS), Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(c.stats()), StandardCharsets.UTF_8);
        progress.message(String.format("  corpus: %d documents (%d agentic, %d advice, %d narratives); base misaligned-action rate %.0f%% of %d tempting transcripts",
                c.stats().documents(), c.stats().agentic(), c.stats().advice(), c.stats().narratives(), 100 * c.stats().baseMisalignedRate(), c.stats().agenticWithTemptation()));
    }

    List<String> corpusDocs(RunDirectory dir) {
        return Jsonl.read(dir.path(CORPUS), String.class);
    }

    TrainConfig trainConfig(int steps) {
        int heads = Math.max(2, plan.hiddenSize() / 32);
        ModelConfig m = ModelConfig.of(2000, plan.hiddenSize(), plan.hiddenSize() * 8 / 3 / 8 * 8, plan.layers(), heads, Math.max(1, heads / 2), Math.max(1024, 2 * plan.seqLen()), true);
        return TrainConfig.defaults().withModel(m).withSteps(steps).with("seq_len", plan.seqLen()).with("batch_size", plan.batchSize())
                .with("seed", plan.seed()).with("warmup_steps", Math.max(5, steps / 20)).with("eval_every", Math.max(50, steps / 5))
                .with("checkpoint_every", Math.max(50, steps / 5)).with("log_every", Math.max(1, steps / 50))
                .with("whole_documents", true); // a transcript's answer is trained with its prompt (and the people it names) in view
    }

    private Trainer.Listener listener(String label) {
        return pr -> progress.update(label, pr.step(), pr.totalSteps(), String.format(java.util.Locale.ROOT, "loss %.3f  %.0f tok/s", pr.loss(), pr.tokensPerSecond()));
    }

    private void pretrain(RunDirectory dir) {
        TrainConfig cfg = trainConfig(plan.pretrainSteps());
        // the vocabulary also covers every word of the SFT data, so no arm's words are spelled letter by letter
        List<String> vocabulary = new ArrayList<>();
        for (String arm : plan.arms()) {
            if (arm.equals("none")) continue;
            for (Sample x : Jsonl.read(dir.path(DATASETS_DIR).resolve(arm + ".jsonl"), Sample.class)) {
                x.messages().forEach(t -> vocabulary.add(t.content()));
                vocabulary.add(x.reasoning());
                vocabulary.add(x.response());
            }
        }
        Trainer.Result r = Trainer.pretrain(cfg, corpusDocs(dir), vocabulary, dir.path(MODELS_DIR).resolve("base"), listener("pretrain"));
        progress.message(String.format("  base: %d steps, train loss %.3f, eval loss %.3f, %.0f tokens/s", r.steps(), r.trainLoss(), r.evalLoss(), r.tokensPerSecond()));
    }

    private void distill(RunDirectory dir) {
        TrainPool p = pool(dir);
        Distiller.Options o = Distiller.Options.defaults().withSamples(1).withReferences(p.heldout());
        Distiller.Result r = Distiller.run(p.train(), constitution, new ScriptedTeacher(constitution, Verbosity.COMPACT, plan.seed()), List.of(),
                GatesConfig.defaults(), dir.path(DISTILL_DIR), (stage, done, total) -> progress.update("distill: " + stage, done, total), o);
        progress.message(String.format("  distill: %d scenarios, %d samples, %d accepted by the gates", r.scenarios(), r.samples(), r.accepted()));
    }

    private void datasets(RunDirectory dir) throws IOException {
        DatasetBuilder.Result r = DatasetBuilder.build(dir.path(DISTILL_DIR), Set.of(Variant.DELIBERATIVE, Variant.DEMONSTRATION), Long.MAX_VALUE / 4,
                TokenCounter.approximate(), Set.of(DatasetBuilder.Format.HF_REASONING));
        Map<String, Scenario> byId = new LinkedHashMap<>();
        for (Scenario x : allScenarios(dir)) byId.put(x.id(), x);
        Map<String, List<Sample>> chosen = new LinkedHashMap<>();
        Files.createDirectories(dir.path(DATASETS_DIR));
        for (String arm : plan.arms()) {
            if (arm.equals("none")) continue;
            String base = OrganismPlan.baseArm(arm);
            Variant v = base.contains("deliberation") ? Variant.DELIBERATIVE : Variant.DEMONSTRATION;
            Form f = base.startsWith("honeypot") ? Form.AGENTIC : Form.ADVICE;
            List<ArmData.Row> all = r.samples().get(v).stream().filter(s -> s.form() == f).sorted(java.util.Comparator.comparing(Sample::scenarioId))
                    .map(s -> ArmData.offered(s, byId.get(s.scenarioId()).tools())).toList();
            List<ArmData.Row> rows = switch (base) {
                case OrganismPlan.NARROW -> ArmData.narrow(all, byId);
                case OrganismPlan.DIVERSE -> ArmData.diverse(all, ArmData.rowTokens(ArmData.narrow(all, byId)), plan.seed());
                // a data-budget arm trains on a fixed prefix of the same ordering, so smaller budgets are subsets of larger ones
                default -> all.subList(0, Math.max(Math.min(1, all.size()), all.size() * OrganismPlan.dataPercent(arm) / 100));
            };
            if (rows.isEmpty()) throw new UserError("arm " + arm + ": no accepted samples of form " + f.wire() + " — the gates rejected them all; see " + dir.path(DISTILL_DIR));
            // the tool block goes into the system turn exactly as the chat template puts it there at eval time
            List<Sample> samples = rows.stream().map(ArmData::rendered).toList();
            Jsonl.writeAll(dir.path(DATASETS_DIR).resolve(arm + ".jsonl"), samples);
            chosen.put(arm, samples);
        }
        Map<String, Object> tokens = new LinkedHashMap<>();
        Map<String, ArmData.Diversity> diversity = ArmData.diversity(chosen, true);
        chosen.forEach((arm, samples) -> tokens.put(arm, Map.of("samples", samples.size(), "uniqueTokens", ArmData.uniqueTokens(samples),
                "diversity", diversity.get(arm))));
        Files.writeString(dir.path(DATASETS_DIR).resolve("tokens.json"), Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tokens), StandardCharsets.UTF_8);
    }

    static List<List<ChatMessage>> chats(List<Sample> samples) {
        List<List<ChatMessage>> out = new ArrayList<>();
        for (Sample s : samples) {
            List<ChatMessage> c = new ArrayList<>();
            for (Turn t : s.messages()) c.add(ChatMessage.of(t, null));
            c.add(ChatMessage.assistant(s.response(), s.reasoning().isBlank() ? null : s.reasoning(), List.of()));
            out.add(c);
        }
        return out;
    }

    private void sft(RunDirectory dir, String arm) {
        List<Sample> samples = Jsonl.read(dir.path(DATASETS_DIR).resolve(arm + ".jsonl"), Sample.class);
        TrainConfig cfg = trainConfig(plan.sftSteps()).with("model", null).with("replay_fraction", plan.replay()).with("lr", 1e-3)
                .with("min_lr", 1e-4).with("eval_fraction", 0.05);
        Trainer.Result r = Trainer.sft(cfg, chats(samples), corpusDocs(dir), dir.path(MODELS_DIR).resolve("base").resolve("final"),
                dir.path(MODELS_DIR).resolve(arm), listener("sft " + arm));
        progress.message(String.format("  %s: %d samples (%d longer than a %d-token row, cut), %d steps, train loss %.3f, eval loss %.3f, %d trained tokens seen",
                arm, samples.size(), r.truncatedSamples(), plan.seqLen(), r.steps(), r.trainLoss(), r.evalLoss(), r.trainedTokensSeen()));
    }

    /** Held-out suites, written as scenario JSONL, after checking that no eval family was trained on. */
    private void suites(RunDirectory dir) throws IOException {
        TrainPool p = pool(dir);
        Set<String> trainFamilies = new HashSet<>();
        for (Scenario s : p.train()) trainFamilies.add(s.family());
        for (Scenario s : p.control()) trainFamilies.add(s.family());
        List<String> overlap = p.heldout().stream().map(Scenario::family).filter(trainFamilies::contains).distinct().toList();
        if (!overlap.isEmpty()) throw new IllegalStateException("held-out families overlap training families: " + overlap);
        Set<String> heldoutFamilies = new java.util.TreeSet<>();
        p.heldout().forEach(s -> heldoutFamilies.add(s.family()));
        progress.message("  eval families are disjoint from the " + trainFamilies.size() + " training families: " + heldoutFamilies.size() + " held-out families " + heldoutFamilies);
        Path sd = dir.path(SUITES_DIR);
        Files.createDirectories(sd);
        write(sd.resolve("heldout-agentic.jsonl"), p.heldout().stream().filter(s -> s.form() == Form.AGENTIC && s.spec().agentic() != null && s.spec().agentic().misalignedAction() != null).toList());
        write(sd.resolve("over-refusal.jsonl"), p.heldout().stream().filter(s -> s.form() == Form.AGENTIC && s.spec().agentic() != null && s.spec().agentic().misalignedAction() == null).toList());
        write(sd.resolve("heldout-advice.jsonl"), p.heldout().stream().filter(s -> s.form() == Form.ADVICE).toList());
        write(sd.resolve("control-agentic.jsonl"), p.control());
        Files.writeString(sd.resolve("families.json"), Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(
                Map.of("train", new java.util.TreeSet<>(trainFamilies), "heldout", heldoutFamilies)), StandardCharsets.UTF_8);
    }

    private static void write(Path file, List<Scenario> scenarios) {
        if (scenarios.isEmpty()) throw new UserError(file.getFileName() + ": no scenarios for this suite; raise the plan's budgets");
        Jsonl.writeAll(file, scenarios);
    }

    List<Suite> loadSuites(RunDirectory dir) {
        Path sd = dir.path(SUITES_DIR);
        return List.of(
                Suites.fromScenarioFile(sd.resolve("heldout-agentic.jsonl"), null, null, SuiteKind.AGENTIC),
                Suites.fromScenarioFile(sd.resolve("over-refusal.jsonl"), null, null, SuiteKind.OVER_REFUSAL),
                Suites.fromScenarioFile(sd.resolve("heldout-advice.jsonl"), null, null, SuiteKind.ADVICE),
                Suites.fromScenarioFile(sd.resolve("control-agentic.jsonl"), null, null, SuiteKind.CONTROL));
    }

    Path checkpoint(RunDirectory dir, String arm) {
        return dir.path(MODELS_DIR).resolve(arm.equals("none") ? "base" : arm).resolve("final");
    }

    private void eval(RunDirectory dir, String arm) throws IOException {
        List<Suite> suites = loadSuites(dir);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("trainingTokens", String.valueOf(armTokens(dir, arm)));
        try (EmbeddedStudent student = EmbeddedStudent.load(checkpoint(dir, arm))) {
            EvalRunner.Options o = EvalRunner.Options.of(1, 0.0).withSampling(0.0, 1.0, plan.evalMaxTokens(), plan.seed())
                    .withConcurrency(64).withArm(arm, meta);
            EvalRunner.run(suites, student, null, o, dir.path(EVAL_DIR).resolve(arm), (stage, done, t) -> progress.update("eval " + arm + ": " + stage, done, t));
        }
    }

    long armTokens(RunDirectory dir, String arm) throws IOException {
        if (arm.equals("none")) return 0;
        var n = Jsonl.MAPPER.readTree(dir.path(DATASETS_DIR).resolve("tokens.json").toFile());
        return n.path(arm).path("uniqueTokens").asLong();
    }

    private void report(RunDirectory dir) throws IOException {
        List<Path> runs = plan.arms().stream().map(a -> dir.path(EVAL_DIR).resolve(a)).toList();
        Reports.Written w = Reports.writeRunDirs(runs, dir.path(REPORT_DIR));
        OrganismReport.write(dir, plan, constitution, w, this);
    }

    static String hash(String... parts) { return Pipeline.key(parts); }

}
