package dev.phronesis.cli;

import picocli.CommandLine.Mixin;
import dev.phronesis.cli.models.Models;
import dev.phronesis.cli.models.ModelsOption;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.data.distill.JournaledModel;
import dev.phronesis.data.distill.TokenCounter;
import dev.phronesis.data.documents.Document;
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
import dev.phronesis.data.scenario.TextEmbedder;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.LlmEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "documents", mixinStandardHelpOptions = true,
        header = "Synthetic documents about the constitution (explainers, essays, case studies, Q&A, stories) for mid-training.",
        description = "generate plans documents for coverage of every principle, heuristic and factor, from training families only, "
                + "and writes them (scripted offline, or an LLM through the journal); stats reports diversity and coverage; "
                + "dataset writes the plain-text 'documents' dataset with a card and trainer exports.",
        subcommands = {DocumentsCommand.Generate.class, DocumentsCommand.Stats.class, DocumentsCommand.Dataset.class})
public final class DocumentsCommand implements Runnable {
    @Override public void run() { throw new UserError("phronesis documents: give a subcommand: generate, stats or dataset"); }

    enum WriterKind { scripted, llm }

    @Command(name = "generate", mixinStandardHelpOptions = true, header = "Plan and write documents into RUN_DIR/documents/.",
            description = "Writes documents.jsonl, plan.jsonl, rejected.jsonl and coverage.json. An interrupted run resumes where it stopped; "
                    + "LLM calls go through RUN_DIR/llm-journal.sqlite, so none is paid for twice.")
    static final class Generate implements Callable<Integer> {
        @Option(names = "--constitution", defaultValue = "builtin:general", description = "Constitution YAML or builtin:NAME (default: ${DEFAULT-VALUE}).") String constitution;
        @Option(names = "--taxonomy", defaultValue = "builtin:default", description = "Taxonomy YAML or builtin:NAME; documents use its training families only (default: ${DEFAULT-VALUE}).") String taxonomy;
        @Option(names = "--out", required = true, paramLabel = "RUN_DIR") Path out;
        @Option(names = "--count", defaultValue = "200", description = "Documents to plan at least (default: ${DEFAULT-VALUE}).") int count;
        @Option(names = "--min-coverage", defaultValue = "3", description = "Documents that must cover each principle, heuristic and factor (default: ${DEFAULT-VALUE}).") int minCoverage;
        @Option(names = "--genres", split = ",", paramLabel = "GENRE", description = "Genres to write (default: all of explainer, essay, case-study, qa, story).") List<String> genres;
        @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--writer", defaultValue = "scripted", description = "scripted (offline) or llm (default: ${DEFAULT-VALUE}).") WriterKind writer;
        @Option(names = "--model", paramLabel = "NAME|SPEC", description = "For --writer llm: a model in --models, or an inline spec such as openai:qwen3-8b@http://127.0.0.1:8000/v1.") String model;
        @Mixin ModelsOption models;
        @Option(names = "--attempts", defaultValue = "3", description = "LLM writer: samples per document before it is rejected as drifted (default: ${DEFAULT-VALUE}).") int attempts;
        @Option(names = "--concurrency", defaultValue = "8", description = "LLM writer: documents in flight; does not change results (default: ${DEFAULT-VALUE}).") int concurrency;
        @Option(names = "--minhash-threshold", defaultValue = "0.8", description = "Jaccard (word 3-shingles) at which documents are near duplicates (default: ${DEFAULT-VALUE}).") double jaccard;
        @Option(names = "--cosine-threshold", defaultValue = "0.97", description = "Embedding cosine at which documents are semantic duplicates (default: ${DEFAULT-VALUE}).") double cosine;
        @Option(names = "--no-semantic-dedup", description = "Skip the embedding dedup and the Vendi score (MinHash dedup always runs).") boolean noSemantic;
        @Option(names = "--guard", paramLabel = "SCENARIOS.jsonl", description = "Eval scenarios no document may contain (their dev and held-out items); repeatable.") List<Path> guard;
        @Option(names = "--json", description = "Print the summary as JSON.") boolean json;

