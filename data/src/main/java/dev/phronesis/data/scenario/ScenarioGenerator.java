package dev.phronesis.data.scenario;

import dev.phronesis.core.records.Role;
import dev.phronesis.core.Progress;
import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.ScenarioSpec;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.records.Turn;
import dev.phronesis.data.scenario.NearDuplicates.Collision;
import dev.phronesis.data.scenario.Taxonomy.Axis;
import dev.phronesis.data.scenario.Taxonomy.AxisValue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scenario stage: taxonomy + constitution -> covering-array specs -> realised scenarios ->
 * dedup and cross-split guard -> {@code scenarios.jsonl}.
 *
 * <p>Run directory (resumable; a rerun after kill -9 redoes nothing that finished):
 * <ul>
 *   <li>{@code run.json}: the resolved options and input hashes; a rerun with different ones is refused</li>
 *   <li>{@code taxonomy.yaml}: a copy of the taxonomy, so {@code stats} works anywhere</li>
 *   <li>{@code specs.jsonl}: every planned spec (written once, atomically)</li>
 *   <li>{@code realised.jsonl}: one scenario per line, appended as realised (skipped on resume)</li>
 *   <li>{@code rejected.jsonl}: specs a realiser could not render faithfully, with the reason</li>
 *   <li>{@code dedup.jsonl}: every removal and what it collided with</li>
 *   <li>{@code coverage.json}, {@code scenarios.jsonl}: the result (atomic)</li>
 * </ul>
 * Concurrency: realisation runs on up to {@code concurrency} virtual threads (1 for the scripted
 * realiser); the appender serialises writes; the plan and the final files are written by one thread.
 */
public final class ScenarioGenerator {
    /** Extra specs planned per quota so that dedup removals still leave the requested count. */
    static final double DEDUP_SLACK = 0.15;
    public static final String SCENARIOS = "scenarios.jsonl";

    private ScenarioGenerator() {}

    /** A requested number of scenarios; null fields mean "any". {@code kind} is a value of the taxonomy's kind axis. */
    public record Quota(Split split, Form form, String kind, int count) {
        public Quota {
            if (count < 0) throw new IllegalArgumentException("quota count must be >= 0, got " + count);
        }

        public static Quota any(int count) { return new Quota(null, null, null, count); }

        public String label() {
            return (split == null ? "any" : split.name().toLowerCase()) + "/" + (form == null ? "any" : form.name().toLowerCase()) + "/" + (kind == null ? "any" : kind);
        }
    }

    /**
     * @param strength        covering strength t (2 or 3)
     * @param maxWords        word limit of the user message / agentic transcript
     * @param semanticDedup   embed texts (all-MiniLM-L6-v2) and drop cosine near-duplicates too
     * @param heldoutCueShare share of dev/held-out scenarios whose cues use held-out paraphrases
     * @param concurrency     realisations in flight at once (LLM realiser)
     */
    public record Options(long seed, int strength, int maxWords, boolean semanticDedup, double minhashThreshold,
                          double cosineThreshold, double heldoutCueShare, int concurrency, List<Quota> quotas) {
        public Options {
            if (strength < 1 || strength > 4) throw new IllegalArgumentException("--strength must be within [1, 4], got " + strength);
            if (maxWords < 20 || maxWords > 2000) throw new IllegalArgumentException("--max-words must be within [20, 2000], got " + maxWords);
            if (!(minhashThreshold > 0 && minhashThreshold <= 1)) throw new IllegalArgumentException("--minhash-threshold must be within (0, 1], got " + minhashThreshold);
            if (!(cosineThreshold > 0 && cosineThreshold <= 1)) throw new IllegalArgumentException("--cosine-threshold must be within (0, 1], got " + cosineThreshold);
            if (heldoutCueShare < 0 || heldoutCueShare > 1) throw new IllegalArgumentException("heldout cue share must be within [0, 1], got " + heldoutCueShare);
            if (concurrency < 1) throw new IllegalArgumentException("concurrency must be >= 1, got " + concurrency);
            quotas = List.copyOf(quotas);
            if (quotas.isEmpty()) throw new IllegalArgumentException("at least one quota (or a budget) is needed");
        }

        /** Defaults: t=2, 90 words, MinHash at Jaccard 0.8, embeddings at cosine 0.97, half of eval cues held-out paraphrases. */
        public static Options budget(int budget, long seed) {
            return new Options(seed, 2, ScriptedRealiser.DEFAULT_MAX_WORDS, true, 0.8, 0.97, 0.5, 8, List.of(Quota.any(budget)));
        }

        public Options withQuotas(List<Quota> q) { return new Options(seed, strength, maxWords, semanticDedup, minhashThreshold, cosineThreshold, heldoutCueShare, concurrency, q); }
        public Options withStrength(int t) { return new Options(seed, t, maxWords, semanticDedup, minhashThreshold, cosineThreshold, heldoutCueShare, concurrency, quotas); }
        public Options withMaxWords(int w) { return new Options(seed, strength, w, semanticDedup, minhashThreshold, cosineThreshold, heldoutCueShare, concurrency, quotas); }
        public Options withSemanticDedup(boolean on) { return new Options(seed, strength, maxWords, on, minhashThreshold, cosineThreshold, heldoutCueShare, concurrency, quotas); }
        public Options withThresholds(double jaccard, double cosine) { return new Options(seed, strength, maxWords, semanticDedup, jaccard, cosine, heldoutCueShare, concurrency, quotas); }
        public Options withHeldoutCueShare(double share) { return new Options(seed, strength, maxWords, semanticDedup, minhashThreshold, cosineThreshold, share, concurrency, quotas); }
        public Options withConcurrency(int c) { return new Options(seed, strength, maxWords, semanticDedup, minhashThreshold, cosineThreshold, heldoutCueShare, c, quotas); }

        public int total() { return quotas.stream().mapToInt(Quota::count).sum(); }
    }

