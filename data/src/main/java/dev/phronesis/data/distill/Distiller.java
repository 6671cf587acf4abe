package dev.phronesis.data.distill;

import dev.phronesis.data.scenario.NearDuplicates;
import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The distillation stage: scenarios -> N teacher deliberations each -> quality gates -> accepted list.
 *
 * <p>Run directory (every file is JSONL unless noted):
 * <ul>
 *   <li>{@code scenarios.jsonl} — the input (copied in when the run starts elsewhere);</li>
 *   <li>{@code distill.json} — manifest: constitution, teacher, judges, samples per scenario;</li>
 *   <li>{@code deliberations.jsonl} — one {@link Deliberation} per (scenario, sample);</li>
 *   <li>{@code judgments.jsonl} — the judgement journal: one {@link Judgement} per (sample, judge) (the file eval's judge
 *       writes has the same name; runs made before the rename have {@code judgements.jsonl}, which is taken over);</li>
 *   <li>{@code verdicts.jsonl} — one {@link SampleVerdicts} per sample, every rejection with its reason;</li>
 *   <li>{@code accepted.jsonl} — the accepted deliberations; {@code funnel.json} — the gate funnel.</li>
 * </ul>
 *
 * <p>Invariants: a record is appended (flushed per line) only once complete, so after {@code kill -9}
 * a rerun redoes only what is missing: a deliberation is never asked twice, a judge never paid twice for
 * the same sample (the journal survives a change of gate thresholds, which only re-gates). Teacher and
 * judge calls run on virtual threads, at most {@code concurrency} at a time; appends are synchronised by
 * the appender. A teacher or judge that is unavailable leaves its sample unrecorded for the next run.
 * A run directory is bound to one constitution and one teacher; resuming with others is refused.
 */
public final class Distiller {
    /** Which samples, how many, how fast. */
    public record Options(int samplesPerScenario, int concurrency, Set<Split> splits, TokenCounter tokenCounter, List<Scenario> extraReferences) {
        public Options {
            if (samplesPerScenario < 1 || samplesPerScenario > 64) throw new UserError("samples per scenario must be within [1, 64], got " + samplesPerScenario);
            if (concurrency < 1 || concurrency > 1024) throw new UserError("concurrency must be within [1, 1024], got " + concurrency);
            splits = splits.isEmpty() ? EnumSet.noneOf(Split.class) : EnumSet.copyOf(splits);
            extraReferences = extraReferences == null ? List.of() : List.copyOf(extraReferences);
        }

        /** Two samples per scenario (so self-consistency means something), train and dev splits, 8 calls in flight. */
        public static Options defaults() { return new Options(2, 8, EnumSet.of(Split.TRAIN, Split.DEV), TokenCounter.approximate(), List.of()); }

        public Options withSamples(int n) { return new Options(n, concurrency, splits, tokenCounter, extraReferences); }
        public Options withConcurrency(int n) { return new Options(samplesPerScenario, n, splits, tokenCounter, extraReferences); }
        public Options withTokenCounter(TokenCounter t) { return new Options(samplesPerScenario, concurrency, splits, t, extraReferences); }
        /** Eval-suite items (or any scenarios) that training prompts must not near-duplicate; their families count as held out. */
        public Options withReferences(List<Scenario> refs) { return new Options(samplesPerScenario, concurrency, splits, tokenCounter, refs); }
    }

    /** One judge's verdict on one sample: a line of the judgement journal. */
    public record Judgement(String scenarioId, int sampleIndex, String judge, JudgeVerdict verdict) {}

    /** What a run produced. {@code unavailable} counts teacher or judge calls that failed and will be retried by a rerun. */
    public record Result(Path runDir, int scenarios, int samples, int accepted, int newDeliberations, int newVerdicts, int unavailable, Funnel funnel,
                         String firstUnavailable) {
        public Result(Path runDir, int scenarios, int samples, int accepted, int newDeliberations, int newVerdicts, int unavailable, Funnel funnel) {
            this(runDir, scenarios, samples, accepted, newDeliberations, newVerdicts, unavailable, funnel, null);
        }
    }

    public static final String SCENARIOS = "scenarios.jsonl";
    public static final String MANIFEST = "distill.json";
    public static final String DELIBERATIONS = "deliberations.jsonl";
    public static final String JUDGMENTS = "judgments.jsonl";
    /** The journal's name before it was spelled like eval's; an existing one is renamed on the next run. */
    static final String LEGACY_JUDGMENTS = "judgements.jsonl";
    public static final String VERDICTS = "verdicts.jsonl";
    public static final String ACCEPTED = "accepted.jsonl";
    public static final String FUNNEL = "funnel.json";

