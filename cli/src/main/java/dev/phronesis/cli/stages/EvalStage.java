package dev.phronesis.cli.stages;

import dev.phronesis.cli.models.ModelRef;
import dev.phronesis.cli.models.Models;
import dev.phronesis.cli.organism.Arm;
import dev.phronesis.eval.EvalRunner;
import dev.phronesis.eval.Suite;
import dev.phronesis.eval.Suites;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;
import dev.phronesis.train.EmbeddedStudent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One arm's eval on every suite: a student trained in this run (its checkpoint is an artifact) or a
 * named model, scored deterministically with the optional judge filling what that can't decide;
 * {@code extraSuites} (e.g. imported public benchmarks) are evaluated beside the run's own suites
 * and their content hashes are part of the key.
 * Left out of the key: {@code concurrency}, and the arm label and display metadata (the catalog name) the report shows.
 */
public record EvalStage(String arm, Student student, EvalRunner.Options options, ModelRef judge, List<java.nio.file.Path> extraSuites, Models models) implements Stage {
    public EvalStage { extraSuites = List.copyOf(extraSuites); }

    /** What is evaluated. */
    public sealed interface Student {}

    /** The final checkpoint of a model this run trained ({@code models/NAME}); the arm's training tokens go into the report. */
    public record Trained(Arm arm) implements Student {}

    /** A model named in the experiment. */
    public record Named(ModelRef ref) implements Student {}

    @Override public String name() { return "eval-" + arm; }
    @Override public String describe() { return "evaluate '" + arm + "' on every suite"; }

    @Override public List<String> reads() {
        List<String> r = new ArrayList<>(List.of(Artifacts.SUITES));
        if (student instanceof Trained t) {
            r.add(Artifacts.model(t.arm().modelName()));
            if (t.arm().trains()) r.add(Artifacts.ARM_TOKENS);
            if (t.arm().midtrains()) {
                r.add(Artifacts.DOCUMENTS_DATASET);
                if (t.arm().trains()) r.add(Artifacts.MIDTRAINED);
            }
        }
        return r;
    }

    @Override public List<String> writes() { return List.of(Artifacts.eval(arm)); }
    @Override public int version() { return 3; } // 2: the guided ending may not start inside an open think block; 3: the text before it is bounded in tokens, not characters

    @Override public Map<String, Object> config() {
        StageConfig c = StageConfig.create().record("eval", options, "concurrency", "arm", "metadata");
        if (student instanceof Named n) c.put("student", models.identity(n.ref()));
        if (judge != null) c.put("eval.judge", models.identity(judge));
        if (!extraSuites.isEmpty()) c.put("eval.suites", extraSuites.stream().map(f -> Suites.load(f).hash()).toList());
        return c.build();
    }

    @Override public void run(RunDirectory dir, Progress progress) throws Exception {
        List<Suite> suites = new ArrayList<>(SuitesStage.load(dir));
        for (java.nio.file.Path f : extraSuites) suites.add(Suites.load(f));
        Map<String, String> meta = new LinkedHashMap<>(options.metadata());
        if (student instanceof Trained t) {
            // unique tokens: the arm's SFT data plus, for a documents arm, the documents dataset; processed: what its training
            // after the base passed through the loss (mid-training, replay included, and SFT)
            long documents = t.arm().midtrains() ? DocumentsStage.tokens(dir) : 0;
            long sft = DatasetsStage.armTokens(dir, t.arm());
            long processed = (t.arm().trains() ? MidtrainStage.processedTokens(dir, t.arm().name()) : 0)
                    + (t.arm().midtrains() ? MidtrainStage.processedTokens(dir, Arm.Start.MIDTRAINED.model()) : 0);
            meta.put("trainingTokens", String.valueOf(sft + documents));
            if (t.arm().midtrains()) meta.put("documentsTokens", String.valueOf(documents));
            if (t.arm().trains() || t.arm().midtrains()) meta.put("processedTokens", String.valueOf(processed));
        }
        EvalRunner.Options o = options.withArm(arm, meta);
        Progress listener = (stage, done, total) -> progress.update("eval " + arm + ": " + stage, done, total);
        switch (student) {
            case Trained t -> {
                try (EmbeddedStudent m = EmbeddedStudent.load(dir.path(Artifacts.model(t.arm().modelName())).resolve("final"))) {
                    failIfCallsFailed(judge == null ? EvalRunner.run(suites, m, null, o, dir.path(Artifacts.eval(arm)), listener)
                            : EvalRunner.run(models.engine(), suites, m, models.open(judge), o, dir.path(Artifacts.eval(arm)), listener));
                }
            }
            case Named n -> {
                ChatModel m = models.open(n.ref());
                failIfCallsFailed(EvalRunner.run(models.engine(), suites, m, judge == null ? null : models.open(judge), o, dir.path(Artifacts.eval(arm)), listener));
            }
        }
    }

    /** Failure kinds that are not the model's answer: the request itself failed (a schema violation is an answer, and scored). */
    private static final java.util.Set<String> NOT_AN_ANSWER = java.util.Set.of("rate_limited", "server_error", "timeout", "malformed_response",
            "client_error", "transport");

    /**
     * Answers or judgements whose request failed (auth, 5xx after retries, connection, timeout) are not results and
     * were not cached: the stage stays unfinished (exit 1, saying why) so that a rerun asks for exactly those again.
     */
    private void failIfCallsFailed(EvalRunner.Outcome out) throws java.io.IOException {
        if (out.failed() + out.judgeFailed() == 0) return;
        java.nio.file.Path f = out.runDir().resolve(EvalRunner.FAILURES);
        if (!java.nio.file.Files.exists(f)) return;
        int answers = 0, judgements = 0;
        String example = "";
        for (String l : java.nio.file.Files.readAllLines(f)) {
            if (l.isBlank()) continue;
            var n = dev.phronesis.core.records.Jsonl.MAPPER.readTree(l);
            if (!NOT_AN_ANSWER.contains(n.path("kind").asText())) continue;
            if (n.path("stage").asText().equals("judge")) judgements++; else answers++;
            if (example.isEmpty()) example = ", e.g. " + n.path("kind").asText() + ": " + n.path("message").asText().lines().findFirst().orElse("");
        }
        int failed = answers + judgements;
        if (failed == 0) return;
        throw new UserError(String.format("eval %s: %d of %d calls failed and were not cached (%d answers, %d judgements; rerun to retry them; %s)%s",
                arm, failed, out.total() + out.judged() + out.judgeFailed(), answers, judgements, f, example), 1);
    }
}
