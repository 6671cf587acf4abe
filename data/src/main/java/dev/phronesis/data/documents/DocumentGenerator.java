package dev.phronesis.data.documents;

import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.data.documents.DocumentWriter.Written;
import dev.phronesis.data.scenario.NearDuplicates;
import dev.phronesis.data.scenario.SemanticDuplicates;
import dev.phronesis.data.scenario.TextEmbedder;
import dev.phronesis.data.scenario.Slots;
import dev.phronesis.data.scenario.Taxonomy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.IntConsumer;

/**
 * The documents stage: plan → write → checks → dedup → coverage and diversity.
 *
 * <p>Crash safety: each written (or finally rejected) document is appended to
 * {@code documents/written.jsonl} as soon as it exists, and an LLM writer's calls go through the
 * engine's journal, so a rerun after kill -9 writes only what is missing and pays for no call twice.
 * Failures that were not the model's answer (auth, network, 5xx) are never recorded, so a rerun asks
 * again. The final files are written atomically in plan order, so a resumed run and an uninterrupted
 * one give the same bytes.
 */
public final class DocumentGenerator {
    public static final String DIR = "documents";
    public static final String DOCUMENTS = "documents.jsonl";
    public static final String WRITTEN = "written.jsonl";
    public static final String REJECTED = "rejected.jsonl";
    public static final String PLAN = "plan.jsonl";
    public static final String COVERAGE = "coverage.json";
    /** A document containing this share of a protected (eval) text's word 8-grams is contaminated. */
    static final double CONTAMINATION_CONTAINMENT = 0.3;
    private static final int CONTAMINATION_NGRAM = 8;

    /**
     * @param guardTexts  eval texts (suite items, held-out scenarios) no document may reproduce; id -> text
     * @param concurrency documents written at once (the LLM writer; results do not depend on it)
     */
    public record Options(DocumentPlanner.Options plan, double minhashThreshold, boolean semanticDedup, double cosineThreshold,
                          Map<String, String> guardTexts, int concurrency) {
        public Options {
            guardTexts = guardTexts == null ? Map.of() : new LinkedHashMap<>(guardTexts);
            if (concurrency < 1) throw new UserError("documents: --concurrency must be >= 1, got " + concurrency);
        }
    }

    /** One line of rejected.jsonl: a planned document that was written but not kept, and why. */
    public record Rejection(String id, String stage, String reason) {}

    /** One line of written.jsonl: the writer's outcome for a planned document. */
    record Outcome(String id, Document document, String failed) {}

    public record Result(List<Document> documents, List<Rejection> rejected, Map<String, Integer> coverage,
                         int minCoverage, List<String> shortfall, int retryableFailures) {}

    private DocumentGenerator() {}