        @Override public Integer call() {
            Constitution c = ConstitutionLoader.resolve(constitution);
            Taxonomy t = Taxonomy.resolve(taxonomy);
            List<Genre> gs = genres == null ? List.of() : genres.stream().map(g -> Genre.of(g.trim())).toList();
            DocumentPlanner.Options plan = new DocumentPlanner.Options(count, minCoverage, gs, seed);
            if (attempts < 1) throw new UserError("phronesis: --attempts must be >= 1, got " + attempts);
            DocumentGenerator.Options o = new DocumentGenerator.Options(plan, jaccard, !noSemantic, cosine, guardTexts(guard), concurrency);
            DocumentPlanner.plan(c, t, plan); // validates everything before a call is made
            DocumentGenerator.Result r;
            try (TextEmbedder emb = noSemantic ? null : TextEmbedder.miniLm()) {
                if (writer == WriterKind.llm) {
                    if (model == null) throw new UserError("phronesis: --writer llm needs --model NAME|SPEC");
                    try (LlmEngine engine = LlmEngine.open(out.resolve(LlmEngine.JOURNAL_FILE));
                         Models resolver = models.resolver()) {
                        ChatModel m = resolver.open(resolver.ref(model));
                        r = generate(c, t, new LlmDocumentWriter(new JournaledModel(engine, m), c, t, attempts), o, emb);
                    }
                } else {
                    if (model != null) throw new UserError("phronesis: --model is only used with --writer llm");
                    r = generate(c, t, new ScriptedDocumentWriter(c, t), o, emb);
                }
                DocumentStats stats = DocumentStats.compute(r.documents(), r.coverage(), minCoverage, emb);
                Jsonl.writeAll(out.resolve(DocumentGenerator.DIR).resolve(DocumentGenerator.COVERAGE), List.of(stats));
                if (json) System.out.println(Jsonl.toJson(summary(r, stats)));
                else print(r, stats, out);
            } catch (Exception e) {
                if (e instanceof RuntimeException re) throw re;
                throw new UserError("phronesis: " + e.getMessage());
            }
            return r.documents().isEmpty() ? 1 : Main.OK;
        }

        private DocumentGenerator.Result generate(Constitution c, Taxonomy t, DocumentWriter w, DocumentGenerator.Options o, TextEmbedder emb) {
            int[] last = {-1};
            DocumentGenerator.Result r = DocumentGenerator.generate(c, t, w, o, emb, out, done -> {
                if (!json && done / 10 != last[0]) { last[0] = done / 10; System.err.printf(Locale.ROOT, "\rdocuments  %d written", done); }
            });
            if (!json) System.err.println();
            return r;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, header = "Diversity (distinct-n, Vendi) and genre x item coverage of RUN_DIR/documents.")
    static final class Stats implements Callable<Integer> {
        @Parameters(paramLabel = "RUN_DIR") Path run;
        @Option(names = "--min-coverage", defaultValue = "3", description = "Coverage each item should reach (default: ${DEFAULT-VALUE}).") int minCoverage;
        @Option(names = "--constitution", defaultValue = "builtin:general", description = "The constitution the documents explain (default: ${DEFAULT-VALUE}).") String constitution;
        @Option(names = "--no-embed", description = "Skip the embedding metrics.") boolean noEmbed;
        @Option(names = "--json", description = "Print the statistics as JSON.") boolean json;

        @Override public Integer call() throws Exception {
            List<Document> docs = readDocuments(run);
            Constitution c = ConstitutionLoader.resolve(constitution);
            if (!docs.isEmpty() && !docs.getFirst().constitutionHash().equals(c.hash()))
                throw new UserError(run.resolve(DocumentGenerator.DIR).resolve(DocumentGenerator.DOCUMENTS) + ": written for constitution "
                        + docs.getFirst().constitution() + ", not " + c.ref() + "; pass --constitution");
            try (TextEmbedder emb = noEmbed ? null : TextEmbedder.miniLm()) {
                DocumentStats s = DocumentStats.compute(docs, DocumentPlanner.coverage(c, docs.stream().map(Document::spec).toList()), minCoverage, emb);
                if (json) System.out.println(Jsonl.toJson(s));
                else {
                    System.out.printf(Locale.ROOT, "%d documents, %d words; distinct-1/2/3 %.3f/%.3f/%.3f%s%n", s.documents(), s.words(),
                            s.distinct1(), s.distinct2(), s.distinct3(), s.vendi() == null ? "" : String.format(Locale.ROOT, "; Vendi %.1f, mean cosine %.3f", s.vendi(), s.meanCosine()));
                    System.out.println("genres: " + s.genres());
                    System.out.print(s.markdown());
                    if (!s.shortfall().isEmpty()) System.out.println("below --min-coverage " + minCoverage + ": " + s.shortfall());
                }
            }
            return Main.OK;
        }
    }

