package dev.phronesis.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one request engine every stage uses: concurrent on virtual threads, rate-limited and adaptive
 * per model, retrying with jittered exponential backoff that honours Retry-After, validating and
 * repairing structured output, journaled to SQLite, and accounting usage and cost.
 *
 * <p>Invariants.
 * <ul>
 * <li><b>Never throws for a request.</b> Every request ends as {@link ChatResult.Completed} or as
 *     {@link ChatResult.Failed} with one clear line; one bad request never aborts a run.</li>
 * <li><b>Paid once.</b> An answer is committed to the journal before it is returned; a request whose
 *     key is in the journal is served from it; identical requests in flight at the same time share one
 *     call. After {@code kill -9} a rerun pays only for requests that had not finished.</li>
 * <li><b>Failures are not cached.</b> A failed request is recorded for accounting but retried by a rerun.</li>
 * <li><b>Backoff holds no permit.</b> A request sleeping before its next attempt has released its slot.</li>
 * <li><b>Keys stay secret.</b> The engine never sees API keys except inside the backend clients;
 *     every message it records or returns is scrubbed of known keys.</li>
 * </ul>
 */
public final class LlmEngine implements AutoCloseable {
    /** The journal's file name inside a run directory (what {@code phronesis llm usage RUN_DIR} looks for). */
    public static final String JOURNAL_FILE = "llm-journal.sqlite";
    /** The usage summary written next to the journal on close. */
    public static final String USAGE_FILE = "llm-usage.json";
    /** First retry waits about this long (equal jitter: half fixed, half random). */
    static final Duration RETRY_BASE_DELAY = Duration.ofMillis(250);
    /** Exponential backoff stops growing here. */
    static final Duration RETRY_MAX_DELAY = Duration.ofSeconds(60);
    /** A Retry-After is honoured plus up to this fraction of itself, so that a herd told "1 s" does not return at once. */
    static final double RETRY_AFTER_JITTER = 0.1;
    /** Extra turns spent asking a model to fix an answer that violates the requested schema. */
    static final int MAX_SCHEMA_REPAIRS = 2;
    /** Runs shorter than this many requests show no progress line. */
    static final int PROGRESS_MIN_REQUESTS = 20;
    /** A run shows progress only once it has lasted this long. */
    static final Duration PROGRESS_AFTER = Duration.ofSeconds(2);
    /** Requests submitted but not finished per model, in units of its max_in_flight: bounds memory for million-request runs. */
    static final int QUEUE_FACTOR = 4;
    /** Rough characters per token, to estimate a request's size before the server tells us. */
    static final int CHARS_PER_TOKEN = 4;

    private static final ObjectMapper JSON = dev.phronesis.core.Json.MAPPER;

    private final Journal journal;
    private final Map<String, ModelState> models = new ConcurrentHashMap<>();
    private final Map<String, ModelLimits> limitOverrides = new ConcurrentHashMap<>();
    private final Map<String, ModelPrices> priceOverrides = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<ChatResult>> inFlight = new ConcurrentHashMap<>();
    private final UsageSummary.Accumulator total = new UsageSummary.Accumulator();
    private final long startedNanos = System.nanoTime();
    private volatile PrintStream progressOut = System.err;
    private volatile boolean closed;

    private LlmEngine(Journal journal) { this.journal = journal; }

    /** Opens an engine journaling to {@code journalFile} (SQLite, WAL); {@code null} = no journal, accounting in memory only. */
    public static LlmEngine open(Path journalFile) {
        return new LlmEngine(journalFile == null ? null : Journal.open(journalFile));
    }

    /** Overrides the limits of a model (otherwise those of its catalog entry, or {@link ModelLimits#DEFAULT}). */
    public LlmEngine limits(ChatModel model, ModelLimits limits) {
        limitOverrides.put(model.id(), limits);
        models.remove(model.id());
        return this;
    }

    /** Overrides the price table of a model (otherwise that of its catalog entry, or free). */
    public LlmEngine prices(ChatModel model, ModelPrices prices) {
        priceOverrides.put(model.id(), prices);
        models.remove(model.id());
        return this;
    }

    /** Where progress lines go ({@code null} = nowhere). Default: stderr. */
    public LlmEngine progress(PrintStream out) {
        this.progressOut = out;
        return this;
    }

    /** True when {@code model} answers through a batch API: {@link #chatAll} submits its requests as batches. */
    public static boolean isBatch(ChatModel model) { return model instanceof BatchChatModel; }

    /** The journal file, if any. */
    public Optional<Path> journalFile() { return Optional.ofNullable(journal).map(Journal::file); }