    public static Result generate(Constitution c, Taxonomy t, DocumentWriter writer, Options o, TextEmbedder embedder,
                                  Path runDir, IntConsumer progress) {
        List<DocumentSpec> plan = DocumentPlanner.plan(c, t, o.plan());
        Path dir = runDir.resolve(DIR);
        Jsonl.writeAll(dir.resolve(PLAN), plan);
        Map<String, Outcome> done = new HashMap<>();
        Path writtenFile = dir.resolve(WRITTEN);
        if (Files.exists(writtenFile)) for (Outcome w : Jsonl.read(writtenFile, Outcome.class, true)) done.put(w.id(), w);
        List<DocumentSpec> todo = plan.stream().filter(s -> !done.containsKey(s.id())).toList();
        int[] retryable = {0};
        writer.prefetch(todo);
        try (Jsonl.Appender out = new Jsonl.Appender(writtenFile);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Semaphore slots = new Semaphore(o.concurrency());
            List<Future<?>> futures = new ArrayList<>();
            int[] count = {done.size()};
            for (DocumentSpec s : todo) {
                futures.add(pool.submit(() -> {
                    slots.acquireUninterruptibly();
                    try {
                        Outcome w = outcome(s, writer.write(s), c, t, writer.id());
                        if (w == null) { synchronized (retryable) { retryable[0]++; } return; }
                        out.append(w);
                        synchronized (done) { done.put(s.id(), w); progress.accept(++count[0]); }
                    } finally {
                        slots.release();
                    }
                }));
            }
            for (Future<?> f : futures) join(f);
        }
        if (retryable[0] > 0 && done.values().stream().noneMatch(w -> w.document() != null))
            throw new UserError("documents: every request failed before the model answered (" + retryable[0]
                    + " documents; see the messages above); nothing was kept, rerun when the model is reachable", 1);

        // checks in plan order: split guard, contamination, near duplicates
        List<Document> kept = new ArrayList<>();
        List<Rejection> rejected = new ArrayList<>();
        SplitGuard guard = new SplitGuard(t);
        for (DocumentSpec s : plan) {
            Outcome w = done.get(s.id());
            if (w == null) continue;
            if (w.document() == null) { rejected.add(new Rejection(s.id(), "write", w.failed())); continue; }
            String why = guard.check(s, w.document().text());
            if (why == null) why = contamination(w.document().text(), o.guardTexts());
            if (why != null) rejected.add(new Rejection(s.id(), "split-guard", why));
            else kept.add(w.document());
        }
        Set<String> drop = new HashSet<>();
        NearDuplicates nd = new NearDuplicates(NearDuplicates.Config.defaults().withThreshold(o.minhashThreshold()));
        for (var col : nd.dedup(kept.stream().map(Document::id).toList(), kept.stream().map(Document::text).toList())) {
            drop.add(col.removed());
            rejected.add(new Rejection(col.removed(), "dedup", String.format(java.util.Locale.ROOT, "near duplicate of %s (%s %.2f)", col.kept(), col.method(), col.similarity())));
        }
        if (o.semanticDedup() && embedder != null) {
            List<Document> left = kept.stream().filter(d -> !drop.contains(d.id())).toList();
            float[][] x = embedder.embed(left.stream().map(Document::text).toList());
            for (var col : new SemanticDuplicates(o.cosineThreshold()).dedup(left.stream().map(Document::id).toList(), x)) {
                drop.add(col.removed());
                rejected.add(new Rejection(col.removed(), "dedup", String.format(java.util.Locale.ROOT, "near duplicate of %s (%s %.2f)", col.kept(), col.method(), col.similarity())));
            }
        }
        List<Document> docs = kept.stream().filter(d -> !drop.contains(d.id())).toList();
        rejected.sort(java.util.Comparator.comparing(Rejection::id));
        Jsonl.writeAll(dir.resolve(DOCUMENTS), docs);
        Jsonl.writeAll(dir.resolve(REJECTED), rejected);
        Map<String, Integer> coverage = DocumentPlanner.coverage(c, docs.stream().map(Document::spec).toList());
        List<String> shortfall = coverage.entrySet().stream().filter(e -> e.getValue() < o.plan().minCoverage()).map(Map.Entry::getKey).toList();
        return new Result(docs, rejected, coverage, o.plan().minCoverage(), shortfall, retryable[0]);
    }

    /** The writer's outcome as a written.jsonl line; null for a failure a rerun should retry. */
    private static Outcome outcome(DocumentSpec s, Written w, Constitution c, Taxonomy t, String writerId) {
        return switch (w) {
            case Written.Text x -> new Outcome(s.id(), new Document(s.id(), s, x.title(), x.text(), Slots.words(x.text()), writerId,
                    c.ref(), c.hash(), t.hash()), null);
            case Written.Failed f when f.retryable() -> {
                System.err.println("documents: " + s.id() + ": " + f.reason() + " (will be retried on the next run)");
                yield null;
            }
            case Written.Failed f -> new Outcome(s.id(), null, f.reason());
        };
    }

    /** Null when no protected text is contained in the document, else the reason. */
    static String contamination(String text, Map<String, String> protectedTexts) {
        if (protectedTexts.isEmpty()) return null;
        Set<String> grams = grams(text);
        for (var e : protectedTexts.entrySet()) {
            Set<String> p = grams(e.getValue());
            if (p.isEmpty()) continue;
            int hit = 0;
            for (String g : p) if (grams.contains(g)) hit++;
            double share = (double) hit / p.size();
            if (share >= CONTAMINATION_CONTAINMENT)
                return String.format(java.util.Locale.ROOT, "contains eval item %s (%.0f%% of its 8-grams)", e.getKey(), 100 * share);
        }
        return null;
    }

    private static Set<String> grams(String text) {
        String[] w = SplitGuard.normalise(text).split(" ");
        Set<String> out = new HashSet<>();
        for (int i = 0; i + CONTAMINATION_NGRAM <= w.length; i++) out.add(String.join(" ", java.util.Arrays.copyOfRange(w, i, i + CONTAMINATION_NGRAM)));
        return out;
    }

    private static void join(Future<?> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("documents: interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new UncheckedIOException(new IOException(e.getCause()));
        }
    }
}