    /** A planned spec with where it belongs; {@code quota} indexes {@link Options#quotas()}. */
    public record PlannedSpec(String id, String family, Split split, Form form, int quota, long seed, ScenarioSpec spec) {}

    /** Coverage achieved for one quota's covering array. */
    public record QuotaCoverage(String quota, int requested, int planned, Coverage coverage) {}

    /** @param failedRequests specs whose realiser requests failed (not recorded; a rerun retries them) */
    public record Result(List<Scenario> scenarios, List<QuotaCoverage> coverage, List<Collision> removed, List<String> rejected, List<String> failedRequests) {
        public Result(List<Scenario> scenarios, List<QuotaCoverage> coverage, List<Collision> removed, List<String> rejected) {
            this(scenarios, coverage, removed, rejected, List.of());
        }
    }

    /** Specs whose realiser request failed in this process (per output directory), for the result. */
    private static final Map<Path, List<String>> FAILED_REQUESTS = new java.util.concurrent.ConcurrentHashMap<>();

    // ------------------------------------------------------------------------------------------------ plan

    /** Samples the specs for every quota (covering array + top-up), without realising or writing anything. */
    public static List<PlannedSpec> plan(Taxonomy taxonomy, Constitution constitution, Options o, List<QuotaCoverage> coverageOut) {
        SpecBuilder builder = new SpecBuilder(taxonomy, constitution, o.heldoutCueShare());
        List<PlannedSpec> out = new ArrayList<>();
        for (int q = 0; q < o.quotas().size(); q++) {
            Quota quota = o.quotas().get(q);
            if (quota.count() == 0) continue;
            int planned = (int) Math.ceil(quota.count() * (1 + DEDUP_SLACK));
            List<Axis> axes = restrict(taxonomy, quota);
            var families = taxonomy.families();
            CoveringSampler sampler = new CoveringSampler(axes, taxonomy.constraints(), families.axes(),
                    row -> quota.split() == null || families.splitOf(families.familyOf(row)) == quota.split(),
                    builder::meetsExpectation, Math.min(o.strength(), axes.size()));
            long qseed = mix(o.seed() * 31 + q);
            CoveringSampler.Result r = sampler.sample(planned, qseed);
            if (r.rows().isEmpty()) {
                throw new UserError("quota " + quota.label() + ": no spec satisfies the taxonomy's constraints (check the held-out families and the kind axis)");
            }
            if (coverageOut != null) coverageOut.add(new QuotaCoverage(quota.label(), quota.count(), r.rows().size(), r.coverage()));
            for (int i = 0; i < r.rows().size(); i++) {
                Map<String, String> row = r.rows().get(i);
                long s = mix(qseed * 1_000_003L + i);
                String family = families.familyOf(row);
                Split split = families.splitOf(family);
                Form form = "agentic".equals(row.get(Taxonomy.FORM)) ? Form.AGENTIC : Form.ADVICE;
                ScenarioSpec spec = builder.build(row, split, s);
                out.add(new PlannedSpec(String.format("sc-%016x", s), family, split, form, q, s, spec));
            }
        }
        return out;
    }