    /** Answers one request (journaled, limited, retried). Never throws for a failed request. */
    public ChatResult chat(ChatModel model, ChatRequest request) {
        return execute(model, state(model), request, null, new UsageSummary.Accumulator[]{total, state(model).usage});
    }

    /**
     * Answers many requests concurrently on virtual threads under the model's limits; results come
     * back in input order. Shows live progress on stderr when the run is long and prints a summary at
     * the end. Never throws for failed requests.
     */
    public List<ChatResult> chatAll(ChatModel model, List<ChatRequest> requests, String label) {
        ModelState st = state(model);
        UsageSummary.Accumulator run = new UsageSummary.Accumulator();
        UsageSummary.Accumulator[] accs = {total, st.usage, run};
        ChatResult[] out = new ChatResult[requests.size()];
        LiveUsage progress = new LiveUsage(label == null ? model.id() : label, requests.size(), run, st.limiter, progressOut);
        progress.start();
        try {
            if (model instanceof BatchChatModel batch) {
                List<ChatResult> r = BatchRunner.run(this, batch, st, requests, label, accs, progress);
                for (int i = 0; i < out.length; i++) out[i] = r.get(i);
            } else {
                Semaphore queue = new Semaphore(Math.max(256, QUEUE_FACTOR * st.limits.maxInFlight()));
                try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < out.length; i++) {
                        final int idx = i;
                        queue.acquireUninterruptibly();
                        exec.submit(() -> {
                            try {
                                out[idx] = execute(model, st, requests.get(idx), label, accs);
                            } finally {
                                queue.release();
                                progress.tick();
                            }
                        });
                    }
                }
            }
        } finally {
            progress.finish();
        }
        return Arrays.asList(out);
    }

    /** Usage so far of everything this engine did. */
    public UsageSummary usage() { return total.summary(Duration.ofNanos(System.nanoTime() - startedNanos)); }

    /** Usage so far per model id. */
    public Map<String, UsageSummary> usageByModel() {
        Map<String, UsageSummary> m = new java.util.TreeMap<>();
        Duration wall = Duration.ofNanos(System.nanoTime() - startedNanos);
        models.forEach((k, v) -> m.put(k, v.usage.summary(wall)));
        return m;
    }

    /** Closes the journal, writing {@value #USAGE_FILE} next to it. Idempotent. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        if (journal != null) {
            try {
                Path dir = journal.file().toAbsolutePath().getParent();
                ObjectNode o = JSON.createObjectNode();
                o.set("total", usageJson(usage()));
                ObjectNode per = o.putObject("models");
                usageByModel().forEach((k, v) -> per.set(k, usageJson(v)));
                Files.writeString(dir.resolve(USAGE_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
            } catch (IOException | RuntimeException e) {
                if (progressOut != null) progressOut.println("llm: could not write " + USAGE_FILE + ": " + Secrets.scrub(e.getMessage()));
            }
            journal.close();
        }
    }

    /** Usage of everything a journal file holds, per model id (for {@code phronesis llm usage}). */
    public static Map<String, UsageSummary> journalUsage(Path journalFile) {
        try (Journal j = Journal.open(journalFile)) {
            return j.usageByModel();
        }
    }

    /** The fields of {@value #USAGE_FILE} for one summary (also {@code phronesis llm usage --json}). */
    public static ObjectNode usageJson(UsageSummary u) {
        ObjectNode o = JSON.createObjectNode();
        o.put("requests", u.requests()).put("completed", u.completed()).put("from_journal", u.fromJournal())
                .put("failed", u.failed()).put("attempts", u.attempts()).put("input_tokens", u.inputTokens())
                .put("output_tokens", u.outputTokens()).put("cached_input_tokens", u.cachedInputTokens())
                .put("cost_usd", u.costUsd()).put("latency_p50_ms", u.latencyP50().toMillis())
                .put("latency_p90_ms", u.latencyP90().toMillis()).put("latency_p99_ms", u.latencyP99().toMillis())
                .put("wall_ms", u.wall().toMillis());
        return o;
    }

    // ---------------------------------------------------------------- one request

    static final class ModelState {
        final ModelLimits limits;
        final ModelPrices prices;
        final ModelLimiter limiter;
        final UsageSummary.Accumulator usage = new UsageSummary.Accumulator();

        ModelState(ModelLimits limits, ModelPrices prices) {
            this.limits = limits;
            this.prices = prices;
            this.limiter = new ModelLimiter(limits);
        }
    }

    ModelState state(ChatModel model) {
        return models.computeIfAbsent(model.id(), id -> {
            ModelSpec spec = model instanceof RemoteChatModel r ? r.spec() : model instanceof BatchChatModel b ? b.spec() : null;
            ModelLimits l = limitOverrides.getOrDefault(id, spec == null ? ModelLimits.DEFAULT : spec.limits());
            ModelPrices p = priceOverrides.getOrDefault(id, spec == null ? ModelPrices.FREE : spec.prices());
            return new ModelState(l, p);
        });
    }

    /** The extra parameters that shape answers (batch-control parameters such as poll_interval do not). */
    static Map<String, Object> params(ChatModel model) {
        Map<String, Object> p = model instanceof RemoteChatModel r ? r.spec().params() : model instanceof BatchChatModel b ? b.spec().params() : Map.of();
        if (p.isEmpty()) return p;
        Map<String, Object> out = new java.util.TreeMap<>(p);
        out.keySet().removeIf(BatchChatModel::isControlParam);
        return out;
    }

    String key(ChatModel model, ChatRequest request) { return RequestKey.of(model.id(), params(model), request); }

    Journal journal() { return journal; }

    private ChatResult execute(ChatModel model, ModelState st, ChatRequest request, String label, UsageSummary.Accumulator[] accs) {
        for (var a : accs) a.request();
        String key = key(model, request);
        Optional<ChatResult.Completed> hit = journal == null ? Optional.empty() : journal.get(key);
        if (hit.isPresent()) {
            for (var a : accs) a.journalHit();
            return hit.get();
        }
        CompletableFuture<ChatResult> mine = new CompletableFuture<>();
        CompletableFuture<ChatResult> other = inFlight.putIfAbsent(key, mine);
        if (other != null) {
            // an identical request is on the wire right now: share its answer rather than pay twice
            ChatResult r = other.join();
            if (r instanceof ChatResult.Completed c) {
                for (var a : accs) a.journalHit();
                return c.asFromJournal();
            }
            for (var a : accs) a.failed();
            return r;
        }
        ChatResult result = null;
        try {
            // re-check: the identical request may have finished between our journal miss and putIfAbsent
            hit = journal == null ? Optional.empty() : journal.get(key);
            if (hit.isPresent()) {
                for (var a : accs) a.journalHit();
                result = hit.get();
                return result;
            }
            result = answer(model, st, request, key, label, accs);
            return result;
        } catch (RuntimeException e) {
            result = new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, "internal error: " + Secrets.scrub(String.valueOf(e)), 0);
            for (var a : accs) a.failed();
            return result;
        } finally {
            mine.complete(result);
            inFlight.remove(key, mine);
        }
    }

    /** Attempts, schema validation and repair, journaling and accounting of one request not in the journal. */
    private ChatResult answer(ChatModel model, ModelState st, ChatRequest request, String key, String label, UsageSummary.Accumulator[] accs) {
        AtomicLong attempts = new AtomicLong();
        ChatRequest current = request;
        Usage usage = Usage.NONE;
        Duration latency = Duration.ZERO;
        for (int repair = 0; ; repair++) {
            ChatResult r = withRetries(model, st, current, attempts, accs);
            if (r instanceof ChatResult.Failed f) {
                return fail(model, request, key, label, accs, f);
            }
            ChatResult.Completed c = (ChatResult.Completed) r;
            usage = usage.plus(c.usage());
            latency = latency.plus(c.latency());
            String content = c.content();
            if (request.jsonSchema() != null) {
                String json = SchemaCheck.extractJson(content);
                String violation = SchemaCheck.violation(request.jsonSchema(), json);
                if (violation != null) {
                    if (repair >= MAX_SCHEMA_REPAIRS) {
                        // the paid-for turns still count
                        double cost = st.prices.cost(usage);
                        for (var a : accs) a.spent(usage, cost);
                        return fail(model, request, key, label, accs, new ChatResult.Failed(ChatResult.Failed.Kind.SCHEMA_VIOLATION,
                                "answer does not satisfy the schema after " + (repair + 1) + " tries: " + violation + String.format(Locale.ROOT, " (spent $%.4f)", cost), (int) attempts.get()),
                                usage, cost);
                    }
                    current = repairRequest(request, content, violation);
                    continue;
                }
                content = json;
            }
            ChatResult.Completed done = new ChatResult.Completed(content, c.reasoning(), c.toolCalls(), c.finishReason(), usage, latency, false);
            double cost = st.prices.cost(usage);
            if (journal != null) journal.put(key, model.id(), label, request, done, cost, (int) attempts.get());
            for (var a : accs) a.paid(usage, cost, latency);
            return done;
        }
    }

    private ChatResult.Failed fail(ChatModel model, ChatRequest request, String key, String label, UsageSummary.Accumulator[] accs, ChatResult.Failed f) {
        return fail(model, request, key, label, accs, f, Usage.NONE, 0);
    }

    /** A failure journaled with the tokens and cost its attempts paid for, so {@code llm usage} counts them as the live summary does. */
    private ChatResult.Failed fail(ChatModel model, ChatRequest request, String key, String label, UsageSummary.Accumulator[] accs, ChatResult.Failed f,
                                   Usage spent, double cost) {
        ChatResult.Failed scrubbed = new ChatResult.Failed(f.kind(), Secrets.scrub(f.message()), f.attempts());
        if (journal != null) journal.putFailure(key, model.id(), label, request, scrubbed, spent, cost);
        for (var a : accs) a.failed();
        return scrubbed;
    }

    static ChatRequest repairRequest(ChatRequest original, String badAnswer, String violation) {
        List<ChatMessage> msgs = new ArrayList<>(original.messages());
        msgs.add(ChatMessage.assistant(badAnswer));
        msgs.add(ChatMessage.user("That answer does not satisfy the required JSON schema: " + violation
                + ". Reply again with only the corrected JSON value, no prose and no code fences. The schema:\n" + original.responseSchemaJson()));
        return new ChatRequest(msgs, original.tools(), original.temperature(), original.topP(), original.maxTokens(), original.stop(),
                original.seed(), original.responseSchemaJson(), original.schemaName(), original.sampleIndex(), original.tag());
    }

    /** Attempts until success, a non-retryable failure, or max_attempts; sleeps between attempts without holding a permit. */
    private ChatResult withRetries(ChatModel model, ModelState st, ChatRequest request, AtomicLong attempts, UsageSummary.Accumulator[] accs) {
        long estimate = estimateTokens(request);
        for (int attempt = 1; ; attempt++) {
            try {
                st.limiter.acquire(estimate);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new ChatResult.Failed(ChatResult.Failed.Kind.TRANSPORT, "interrupted before attempt " + attempt, attempt - 1);
            }
            AttemptException failure;
            boolean rateLimited = false;
            attempts.incrementAndGet();
            for (var a : accs) a.attempt();
            try {
                ChatResult.Completed c = attemptOnce(model, request);
                st.limiter.correctTokens(estimate, c.usage().inputTokens() + c.usage().outputTokens());
                return c;
            } catch (AttemptException e) {
                failure = e;
                rateLimited = e.kind == ChatResult.Failed.Kind.RATE_LIMITED;
            } finally {
                st.limiter.release(rateLimited);
            }
            if (!failure.retryable || attempt >= st.limits.maxAttempts())
                return failure.toFailed(attempt);
            try {
                Thread.sleep(backoff(attempt, failure.retryAfter));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return failure.toFailed(attempt);
            }
        }
    }

    private static ChatResult.Completed attemptOnce(ChatModel model, ChatRequest request) throws AttemptException {
        if (model instanceof RemoteChatModel remote) {
            try {
                return remote.attempt(request);
            } catch (RuntimeException e) {
                throw new AttemptException(ChatResult.Failed.Kind.TRANSPORT, true, null, "backend error: " + OpenAiChatModel.rootMessage(e));
            }
        }
        ChatResult r;
        try {
            r = model.chat(request);
        } catch (RuntimeException e) {
            throw new AttemptException(ChatResult.Failed.Kind.CLIENT_ERROR, false, null, model.id() + " threw " + e);
        }
        return switch (r) {
            case ChatResult.Completed c -> c;
            case ChatResult.Failed f -> throw new AttemptException(f.kind(), retryable(f.kind()), null, f.message());
        };
    }

    static boolean retryable(ChatResult.Failed.Kind k) {
        return switch (k) {
            case RATE_LIMITED, SERVER_ERROR, TIMEOUT, MALFORMED_RESPONSE, TRANSPORT -> true;
            case SCHEMA_VIOLATION, CLIENT_ERROR -> false;
        };
    }

    /** Equal-jitter exponential backoff; a server's Retry-After wins, plus a little jitter. */
    static Duration backoff(int attempt, Duration retryAfter) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        if (retryAfter != null) {
            long ms = retryAfter.toMillis();
            return Duration.ofMillis(ms + (long) (rnd.nextDouble() * Math.max(RETRY_AFTER_JITTER * ms, 20)));
        }
        long exp = Math.min(RETRY_MAX_DELAY.toMillis(), RETRY_BASE_DELAY.toMillis() << Math.min(20, attempt - 1));
        return Duration.ofMillis(exp / 2 + (long) (rnd.nextDouble() * exp / 2));
    }

    static long estimateTokens(ChatRequest r) {
        long chars = 0;
        for (ChatMessage m : r.messages()) chars += m.content().length();
        return chars / CHARS_PER_TOKEN + r.maxTokens();
    }
}