    @Command(name = "dataset", mixinStandardHelpOptions = true, header = "Write the plain-text 'documents' dataset (JSONL, card, TRL and Axolotl exports).")
    static final class Dataset implements Callable<Integer> {
        @Parameters(paramLabel = "RUN_DIR") Path run;
        @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
        @Option(names = "--budget", required = true, paramLabel = "TOKENS", description = "Token budget of the dataset.") long budget;
        @Option(names = "--tokenizer", paramLabel = "tokenizer.json", description = "Count tokens with the student's tokenizer (default: an approximate BPE-like count).") Path tokenizer;
        @Option(names = "--json", description = "Print the summary as JSON.") boolean json;

        @Override public Integer call() {
            if (budget <= 0) throw new UserError("phronesis: --budget must be a positive number of tokens, got " + budget);
            DocumentDataset.Summary s = DocumentDataset.write(readDocuments(run), budget, TokenCounter.of(tokenizer), out);
            if (json) System.out.println(Jsonl.toJson(s));
            else System.out.printf(Locale.ROOT, "%d documents (%d tokens of %d budget) -> %s%n", s.documents(), s.tokens(), s.budget(), out.resolve(DocumentDataset.FILE));
            return Main.OK;
        }
    }

    static List<Document> readDocuments(Path run) {
        Path f = run.resolve(DocumentGenerator.DIR).resolve(DocumentGenerator.DOCUMENTS);
        if (!Files.isRegularFile(f)) throw new UserError(f + ": no documents here (run 'phronesis documents generate --out " + run + "' first)");
        return Jsonl.read(f, Document.class);
    }

    /** Dev and held-out scenario texts from the given scenarios.jsonl files, by id. */
    static Map<String, String> guardTexts(List<Path> files) {
        Map<String, String> out = new LinkedHashMap<>();
        if (files == null) return out;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) throw new UserError(f + ": no such scenarios file (--guard)");
            for (Scenario s : Jsonl.read(f, Scenario.class)) if (s.split() != Split.TRAIN) out.put(s.id(), ScenarioGenerator.dedupText(s));
        }
        return out;
    }

    private static Map<String, Object> summary(DocumentGenerator.Result r, DocumentStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("documents", r.documents().size());
        m.put("rejected", r.rejected().size());
        m.put("retryable_failures", r.retryableFailures());
        m.put("min_coverage", r.minCoverage());
        m.put("shortfall", r.shortfall());
        m.put("stats", s);
        return m;
    }

    private static void print(DocumentGenerator.Result r, DocumentStats s, Path out) {
        System.out.printf(Locale.ROOT, "%d documents -> %s (%d rejected, see rejected.jsonl)%n", r.documents().size(),
                out.resolve(DocumentGenerator.DIR).resolve(DocumentGenerator.DOCUMENTS), r.rejected().size());
        System.out.printf(Locale.ROOT, "  genres %s; distinct-1/2/3 %.3f/%.3f/%.3f%s%n", s.genres(), s.distinct1(), s.distinct2(), s.distinct3(),
                s.vendi() == null ? "" : String.format(Locale.ROOT, "; Vendi %.1f", s.vendi()));
        List<Integer> counts = new ArrayList<>(r.coverage().values());
        System.out.printf(Locale.ROOT, "  coverage: every item covered by %d..%d documents (minimum asked %d)%s%n",
                counts.stream().min(Integer::compare).orElse(0), counts.stream().max(Integer::compare).orElse(0), r.minCoverage(),
                r.shortfall().isEmpty() ? "" : "; BELOW the minimum after checks: " + r.shortfall());
        if (r.retryableFailures() > 0) System.out.printf(Locale.ROOT, "  %d documents not written (request failures); rerun to retry them%n", r.retryableFailures());
    }
}
