package dev.phronesis.cli.stages;

import dev.phronesis.cli.models.ModelRef;
import dev.phronesis.cli.models.Models;
import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.data.distill.TokenCounter;
import dev.phronesis.data.documents.DocumentDataset;
import dev.phronesis.data.documents.DocumentGenerator;
import dev.phronesis.data.documents.DocumentPlanner;
import dev.phronesis.data.documents.DocumentStats;
import dev.phronesis.data.documents.DocumentWriter;
import dev.phronesis.data.documents.Genre;
import dev.phronesis.data.documents.LlmDocumentWriter;
import dev.phronesis.data.documents.ScriptedDocumentWriter;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Synthetic documents about the constitution (docs/documents.md): planned for coverage from the
 * taxonomy's training families only, written by the scripted writer or an LLM (through the run's
 * journal, so a rerun after a crash pays for no call twice), checked by the split guard and against
 * the run's dev and held-out scenarios (contamination), MinHash-deduplicated, and cut to a token
 * budget as the plain-text {@code documents} dataset ({@code documents/dataset/}).
 * Left out of the key: {@code concurrency}.
 */
public record DocumentsStage(Constitution constitution, Taxonomy taxonomy, DocumentPlanner.Options plan, long budgetTokens, ModelRef writer,
                             int concurrency, Models models) implements Stage {
    /** LLM writer: samples per document before it is rejected as drifted. */
    static final int ATTEMPTS = 3;
    static final double MINHASH_THRESHOLD = 0.8;

    public DocumentsStage {
        if (budgetTokens < 1) throw new UserError("documents: budget_tokens must be a positive number of tokens, got " + budgetTokens);
    }

    @Override public String name() { return "documents"; }
    @Override public String describe() {
        return "synthetic documents by " + writer.text() + " (" + plan.count() + "+ planned, each item covered >= " + plan.minCoverage() + "), under " + budgetTokens + " tokens";
    }
    @Override public List<String> reads() { return List.of(Artifacts.SCENARIOS); }
    @Override public List<String> writes() { return List.of(Artifacts.DOCUMENTS); }
    @Override public int version() { return 1; }

    @Override public Map<String, Object> config() {
        StageConfig c = StageConfig.create().put("constitution", Artifacts.identity(constitution)).put("taxonomy", taxonomy.hash())
                .put("documents.count", plan.count()).put("documents.min_coverage", plan.minCoverage())
                .put("documents.genres", plan.genres().stream().map(Genre::wire).toList()).put("documents.budget_tokens", budgetTokens)
                .put("documents.minhash_threshold", MINHASH_THRESHOLD).put("seed", plan.seed()).put("documents.writer", models.identity(writer));
        if (!(writer instanceof ModelRef.Scripted)) c.put("documents.attempts", ATTEMPTS);
        return c.build();
    }

    @Override public void run(RunDirectory dir, Progress progress) {
        Map<String, String> guard = new LinkedHashMap<>();
        for (Scenario s : Artifacts.scenarios(dir)) if (s.split() != Split.TRAIN) guard.put(s.id(), ScenarioGenerator.dedupText(s));
        DocumentWriter w = writer instanceof ModelRef.Scripted ? new ScriptedDocumentWriter(constitution, taxonomy)
                : new LlmDocumentWriter(models.journaled(writer), constitution, taxonomy, ATTEMPTS);
        int planned = DocumentPlanner.plan(constitution, taxonomy, plan).size();
        DocumentGenerator.Result r = DocumentGenerator.generate(constitution, taxonomy, w,
                new DocumentGenerator.Options(plan, MINHASH_THRESHOLD, false, 0.97, guard, concurrency), null, dir.root(),
                n -> progress.update("documents", n, planned));
        if (r.retryableFailures() > 0)
            throw new UserError("documents: " + r.retryableFailures() + " documents not written (request failures before the model answered); rerun to retry them");
        DocumentStats stats = DocumentStats.compute(r.documents(), r.coverage(), plan.minCoverage(), null);
        Jsonl.writeAll(dir.path(Artifacts.DOCUMENTS).resolve(DocumentGenerator.COVERAGE), List.of(stats));
        if (r.documents().isEmpty()) throw new UserError("documents: every planned document was rejected; see " + dir.path(Artifacts.DOCUMENTS).resolve(DocumentGenerator.REJECTED));
        DocumentDataset.Summary d = DocumentDataset.write(r.documents(), budgetTokens, TokenCounter.approximate(), dir.path(Artifacts.DOCUMENTS_DATASET));
        progress.message(String.format(java.util.Locale.ROOT, "  documents: %d written (%d rejected), %d in the dataset (%d tokens of %d); coverage %s%s",
                r.documents().size(), r.rejected().size(), d.documents(), d.tokens(), d.budget(),
                r.coverage().values().stream().mapToInt(Integer::intValue).summaryStatistics().getMin() + ".." + r.coverage().values().stream().mapToInt(Integer::intValue).max().orElse(0),
                r.shortfall().isEmpty() ? "" : "; BELOW --min-coverage: " + r.shortfall()));
    }

    /** The documents dataset's texts, in dataset order. */
    static List<String> texts(RunDirectory dir) {
        return Jsonl.read(dir.path(Artifacts.DOCUMENTS_DATASET).resolve(DocumentDataset.FILE), DocumentDataset.Row.class).stream().map(DocumentDataset.Row::text).toList();
    }

    /** The documents dataset's tokens (its tokens.json). */
    static long tokens(RunDirectory dir) throws java.io.IOException {
        return Jsonl.MAPPER.readTree(dir.path(Artifacts.DOCUMENTS_DATASET).resolve("tokens.json").toFile()).path("tokens").asLong();
    }
}