    private Distiller() {}

    /**
     * Every scenario's assessment and expected mode against the constitution, before the first teacher call:
     * a bad one found mid-run would leave half a run written and name no input. {@code where(i)} names item i.
     */
    public static void checkInputs(List<Scenario> scenarios, Constitution c, java.util.function.IntFunction<String> where) {
        dev.phronesis.core.calculator.DeliberationCalculator calc = new dev.phronesis.core.calculator.DeliberationCalculator(c);
        List<String> modes = c.decision().modes().stream().map(Constitution.Mode::id).toList();
        for (int i = 0; i < scenarios.size(); i++) {
            Scenario s = scenarios.get(i);
            if (s.spec() == null || s.spec().assessment() == null) continue;
            try {
                calc.compile(s.spec().assessment());
            } catch (UserError e) {
                throw new UserError(where.apply(i) + ": spec.assessment." + e.getMessage());
            }
            if (s.spec().expectedMode() != null && !modes.contains(s.spec().expectedMode()))
                throw new UserError(where.apply(i) + ": spec.expectedMode '" + s.spec().expectedMode() + "' is not a mode of the constitution " + modes);
        }
    }

    public static Result run(List<Scenario> scenarios, Constitution c, Teacher teacher, List<Judge> judges, GatesConfig gates, Path runDir, Progress progress) {
        return run(scenarios, c, teacher, judges, gates, runDir, progress, Options.defaults());
    }

