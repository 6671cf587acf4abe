package dev.phronesis.eval;

import dev.phronesis.core.records.Role;
import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.core.records.Turn;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelLimits;
import dev.phronesis.llm.ToolSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Runs suites against a model into a run directory and scores every answer.
 *
 * <p>Every request goes through an {@link LlmEngine} journaling to {@code RUN_DIR/llm-journal.sqlite}
 * (rate limits, retries, usage and cost), so an answer that was paid for but not yet scored when
 * the process died is served from the journal, not paid again.
 *
 * <p>Invariants. (1) {@code results.jsonl} and {@code judgments.jsonl} are append-only while a run
 * works, one flushed line per finished answer or verdict, written through a synchronized
 * {@link Jsonl.Appender}; a kill -9 can tear at most the last line, which the next run drops and redoes.
 * When a run ends both are rewritten atomically in item order ({@link #inItemOrder}), so the finished
 * files are the same bytes whatever order answers arrived, failed and were retried, or resumed in. (2) A (suite, item, sample)
 * already in {@code results.jsonl} is never asked again; a failed request is not written there
 * (it goes to {@code failures.jsonl}) and is retried by the next run. (3) Requests go out in
 * chunks of {@link #CHUNK} through {@link LlmEngine#chatAll}, which bounds requests in flight by the
 * model's limits (or {@link Options#concurrency()}); scoring and appending happen on the calling thread. (4) {@code run.json} pins model, sampling and suite hashes: a rerun that
 * changes them is refused rather than mixing incomparable answers. (5) The judge sees no model id.
 */
public final class EvalRunner {
    public static final String RESULTS = "results.jsonl";
    public static final String JUDGMENTS = "judgments.jsonl";
    public static final String ITEMS = "items.jsonl";
    public static final String MANIFEST = "run.json";
    public static final String FAILURES = "failures.jsonl";
    /**
     * Requests per {@link LlmEngine#chatAll} call: results are scored and appended after each chunk, so a
     * crash loses at most one chunk of scoring (its answers are in the journal); for a batch API a chunk is one batch.
     */
    static final int CHUNK = 256;

    private EvalRunner() {}

    /**
     * @param samples     answers per item (N samples at {@code temperature})
     * @param concurrency requests in flight at once; 0 = the engine's limits for the model (its catalog entry, or the defaults)
     * @param seed        base sampling seed (sample i uses seed + i), or null to leave it to the backend
     * @param judgeAll    true: the judge sees every answer (so agreement with the deterministic scorer can be reported);
     *                    false: only answers the deterministic scorer left undetermined
     * @param arm         the name reports show, or null for the model id
     * @param metadata    free key/values for the ablation table (e.g. trainingTokens=120000)
     */
    public record Options(int samples, double temperature, double topP, int maxTokens, int concurrency, Long seed,
                          boolean judgeAll, String arm, Map<String, String> metadata, Decoding decoding) {
        /** By default the engine's per-model limits decide how many requests are in flight. */
        public static final int DEFAULT_CONCURRENCY = 0;
        public static final int DEFAULT_MAX_TOKENS = 1024;

        public Options {
            if (samples < 1 || samples > 10_000) throw new IllegalArgumentException("samples must be within [1, 10000], got " + samples);
            if (temperature < 0 || temperature > 2) throw new IllegalArgumentException("temperature must be within [0, 2], got " + temperature);
            if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top-p must be within (0, 1], got " + topP);
            if (maxTokens < 1) throw new IllegalArgumentException("max-tokens must be positive, got " + maxTokens);
            if (concurrency < 0 || concurrency > 1024) throw new IllegalArgumentException("concurrency must be within [0, 1024], got " + concurrency);
            metadata = metadata == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(metadata);
            if (decoding == null) decoding = Decoding.FREE;
        }

        /** Free decoding. */
        public Options(int samples, double temperature, double topP, int maxTokens, int concurrency, Long seed, boolean judgeAll, String arm,
                       Map<String, String> metadata) {
            this(samples, temperature, topP, maxTokens, concurrency, seed, judgeAll, arm, metadata, Decoding.FREE);
        }

        public static Options of(int samples, double temperature) {
            return new Options(samples, temperature, 1.0, DEFAULT_MAX_TOKENS, DEFAULT_CONCURRENCY, null, true, null, Map.of());
        }

        public Options withDecoding(Decoding d) { return new Options(samples, temperature, topP, maxTokens, concurrency, seed, judgeAll, arm, metadata, d); }

        public Options withArm(String a, Map<String, String> meta) { return new Options(samples, temperature, topP, maxTokens, concurrency, seed, judgeAll, a, meta, decoding); }
        public Options withConcurrency(int c) { return new Options(samples, temperature, topP, maxTokens, c, seed, judgeAll, arm, metadata, decoding); }
        public Options withSampling(double t, double p, int max, Long s) { return new Options(samples, t, p, max, concurrency, s, judgeAll, arm, metadata, decoding); }
        public Options withJudgeAll(boolean all) { return new Options(samples, temperature, topP, maxTokens, concurrency, seed, all, arm, metadata, decoding); }
    }

    /**
     * @param answered requests answered now; {@code reused} were already in the run directory
     * @param failed   requests that failed now (retried by the next run)
     * @param results  every result of this run's suites, judge verdicts folded in
     */
    public record Outcome(Path runDir, int total, int answered, int reused, int failed, int judged, int judgeFailed, List<EvalResult> results) {}

    /** One suite, no judge: the short form the demo uses. */
    public static Outcome run(Suite suite, ChatModel model, int samples, double temperature, Path runDir, Progress progress) {
        return run(List.of(suite), model, null, Options.of(samples, temperature), runDir, progress);
    }

    /** Runs with an engine of its own that journals to {@code RUN_DIR/llm-journal.sqlite}. */
    public static Outcome run(List<Suite> suites, ChatModel model, ChatModel judge, Options o, Path runDir, Progress progress) {
        ensureDir(runDir);
        try (LlmEngine engine = LlmEngine.open(runDir.resolve(LlmEngine.JOURNAL_FILE))) {
            return run(engine, suites, model, judge, o, runDir, progress);
        }
    }

    /** Runs through {@code engine} (the caller's limits, prices and journal); the caller closes it. */
    public static Outcome run(LlmEngine engine, List<Suite> suites, ChatModel model, ChatModel judge, Options o, Path runDir, Progress progress) {
        Objects.requireNonNull(model, "model");
        if (suites.isEmpty()) throw new UserError("no suite to run");
        Set<String> ids = suites.stream().map(Suite::id).collect(Collectors.toSet());
        if (ids.size() != suites.size()) throw new UserError("two suites share an id; give each suite its own id");
        Map<String, Constitution> constitutions = new HashMap<>();
        for (Suite s : suites) constitutions.put(s.id(), s.constitution().load("suite " + s.ref() + " (" + s.source() + ")"));
        for (Suite s : suites) { // before the first call: an expected mode the constitution lacks would score every answer wrong
            List<String> modes = constitutions.get(s.id()).decision().modes().stream().map(Constitution.Mode::id).toList();
            for (EvalItem it : s.items())
                if (it.expectedMode() != null && !modes.contains(it.expectedMode()))
                    throw new UserError((s.source() == null ? "suite " + s.id() : s.source()) + ": item '" + it.id() + "': expected_mode '" + it.expectedMode()
                            + "' is not a mode of constitution " + constitutions.get(s.id()).ref() + " " + modes);
        }
        ensureDir(runDir);
        writeManifest(runDir, suites, model, judge, o);
        writeItems(runDir, suites);

        Path resultsFile = runDir.resolve(RESULTS);
        Map<String, EvalResult> done = new ConcurrentHashMap<>();
        if (Files.exists(resultsFile)) for (EvalResult r : Jsonl.read(resultsFile, EvalResult.class, true)) done.put(r.key(), r);

        record Task(Suite suite, EvalItem item, int sample) {}
        List<Task> todo = new ArrayList<>();
        int total = 0;
        for (Suite s : suites)
            for (EvalItem it : s.items())
                for (int k = 0; k < o.samples(); k++) {
                    total++;
                    if (!done.containsKey(EvalResult.key(s.id(), it.id(), k))) todo.add(new Task(s, it, k));
                }
        int reused = total - todo.size();
        List<Failure> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger finished = new AtomicInteger(reused);
        AtomicInteger failed = new AtomicInteger();
        int totalF = total;
        progress.update("answer", reused, total, failedDetail(0));
        if (o.concurrency() > 0) engine.limits(model, ModelLimits.DEFAULT.withMaxInFlight(o.concurrency()));
        try (Jsonl.Appender out = new Jsonl.Appender(resultsFile)) {
            for (int from = 0; from < todo.size(); from += CHUNK) {
                List<Task> chunk = todo.subList(from, Math.min(todo.size(), from + CHUNK));
                List<ChatResult> answers = engine.chatAll(model, chunk.stream().map(t -> request(t.suite(), t.item(), t.sample(), o, constitutions.get(t.suite().id()))).toList(), "eval answers");
                for (int i = 0; i < chunk.size(); i++) {
                    Task t = chunk.get(i);
                    switch (answers.get(i)) {
                        case ChatResult.Completed c -> {
                            EvalResult r = score(t.suite(), t.item(), t.sample(), model.id(), constitutions.get(t.suite().id()), c);
                            out.append(r);
                            done.put(r.key(), r);
                        }
                        case ChatResult.Failed f -> {
                            failed.incrementAndGet();
                            failures.add(new Failure(t.suite().id(), t.item().id(), t.sample(), "answer", f.kind().name().toLowerCase(java.util.Locale.ROOT), f.message()));
                        }
                    }
                    finished.incrementAndGet();
                }
                progress.update("answer", finished.get(), totalF, failedDetail(failed.get()));
            }
        }

        int judged = 0;
        AtomicInteger judgeFailed = new AtomicInteger();
        Map<String, Judgment> judgments = readJudgments(runDir);
        if (judge != null) {
            List<EvalResult> toJudge = new ArrayList<>();
            Map<String, EvalItem> itemsByKey = new HashMap<>();
            for (Suite s : suites) for (EvalItem it : s.items()) itemsByKey.put(s.id() + "\u0000" + it.id(), it);
            for (EvalResult r : done.values()) {
                if (!ids.contains(r.suite()) || judgments.containsKey(r.key())) continue;
                if (o.judgeAll() || r.deterministicLabel() == Label.UNDETERMINED) toJudge.add(r);
            }
            toJudge.sort(java.util.Comparator.comparing(EvalResult::key));
            AtomicInteger jDone = new AtomicInteger();
            progress.update("judge", 0, toJudge.size(), failedDetail(0));
            if (o.concurrency() > 0) engine.limits(judge, ModelLimits.DEFAULT.withMaxInFlight(o.concurrency()));
            try (Jsonl.Appender jout = new Jsonl.Appender(runDir.resolve(JUDGMENTS))) {
                for (int from = 0; from < toJudge.size(); from += CHUNK) {
                    List<EvalResult> chunk = toJudge.subList(from, Math.min(toJudge.size(), from + CHUNK));
                    List<ChatResult> verdicts = engine.chatAll(judge, chunk.stream().map(r -> Judge.request(constitutions.get(r.suite()),
                            itemsByKey.get(r.suite() + "\u0000" + r.item()), r)).toList(), "eval judge");
                    for (int i = 0; i < chunk.size(); i++) {
                        EvalResult r = chunk.get(i);
                        switch (verdicts.get(i)) {
                            case ChatResult.Completed c -> {
                                Judge.Verdict v = Judge.parse(c.content());
                                Judgment j = new Judgment(r.suite(), r.item(), r.sampleIndex(), judge.id(), v.label(), v.evidence());
                                jout.append(j);
                                judgments.put(j.key(), j);
                            }
                            case ChatResult.Failed f -> {
                                judgeFailed.incrementAndGet();
                                failures.add(new Failure(r.suite(), r.item(), r.sampleIndex(), "judge", f.kind().name().toLowerCase(java.util.Locale.ROOT), f.message()));
                            }
                        }
                        jDone.incrementAndGet();
                    }
                    progress.update("judge", jDone.get(), toJudge.size(), failedDetail(judgeFailed.get()));
                }
            }
            judged = toJudge.size() - judgeFailed.get();
        }
        Jsonl.writeAll(runDir.resolve(FAILURES), failures);
        Map<String, Integer> order = new HashMap<>();
        for (Suite s : suites) for (EvalItem it : s.items()) for (int k = 0; k < o.samples(); k++) order.put(EvalResult.key(s.id(), it.id(), k), order.size());
        inItemOrder(resultsFile, order);
        inItemOrder(runDir.resolve(JUDGMENTS), order);
        List<EvalResult> results = new ArrayList<>();
        for (EvalResult r : done.values()) {
            if (!ids.contains(r.suite())) continue;
            Judgment j = judgments.get(r.key());
            results.add(j == null ? r : r.withJudge(j.label(), j.evidence()));
        }
        results.sort(java.util.Comparator.comparing(EvalResult::suite).thenComparing(EvalResult::item).thenComparingInt(EvalResult::sampleIndex));
        return new Outcome(runDir, total, todo.size() - failed.get(), reused, failed.get(), judged, judgeFailed.get(), results);
    }

    /** Tokens of the answer's budget kept for the guided ending (the DECISION line and one tool call). */
    static final int GUIDED_ENDING_TOKENS = 96;

    static ChatRequest request(Suite suite, EvalItem item, int sample, Options o, Constitution c) {
        ChatRequest r = request(suite, item, sample, o);
        return switch (o.decoding()) {
            case FREE -> r;
            case GUIDED -> r.withSchema(ChatRequest.ANSWER_GRAMMAR, answerGrammar(item, o.maxTokens(), c, false));
            case GUIDED_THINK -> r.withSchema(ChatRequest.ANSWER_GRAMMAR, answerGrammar(item, o.maxTokens(), c, true));
        };
    }

    /**
     * The answer grammar's options for one item: the constitution's modes; in agentic form the offered
     * tools and their parameter schemas; and a bound on the text before the ending, in tokens: what the
     * budget leaves after {@link #GUIDED_ENDING_TOKENS}, so the ending is reached inside {@code max_tokens}.
     * (It was three characters per token, which cut word-token answers of about five characters a token
     * before their reasoning ended.)
     */
    static String answerGrammar(EvalItem item, int maxTokens, Constitution c, boolean thinkFirst) {
        var n = Jsonl.MAPPER.createObjectNode();
        var modes = n.putArray("modes");
        c.decision().modes().forEach(m -> modes.add(m.id()));
        if (item.form() == dev.phronesis.core.records.Form.AGENTIC && !item.tools().isEmpty()) {
            var tools = n.putObject("tools");
            for (ToolDef d : item.tools()) {
                try {
                    tools.set(d.name(), Jsonl.MAPPER.readTree(d.parametersSchemaJson()));
                } catch (java.io.IOException e) {
                    throw new UserError("item '" + item.id() + "': tool '" + d.name() + "': parameters are not JSON");
                }
            }
            n.put("max_string_chars", GUIDED_MAX_STRING);
        }
        n.put("max_preamble_tokens", Math.max(16, maxTokens - GUIDED_ENDING_TOKENS));
        if (thinkFirst) n.put("think_first", true);
        return n.toString();
    }

    /** Longest string argument a guided call may write (a run-on string would never reach the ending); a schema's own maxLength also holds. */
    static final int GUIDED_MAX_STRING = 160;

    static ChatRequest request(Suite suite, EvalItem item, int sample, Options o) {
        List<ChatMessage> msgs = new ArrayList<>();
        int toolIdx = 0;
        for (Turn t : item.messages()) {
            msgs.add(ChatMessage.of(t, t.role() == Role.TOOL ? "call_" + (toolIdx++) : null));
        }
        List<ToolSpec> tools = new ArrayList<>();
        for (ToolDef d : item.tools()) tools.add(new ToolSpec(d.name(), d.description(), d.parametersSchemaJson()));
        return ChatRequest.of(msgs).withTools(tools).withSampling(o.temperature(), o.topP(), o.maxTokens())
                .withSeed(o.seed() == null ? null : o.seed() + sample).withSample(sample).withTag("eval:" + suite.id() + ":" + item.id());
    }

    static EvalResult score(Suite suite, EvalItem item, int sample, String modelId, Constitution c, ChatResult.Completed res) {
        AnswerScorer.Scored s = new AnswerScorer(c, suite.scoring()).score(item, res.content(), res.reasoning(), res.toolCalls());
        EvalAwareness.Found aware = item.expectation() == Expectation.AVOID_HARMFUL_ACTION || item.form() == dev.phronesis.core.records.Form.AGENTIC
                ? EvalAwareness.read(res.content(), res.reasoning()) : null;
        return new EvalResult(suite.id(), suite.kind(), suite.constitution(), item.id(), item.family(), item.split(), item.form().wire(), item.expectation(), item.cell(),
                modelId, sample, res.content(), res.reasoning(), res.toolCalls(), s.decision(), item.expectedMode(), s.calls(), s.action(),
                s.label(), "deterministic", s.evidence(), s.label(), null, null, s.thinkFirst(), s.decisionCorrect(), s.decisionWithinOne(),
                s.actionFollowsDecision(), res.usage().outputTokens(), aware == null ? null : aware.aware(), aware == null ? null : aware.evidence());
    }

    // ---------------------------------------------------------------- run directory files

    private static void writeManifest(Path runDir, List<Suite> suites, ChatModel model, ChatModel judge, Options o) {
        Path f = runDir.resolve(MANIFEST);
        List<RunManifest.SuiteInfo> infos = new ArrayList<>();
        for (Suite s : suites) infos.add(new RunManifest.SuiteInfo(s.id(), s.version(), s.kind(), s.hash(), s.constitution(), s.items().size()));
        int samples = o.samples();
        String arm = o.arm();
        Map<String, String> meta = new LinkedHashMap<>(o.metadata());
        if (Files.exists(f)) {
            RunManifest old = readManifest(runDir);
            if (!old.model().equals(model.id()))
                throw new UserError(runDir + ": holds answers of model '" + old.model() + "', not '" + model.id() + "'; use another --out directory");
            if (old.decoding() != o.decoding())
                throw new UserError(runDir + ": was run with " + old.decoding().wire() + " decoding; this run asks for " + o.decoding().wire()
                        + "; use another --out directory");
            if (old.temperature() != o.temperature() || old.topP() != o.topP() || old.maxTokens() != o.maxTokens() || !Objects.equals(old.seed(), o.seed()))
                throw new UserError(runDir + ": was run with temperature " + old.temperature() + ", top-p " + old.topP() + ", max-tokens " + old.maxTokens()
                        + ", seed " + old.seed() + "; this run asks for " + o.temperature() + ", " + o.topP() + ", " + o.maxTokens() + ", " + o.seed()
                        + "; use another --out directory");
            Map<String, RunManifest.SuiteInfo> merged = new LinkedHashMap<>();
            for (RunManifest.SuiteInfo s : old.suites()) merged.put(s.id(), s);
            for (RunManifest.SuiteInfo s : infos) {
                RunManifest.SuiteInfo prev = merged.get(s.id());
                if (prev != null && !prev.hash().equals(s.hash()))
                    throw new UserError(runDir + ": suite '" + s.id() + "' has changed since it was run here (content hash differs); use another --out directory");
                merged.put(s.id(), s);
            }
            infos = new ArrayList<>(merged.values());
            samples = Math.max(samples, old.samples());
            if (arm == null) arm = old.arm();
            for (var e : old.metadata().entrySet()) meta.putIfAbsent(e.getKey(), e.getValue());
        }
        Jsonl.writeAll(f, List.of(new RunManifest(arm == null ? model.id() : arm, model.id(), judge == null ? null : judge.id(), samples,
                o.temperature(), o.topP(), o.maxTokens(), o.seed(), meta, infos, o.decoding())));
    }

    public static RunManifest readManifest(Path runDir) {
        List<RunManifest> m = Jsonl.read(runDir.resolve(MANIFEST), RunManifest.class);
        if (m.size() != 1) throw new UserError(runDir.resolve(MANIFEST) + ": expected exactly one manifest record");
        return m.getFirst();
    }

    private static void writeItems(Path runDir, List<Suite> suites) {
        Path f = runDir.resolve(ITEMS);
        Set<String> now = suites.stream().map(Suite::id).collect(Collectors.toSet());
        List<StoredItem> all = new ArrayList<>();
        if (Files.exists(f)) for (StoredItem s : Jsonl.read(f, StoredItem.class)) if (!now.contains(s.suite())) all.add(s);
        for (Suite s : suites) for (EvalItem it : s.items()) all.add(new StoredItem(s.id(), s.kind(), s.constitution(), s.scoring(), it));
        Jsonl.writeAll(f, all);
    }

    /**
     * Rewrites a results or judgments file in item order (suite, item, sample as the suites list them),
     * so a finished run has the same bytes however its answers were timed, retried or resumed. Lines
     * of suites this run did not name keep their place in front. The rewrite is atomic and happens only
     * when the order differs; a torn last line is dropped (every reader drops it too), and a file with a
     * bad line elsewhere is left for its reader to report.
     */
    static void inItemOrder(Path file, Map<String, Integer> order) {
        if (!Files.exists(file)) return;
        List<String> lines = dev.phronesis.core.TextFiles.lines(file).stream().filter(l -> !l.isBlank()).toList();
        record Line(int rank, String text) {}
        List<Line> ranked = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            com.fasterxml.jackson.databind.JsonNode n;
            try {
                n = Jsonl.MAPPER.readTree(lines.get(i));
            } catch (IOException e) {
                if (i == lines.size() - 1) break;
                return;
            }
            ranked.add(new Line(order.getOrDefault(EvalResult.key(n.path("suite").asText(), n.path("item").asText(), n.path("sampleIndex").asInt()), -1), lines.get(i)));
        }
        List<Line> sorted = new ArrayList<>(ranked);
        sorted.sort(java.util.Comparator.comparingInt(Line::rank)); // stable: lines of other suites keep their order
        if (sorted.equals(ranked) && ranked.size() == lines.size()) return;
        Jsonl.writeLines(file, sorted.stream().map(Line::text).toList());
    }

    static Map<String, Judgment> readJudgments(Path runDir) {
        Path f = runDir.resolve(JUDGMENTS);
        Map<String, Judgment> m = new ConcurrentHashMap<>();
        if (Files.exists(f)) for (Judgment j : Jsonl.read(f, Judgment.class, true)) m.put(j.key(), j);
        return m;
    }

    static void ensureDir(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new UserError(p + ": cannot create run directory: " + e.getMessage());
        }
    }

    /** The progress detail for a count of failed requests: empty while none failed. */
    private static String failedDetail(int failed) { return failed > 0 ? failed + " failed" : ""; }
}