    private static List<Axis> restrict(Taxonomy taxonomy, Quota quota) {
        List<Axis> axes = new ArrayList<>();
        for (Axis a : taxonomy.axes()) {
            String fixed = switch (a.id()) {
                case Taxonomy.FORM -> quota.form() == null ? null : quota.form().name().toLowerCase();
                case Taxonomy.KIND -> quota.kind();
                default -> null;
            };
            if (fixed == null) { axes.add(a); continue; }
            if (a.indexOf(fixed) < 0) {
                throw new UserError("quota " + quota.label() + ": axis " + a.id() + " has no value '" + fixed + "'; values are "
                        + a.values().stream().map(AxisValue::id).toList());
            }
            axes.add(new Axis(a.id(), a.factor(), List.of(a.value(fixed))));
        }
        return axes;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // ------------------------------------------------------------------------------------------------ generate

    /** Plans, realises and dedups in memory (no files): for tests and for callers that build corpora. */
    public static Result generateInMemory(Taxonomy taxonomy, Constitution constitution, Options o, Realiser realiser, TextEmbedder embedder) {
        List<QuotaCoverage> cov = new ArrayList<>();
        List<PlannedSpec> plan = plan(taxonomy, constitution, o, cov);
        Realiser r = realiser == null ? new ScriptedRealiser(taxonomy, o.maxWords()) : realiser;
        List<Scenario> realised = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        for (PlannedSpec p : plan) {
            switch (r.realise(p.spec(), p.seed() + 1)) {
                case Realiser.Realised x -> realised.add(scenario(p, x, taxonomy, constitution, r, o));
                case Realiser.Rejected x -> rejected.add(p.id() + ": " + x.reason());
            }
        }
        Deduped d = dedup(realised, o, o.semanticDedup() ? embedder : null, Progress.NONE);
        return new Result(trim(d.kept(), o), cov, d.removed(), rejected);
    }

    /**
     * The full, resumable stage into {@code outDir}.
     *
     * @param realiser null for the scripted realiser
     * @param embedder used when {@link Options#semanticDedup()}; null opens all-MiniLM-L6-v2
     */
    public static Result generate(Taxonomy taxonomy, String taxonomyText, Constitution constitution, Options o, Realiser realiser,
                                  TextEmbedder embedder, Path outDir, Progress progress) {
        Realiser r = realiser == null ? new ScriptedRealiser(taxonomy, o.maxWords()) : realiser;
        Map<String, Object> runConfig = new LinkedHashMap<>();
        runConfig.put("taxonomy", taxonomy.id() + "#" + taxonomy.hash());
        runConfig.put("constitution", constitution.reference());
        runConfig.put("realiser", r.id());
        runConfig.put("options", o);
        String configJson = Jsonl.toJson(runConfig);
        try {
            Files.createDirectories(outDir);
            Path runJson = outDir.resolve("run.json");
            if (Files.exists(runJson)) {
                JsonNode old = Jsonl.MAPPER.readTree(Files.readString(runJson));
                JsonNode now = Jsonl.MAPPER.readTree(configJson);
                if (!old.equals(now)) {
                    throw new UserError(runJson + ": this run directory was made with different inputs or options; use a new --out directory"
                            + " (was " + diff(old, now) + ")");
                }
            } else {
                write(runJson, Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(Jsonl.MAPPER.readTree(configJson)));
                if (taxonomyText != null) write(outDir.resolve("taxonomy.yaml"), taxonomyText);
            }
            Path scenariosFile = outDir.resolve(SCENARIOS);
            Path coverageFile = outDir.resolve("coverage.json");
            if (Files.exists(scenariosFile) && Files.exists(coverageFile)) {
                progress.update("done (resumed: nothing left to do)", 1, 1);
                List<Scenario> done = Jsonl.read(scenariosFile, Scenario.class);
                List<QuotaCoverage> cov = List.of(Jsonl.MAPPER.readValue(coverageFile.toFile(), QuotaCoverage[].class));
                List<Collision> removed = Files.exists(outDir.resolve("dedup.jsonl")) ? Jsonl.read(outDir.resolve("dedup.jsonl"), Collision.class) : List.of();
                return new Result(done, cov, removed, List.of());
            }
            // 1. plan (atomic, once)
            Path specsFile = outDir.resolve("specs.jsonl");
            Path planCoverage = outDir.resolve("plan-coverage.json");
            List<PlannedSpec> plan;
            List<QuotaCoverage> cov;
            if (Files.exists(specsFile) && Files.exists(planCoverage)) {
                plan = Jsonl.read(specsFile, PlannedSpec.class);
                cov = List.of(Jsonl.MAPPER.readValue(planCoverage.toFile(), QuotaCoverage[].class));
            } else {
                progress.update("planning", 0, o.total());
                cov = new ArrayList<>();
                plan = plan(taxonomy, constitution, o, cov);
                write(planCoverage, Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(cov));
                Jsonl.writeAll(specsFile, plan);
            }
            // 2. realise (append per item; resume skips finished ids)
            Path realisedFile = outDir.resolve("realised.jsonl");
            Path rejectedFile = outDir.resolve("rejected.jsonl");
            Set<String> done = new HashSet<>();
            if (Files.exists(realisedFile)) for (Scenario s : Jsonl.read(realisedFile, Scenario.class, true)) done.add(s.id());
            if (Files.exists(rejectedFile)) for (Rejection x : Jsonl.read(rejectedFile, Rejection.class, true)) done.add(x.id());
            realise(plan, done, r, taxonomy, constitution, o, realisedFile, rejectedFile, progress);
            // 3. dedup + cross-split guard, then the result (atomic)
            List<Scenario> realised = Jsonl.read(realisedFile, Scenario.class, true);
            Map<String, Integer> order = new LinkedHashMap<>();
            for (int i = 0; i < plan.size(); i++) order.put(plan.get(i).id(), i);
            realised.sort(java.util.Comparator.comparingInt(s -> order.getOrDefault(s.id(), Integer.MAX_VALUE)));
            TextEmbedder emb = o.semanticDedup() ? (embedder != null ? embedder : TextEmbedder.miniLm()) : null;
            Deduped d = dedup(realised, o, emb, progress);
            List<Scenario> kept = trim(d.kept(), o);
            Jsonl.writeAll(outDir.resolve("dedup.jsonl"), d.removed());
            List<QuotaCoverage> finalCov = finalCoverage(taxonomy, constitution, o, cov, kept, plan);
            Jsonl.writeAll(scenariosFile, kept);
            write(coverageFile, Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(finalCov));
            List<String> rejected = Files.exists(rejectedFile)
                    ? Jsonl.read(rejectedFile, Rejection.class, true).stream().map(x -> x.id() + ": " + x.reason()).toList() : List.of();
            progress.update("done", kept.size(), o.total());
            List<String> failedRequests = List.copyOf(FAILED_REQUESTS.getOrDefault(rejectedFile, List.of()));
            FAILED_REQUESTS.remove(rejectedFile);
            return new Result(kept, finalCov, d.removed(), rejected, failedRequests);
        } catch (IOException e) {
            throw new UncheckedIOException(outDir + ": " + e.getMessage(), e);
        }
    }

    /** A spec the realiser refused to render, kept for inspection. */
    public record Rejection(String id, String reason, int attempts) {}

    private static String diff(JsonNode old, JsonNode now) {
        List<String> d = new ArrayList<>();
        old.fieldNames().forEachRemaining(f -> { if (!old.get(f).equals(now.get(f))) d.add(f + "=" + old.get(f) + ", now " + now.get(f)); });
        String s = String.join("; ", d);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static void write(Path p, String text) throws IOException {
        Path tmp = Files.createTempFile(p.toAbsolutePath().getParent(), p.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void realise(List<PlannedSpec> plan, Set<String> done, Realiser r, Taxonomy taxonomy, Constitution constitution,
                                Options o, Path realisedFile, Path rejectedFile, Progress progress) {
        List<PlannedSpec> todo = plan.stream().filter(p -> !done.contains(p.id())).toList();
        AtomicInteger finished = new AtomicInteger(plan.size() - todo.size());
        int total = plan.size();
        int step = Math.max(1, total / 100);
        boolean parallel = !(r instanceof ScriptedRealiser) && o.concurrency() > 1;
        List<String> failedHere = FAILED_REQUESTS.computeIfAbsent(rejectedFile, k -> java.util.Collections.synchronizedList(new ArrayList<>()));
        failedHere.clear();
        try (Jsonl.Appender ok = new Jsonl.Appender(realisedFile); Jsonl.Appender bad = new Jsonl.Appender(rejectedFile)) {
            Runnable tick = () -> {
                int n = finished.incrementAndGet();
                if (n % step == 0 || n == total) synchronized (progress) { progress.update("realising", n, total); }
            };
            if (!parallel) {
                for (PlannedSpec p : todo) { realiseOne(p, r, taxonomy, constitution, o, ok, bad, failedHere); tick.run(); }
                return;
            }
            Semaphore inFlight = new Semaphore(o.concurrency());
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> fs = new ArrayList<>();
                for (PlannedSpec p : todo) {
                    fs.add(ex.submit(() -> {
                        inFlight.acquireUninterruptibly();
                        try { realiseOne(p, r, taxonomy, constitution, o, ok, bad, failedHere); tick.run(); }
                        finally { inFlight.release(); }
                    }));
                }
                for (Future<?> f : fs) {
                    try { f.get(); }
                    catch (java.util.concurrent.ExecutionException e) {
                        if (e.getCause() instanceof RuntimeException re) throw re;
                        throw new IllegalStateException(e.getCause());
                    } catch (InterruptedException e) { Thread.currentThread().interrupt(); throw new IllegalStateException("interrupted", e); }
                }
            }
        }
    }

    private static void realiseOne(PlannedSpec p, Realiser r, Taxonomy taxonomy, Constitution constitution, Options o,
                                   Jsonl.Appender ok, Jsonl.Appender bad, List<String> failedHere) {
        switch (r.realise(p.spec(), p.seed() + 1)) {
            case Realiser.Realised x -> ok.append(scenario(p, x, taxonomy, constitution, r, o));
            case Realiser.Rejected x when x.requestFailed() -> failedHere.add(p.id() + ": " + x.reason());
            case Realiser.Rejected x -> bad.append(new Rejection(p.id(), x.reason(), x.attempts()));
        }
    }

    static Scenario scenario(PlannedSpec p, Realiser.Realised x, Taxonomy taxonomy, Constitution constitution, Realiser r, Options o) {
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("taxonomy", taxonomy.id() + "#" + taxonomy.hash().substring(0, 12));
        prov.put("realiser", r.id());
        prov.put("seed", Long.toString(p.seed()));
        prov.put("runSeed", Long.toString(o.seed()));
        prov.put("quota", o.quotas().get(p.quota()).label());
        prov.put("kind", p.spec().axes().getOrDefault(Taxonomy.KIND, ""));
        return new Scenario(p.id(), p.family(), p.split(), p.form(), p.spec(), x.messages(), x.tools(), prov, constitution.reference());
    }

    /** The text dedup compares: what the user or agent reads, without the templated system prompt. */
    public static String dedupText(Scenario s) {
        StringBuilder b = new StringBuilder();
        for (Turn t : s.messages()) if (t.role() != Role.SYSTEM) b.append(t.content()).append('\n');
        return b.toString();
    }

    record Deduped(List<Scenario> kept, List<Collision> removed) {}

    static Deduped dedup(List<Scenario> all, Options o, TextEmbedder embedder, Progress progress) {
        NearDuplicates minhash = new NearDuplicates(NearDuplicates.Config.defaults().withThreshold(o.minhashThreshold()));
        SemanticDuplicates semantic = new SemanticDuplicates(o.cosineThreshold());
        List<Collision> removed = new ArrayList<>();
        Set<String> gone = new HashSet<>();
        Map<String, float[]> vectors = new LinkedHashMap<>();
        if (embedder != null) {
            progress.update("embedding", 0, all.size());
            float[][] v = embedder.embed(all.stream().map(ScenarioGenerator::dedupText).toList());
            for (int i = 0; i < all.size(); i++) vectors.put(all.get(i).id(), v[i]);
            progress.update("embedding", all.size(), all.size());
        }
        progress.update("dedup", 0, all.size());
        // within each split (so the cross-split guard decides which side goes)
        for (Split split : Split.values()) {
            List<Scenario> part = all.stream().filter(s -> s.split() == split).toList();
            for (Collision c : minhash.dedup(ids(part), texts(part))) if (gone.add(c.removed())) removed.add(c);
            if (embedder != null) {
                List<Scenario> left = part.stream().filter(s -> !gone.contains(s.id())).toList();
                for (Collision c : semantic.dedup(ids(left), vecs(left, vectors))) if (gone.add(c.removed())) removed.add(c);
            }
        }
        // cross-split guard: train never near-duplicates dev/held-out
        List<Scenario> train = all.stream().filter(s -> s.split() == Split.TRAIN && !gone.contains(s.id())).toList();
        List<Scenario> prot = all.stream().filter(s -> s.split() != Split.TRAIN && !gone.contains(s.id())).toList();
        for (Collision c : minhash.crossSplit(ids(train), texts(train), ids(prot), texts(prot))) if (gone.add(c.removed())) removed.add(c);
        if (embedder != null) {
            List<Scenario> left = train.stream().filter(s -> !gone.contains(s.id())).toList();
            for (Collision c : semantic.crossSplit(ids(left), vecs(left, vectors), ids(prot), vecs(prot, vectors))) if (gone.add(c.removed())) removed.add(c);
        }
        progress.update("dedup", all.size() - removed.size(), all.size());
        return new Deduped(all.stream().filter(s -> !gone.contains(s.id())).toList(), removed);
    }

    private static List<String> ids(List<Scenario> s) { return s.stream().map(Scenario::id).toList(); }
    private static List<String> texts(List<Scenario> s) { return s.stream().map(ScenarioGenerator::dedupText).toList(); }
    private static float[][] vecs(List<Scenario> s, Map<String, float[]> v) { return s.stream().map(x -> v.get(x.id())).toArray(float[][]::new); }

    /** Keeps at most each quota's count (plan order: covering rows first). */
    static List<Scenario> trim(List<Scenario> kept, Options o) {
        Map<String, Integer> left = new LinkedHashMap<>();
        for (Quota q : o.quotas()) left.merge(q.label(), q.count(), Integer::sum);
        List<Scenario> out = new ArrayList<>();
        for (Scenario s : kept) {
            String q = s.provenance().get("quota");
            int n = left.getOrDefault(q, 0);
            if (n > 0) { out.add(s); left.put(q, n - 1); }
        }
        return out;
    }

    private static List<QuotaCoverage> finalCoverage(Taxonomy taxonomy, Constitution constitution, Options o, List<QuotaCoverage> planned,
                                                     List<Scenario> kept, List<PlannedSpec> plan) {
        // coverage of what survived dedup and trimming, measured against each quota's restricted space
        List<QuotaCoverage> out = new ArrayList<>();
        SpecBuilder builder = new SpecBuilder(taxonomy, constitution, o.heldoutCueShare());
        int qi = 0;
        for (int q = 0; q < o.quotas().size(); q++) {
            Quota quota = o.quotas().get(q);
            if (quota.count() == 0) continue;
            QuotaCoverage pc = planned.get(qi++);
            var families = taxonomy.families();
            CoveringSampler sampler = new CoveringSampler(restrict(taxonomy, quota), taxonomy.constraints(), families.axes(),
                    row -> quota.split() == null || families.splitOf(families.familyOf(row)) == quota.split(),
                    builder::meetsExpectation, pc.coverage().strength());
            List<Map<String, String>> rows = kept.stream().filter(s -> quota.label().equals(s.provenance().get("quota")))
                    .map(s -> axisRow(taxonomy, s.spec())).toList();
            Coverage m = sampler.measure(rows);
            Coverage c = new Coverage(m.strength(), m.possible(), m.allowed(), Math.min(pc.coverage().unreachable(), m.allowed() - m.covered()),
                    m.covered(), pc.coverage().coveringRows(), rows.size());
            out.add(new QuotaCoverage(quota.label(), quota.count(), pc.planned(), c));
        }
        return out;
    }

    static Map<String, String> axisRow(Taxonomy taxonomy, ScenarioSpec spec) {
        Map<String, String> row = new LinkedHashMap<>();
        for (Axis a : taxonomy.axes()) row.put(a.id(), spec.axes().get(a.id()));
        return row;
    }
}