    public static Result run(List<Scenario> scenarios, Constitution c, Teacher teacher, List<Judge> judges, GatesConfig gates, Path runDir,
                             Progress progress, Options opt) {
        checkInputs(scenarios, c, i -> "scenario " + scenarios.get(i).id());
        mkdirs(runDir);
        Path scenFile = runDir.resolve(SCENARIOS);
        if (!Files.exists(scenFile)) Jsonl.writeAll(scenFile, scenarios);
        else { // a resumed run may bring more scenarios: keep the run's copy complete for the dataset stage
            List<Scenario> stored = Jsonl.read(scenFile, Scenario.class);
            Set<String> have = new HashSet<>();
            stored.forEach(s -> have.add(s.id()));
            List<Scenario> added = scenarios.stream().filter(s -> !have.contains(s.id())).toList();
            if (!added.isEmpty()) {
                List<Scenario> all = new ArrayList<>(stored);
                all.addAll(added);
                Jsonl.writeAll(scenFile, all);
            }
        }
        checkManifest(runDir, c, teacher, judges, opt);

        List<Scenario> toDistill = scenarios.stream().filter(s -> opt.splits().contains(s.split())).toList();
        Map<String, Integer> order = new HashMap<>();
        for (int i = 0; i < scenarios.size(); i++) order.putIfAbsent(scenarios.get(i).id(), i);

        // ---- stage 1: deliberations ----------------------------------------------------------
        Path delibFile = runDir.resolve(DELIBERATIONS);
        Map<String, Deliberation> delibs = new ConcurrentHashMap<>();
        if (Files.exists(delibFile)) for (Deliberation d : Jsonl.read(delibFile, Deliberation.class, true)) delibs.put(d.scenarioId() + "#" + d.sampleIndex(), d);
        List<Runnable> work = new ArrayList<>();
        AtomicLong done = new AtomicLong();
        AtomicLong unavailable = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<String> firstUnavailable = new java.util.concurrent.atomic.AtomicReference<>();
        int before = delibs.size();
        long total = (long) toDistill.size() * opt.samplesPerScenario();
        try (Jsonl.Appender out = new Jsonl.Appender(delibFile)) {
            for (Scenario s : toDistill) {
                for (int i = 0; i < opt.samplesPerScenario(); i++) {
                    String key = s.id() + "#" + i;
                    if (delibs.containsKey(key)) { done.incrementAndGet(); continue; }
                    int idx = i;
                    work.add(() -> {
                        try {
                            Deliberation d = teacher.deliberate(s, idx).withConstitution(c.reference());
                            out.append(d);
                            delibs.put(key, d);
                        } catch (Teacher.Unavailable e) {
                            unavailable.incrementAndGet();
                            firstUnavailable.compareAndSet(null, "teacher: " + e.getMessage());
                        }
                        progress.update("deliberate", done.incrementAndGet(), total);
                    });
                }
            }
            runAll(work, opt.concurrency());
        }
        progress.update("deliberate", done.get(), total);
        List<Deliberation> sorted = sortedDeliberations(delibs.values(), order);
        Jsonl.writeAll(delibFile, sorted);

        // ---- stage 2: gates ------------------------------------------------------------------
        NearDuplicates.Index refs = new NearDuplicates(NearDuplicates.Config.shingles(gates.shingleWords())).references();
        Map<String, String> heldOut = new LinkedHashMap<>();
        for (Scenario s : scenarios) {
            if (s.split() == Split.HELDOUT) {
                refs.add(s.id(), QualityGates.promptText(s));
                heldOut.putIfAbsent(s.family(), "held-out split of this run");
            }
        }
        for (Scenario s : opt.extraReferences()) {
            refs.add(s.id(), QualityGates.promptText(s));
            heldOut.putIfAbsent(s.family(), "evaluated by " + s.id());
        }
        Path journalFile = runDir.resolve(JUDGMENTS);
        Path legacyJournal = runDir.resolve(LEGACY_JUDGMENTS);
        if (Files.exists(legacyJournal) && !Files.exists(journalFile)) {
            try {
                Files.move(legacyJournal, journalFile, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UserError(legacyJournal + ": cannot rename to " + JUDGMENTS + ": " + e.getMessage());
            }
        }
        Map<String, JudgeVerdict> journal = new ConcurrentHashMap<>();
        Map<String, Judgement> judgements = new ConcurrentHashMap<>();
        if (Files.exists(journalFile)) for (Judgement j : Jsonl.read(journalFile, Judgement.class, true)) {
            journal.put(j.scenarioId() + "#" + j.sampleIndex() + "@" + j.judge(), j.verdict());
            judgements.put(j.scenarioId() + "#" + j.sampleIndex() + "@" + j.judge(), j);
        }
        Path verdictFile = runDir.resolve(VERDICTS);
        Map<String, Scenario> byId = new HashMap<>();
        scenarios.forEach(s -> byId.put(s.id(), s));
        Map<String, SampleVerdicts> verdicts = new ConcurrentHashMap<>();
        int newVerdicts;
        try (Jsonl.Appender journalOut = new Jsonl.Appender(journalFile)) {
            QualityGates engine = new QualityGates(c, gates, judges, opt.tokenCounter(), refs, heldOut, (judge, d) -> {
                String key = d.scenarioId() + "#" + d.sampleIndex() + "@" + judge.id();
                JudgeVerdict cached = journal.get(key);
                if (cached != null) return cached;
                JudgeVerdict v = judge.judge(byId.get(d.scenarioId()), d);
                Judgement j = new Judgement(d.scenarioId(), d.sampleIndex(), judge.id(), v);
                journalOut.append(j);
                journal.put(key, v);
                judgements.put(key, j);
                return v;
            });
            if (Files.exists(verdictFile)) {
                for (SampleVerdicts v : Jsonl.read(verdictFile, SampleVerdicts.class, true)) {
                    if (v.gatesHash().equals(engine.hash())) verdicts.put(v.key(), v);
                }
                if (verdicts.isEmpty()) deleteQuietly(verdictFile); // another gate configuration: re-gate everything
            }
            Map<String, List<Deliberation>> byScenario = new LinkedHashMap<>();
            for (Deliberation d : sorted) byScenario.computeIfAbsent(d.scenarioId(), k -> new ArrayList<>()).add(d);
            int beforeVerdicts = verdicts.size();
            AtomicLong gated = new AtomicLong(verdicts.size());
            long toGate = sorted.size();
            List<Runnable> gateWork = new ArrayList<>();
            try (Jsonl.Appender vOut = new Jsonl.Appender(verdictFile)) {
                for (var e : byScenario.entrySet()) {
                    Scenario s = byId.get(e.getKey());
                    if (s == null) continue;
                    Map<String, Integer> counts = engine.decisionCounts(s, e.getValue());
                    for (Deliberation d : e.getValue()) {
                        String key = d.scenarioId() + "#" + d.sampleIndex();
                        if (verdicts.containsKey(key)) continue;
                        gateWork.add(() -> {
                            try {
                                SampleVerdicts v = engine.evaluate(s, d, counts);
                                vOut.append(v);
                                verdicts.put(key, v);
                            } catch (Judge.Unavailable ex) {
                                unavailable.incrementAndGet();
                                firstUnavailable.compareAndSet(null, "judge: " + ex.getMessage());
                            }
                            progress.update("gates", gated.incrementAndGet(), toGate);
                        });
                    }
                }
                if (judges.isEmpty()) gateWork.forEach(Runnable::run); // pure CPU: no threads needed
                else runAll(gateWork, opt.concurrency());
            }
            newVerdicts = verdicts.size() - beforeVerdicts;
        }
        // appended in completion order (concurrent judges); rewritten in scenario order so the same run gives the same bytes
        Jsonl.writeAll(journalFile, judgements.values().stream()
                .sorted(Comparator.comparing((Judgement j) -> order.getOrDefault(j.scenarioId(), Integer.MAX_VALUE)).thenComparing(Judgement::scenarioId)
                        .thenComparingInt(Judgement::sampleIndex).thenComparing(Judgement::judge)).toList());
        List<SampleVerdicts> allVerdicts = verdicts.values().stream()
                .sorted(Comparator.comparing((SampleVerdicts v) -> order.getOrDefault(v.scenarioId(), Integer.MAX_VALUE)).thenComparingInt(SampleVerdicts::sampleIndex)).toList();
        Jsonl.writeAll(verdictFile, allVerdicts);
        Set<String> acceptedKeys = new HashSet<>();
        allVerdicts.stream().filter(SampleVerdicts::accepted).forEach(v -> acceptedKeys.add(v.key()));
        List<Deliberation> accepted = sorted.stream().filter(d -> acceptedKeys.contains(d.scenarioId() + "#" + d.sampleIndex())).toList();
        Jsonl.writeAll(runDir.resolve(ACCEPTED), accepted);
        Funnel funnel = Funnel.compute(toDistill.size(), opt.samplesPerScenario(), sorted.size(), allVerdicts);
        funnel.write(runDir.resolve(FUNNEL));
        return new Result(runDir, toDistill.size(), sorted.size(), accepted.size(), delibs.size() - before, newVerdicts, (int) unavailable.get(), funnel, firstUnavailable.get());
    }

    private static List<Deliberation> sortedDeliberations(java.util.Collection<Deliberation> ds, Map<String, Integer> order) {
        return ds.stream().sorted(Comparator.comparing((Deliberation d) -> order.getOrDefault(d.scenarioId(), Integer.MAX_VALUE))
                .thenComparing(Deliberation::scenarioId).thenComparingInt(Deliberation::sampleIndex)).toList();
    }

    /** Runs tasks on virtual threads with at most {@code limit} in flight. */
    private static void runAll(List<Runnable> tasks, int limit) {
        if (tasks.isEmpty()) return;
        Semaphore permits = new Semaphore(limit);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (Runnable r : tasks) {
                permits.acquireUninterruptibly();
                fs.add(ex.submit(() -> {
                    try { r.run(); } finally { permits.release(); }
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
        }
    }

    /** Binds the run directory to one constitution, teacher and sample count. */
    private static void checkManifest(Path runDir, Constitution c, Teacher teacher, List<Judge> judges, Options opt) {
        Path f = runDir.resolve(MANIFEST);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("constitution", c.reference());
        m.put("teacher", teacher.id());
        m.put("judges", judges.stream().map(Judge::id).toList());
        m.put("samples_per_scenario", opt.samplesPerScenario());
        m.put("splits", opt.splits().stream().map(Split::wire).toList());
        m.put("token_counter", opt.tokenCounter().id());
        if (Files.exists(f)) {
            try {
                var old = Jsonl.MAPPER.readTree(f.toFile());
                var was = Jsonl.MAPPER.treeToValue(old.path("constitution"), dev.phronesis.core.constitution.ConstitutionRef.class);
                if (!was.hash().equals(c.hash())) {
                    throw new UserError(f + ": this run was distilled under " + was.display() + ", not " + c.ref() + "; use a new run directory");
                }
                if (!old.path("teacher").asText().equals(teacher.id())) {
                    throw new UserError(f + ": this run was distilled by teacher " + old.path("teacher").asText() + ", not " + teacher.id() + "; use a new run directory");
                }
            } catch (IOException e) {
                throw new UserError(f + ": unreadable manifest: " + e.getMessage());
            }
        }
        try {
            Files.writeString(f, Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manifest of a distilled run, or an error naming the directory. */
    public static com.fasterxml.jackson.databind.JsonNode manifest(Path runDir) {
        Path f = runDir.resolve(MANIFEST);
        if (!Files.exists(f)) throw new UserError(runDir + ": not a distilled run (no " + MANIFEST + "); run `phronesis distill` first");
        try {
            return Jsonl.MAPPER.readTree(f.toFile());
        } catch (IOException e) {
            throw new UserError(f + ": unreadable manifest: " + e.getMessage());
        }
    }

    private static void mkdirs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new UserError(p + ": cannot create run directory: " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
