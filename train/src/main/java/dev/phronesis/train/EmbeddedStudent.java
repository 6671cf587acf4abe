package dev.phronesis.train;

import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.Usage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A checkpoint served in-process behind the {@code llm} interface (so every stage calls it exactly
 * as it calls a remote model), and the scheduler under {@code phronesis serve}.
 *
 * <p>Invariants. One worker thread owns the model: it alone switches adapters and runs forwards,
 * so the native engine sees one inference at a time. Callers on any threads {@link #submit} jobs;
 * a job waits in its client's FIFO queue until the worker admits it, which it does at every token
 * boundary, round-robin across clients, while the running rows stay within {@code maxBatch} and
 * the KV cache they may grow to within {@code maxKvBytes}. Admitted rows join their adapter's
 * continuous batch ({@link Generator.Batch}; one batch per adapter, stepped in turn) and leave it
 * the step they finish, which frees their cache columns; a batch that empties frees its cache.
 * The queue is bounded twice — all queued rows within {@code maxQueue}, and one client's queued plus
 * running rows within {@code maxPerClient} — and a job over either bound is refused at once with
 * {@link Overloaded} (the server answers 429 with Retry-After) rather than queued without limit.
 * In-process {@link #chat} callers wait for room instead. A failing step fails the rows it held and
 * the worker goes on. {@link #close} stops the worker, ends what is queued or running, and frees the
 * model; it is idempotent. Without a request seed, the seed is derived from the sample index, so
 * answers are reproducible either way.
 */
public final class EmbeddedStudent implements ChatModel {
    /**
     * @param maxBatch     most rows decoded together (across adapters)
     * @param maxQueue     most rows waiting for admission (all clients)
     * @param maxPerClient most rows one client may have queued or running
     * @param maxKvBytes   bound on the KV cache the running rows may grow to (float32 keys and values)
     * @param forceThink   end every chat prompt with {@code <think>} so the answer starts with reasoning
     */
    public record Options(int maxBatch, int maxQueue, int maxPerClient, long maxKvBytes, boolean forceThink) {
        /** Defaults: 64 rows decoded together, 1024 queued, 256 per client, 2 GiB of KV cache. */
        public static final int DEFAULT_MAX_BATCH = 64, DEFAULT_MAX_QUEUE = 1024, DEFAULT_MAX_PER_CLIENT = 256;
        public static final long DEFAULT_MAX_KV_BYTES = 2L << 30;

        public Options {
            if (maxBatch < 1) throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
            if (maxQueue < 1) throw new IllegalArgumentException("max queue must be >= 1, got " + maxQueue);
            if (maxPerClient < 1) throw new IllegalArgumentException("max per client must be >= 1, got " + maxPerClient);
            if (maxKvBytes < 1) throw new IllegalArgumentException("max KV cache bytes must be >= 1, got " + maxKvBytes);
        }

        public static Options defaults() {
            return new Options(DEFAULT_MAX_BATCH, DEFAULT_MAX_QUEUE, DEFAULT_MAX_PER_CLIENT, DEFAULT_MAX_KV_BYTES, false);
        }

        public Options withMaxBatch(int n) { return new Options(n, maxQueue, maxPerClient, maxKvBytes, forceThink); }
        public Options withForceThink(boolean t) { return new Options(maxBatch, maxQueue, maxPerClient, maxKvBytes, t); }
        public Options withLimits(int queue, int perClient, long kvBytes) { return new Options(maxBatch, queue, perClient, kvBytes, forceThink); }
    }

    /**
     * One generation.
     *
     * @param client  who asked (the per-client share is counted by this key)
     * @param adapter adapter name, or null for the base model
     */
    public record Job(String client, String adapter, Generator.Request request, Generator.Listener listener) {}

    /** The queue or the client's share is full; retry after the given time. */
    public static final class Overloaded extends Exception {
        private final Duration retryAfter;
        Overloaded(String message, Duration retryAfter) {
            super(message, null, false, false);
            this.retryAfter = retryAfter;
        }
        public Duration retryAfter() { return retryAfter; }
    }

    /** A point-in-time view for /metrics. */
    public record Stats(int queuedRows, int runningRows, long rowsFinished, long promptTokens, long completionTokens, long kvBytesReserved,
                        long prefixHitTokens, long prefixCacheBytes) {}

    /** Suggested wait for a refused client: about one decode step per queued row ahead of it, at least a second. */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /** Seed used for requests without one, mixed with the sample index. */
    private static final long DEFAULT_SEED = 0x5eed_1234_abcdL;
    /** The client key of in-process {@link #chat} calls. */
    private static final String IN_PROCESS = "in-process";

    private final String id;
    private final ModelRuntime runtime;
    private final Options options;
    private final long kvBytesPerToken;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition(), room = lock.newCondition();
    private final Map<String, ArrayDeque<Pending>> queues = new LinkedHashMap<>(); // per client, FIFO; guarded by lock
    private final Map<String, Integer> perClient = new HashMap<>(); // queued + running rows; guarded by lock
    private int queued, running; // guarded by lock
    private long reserved; // KV bytes the running rows may grow to; guarded by lock
    private final AtomicLong finished = new AtomicLong(), promptTokens = new AtomicLong(), completionTokens = new AtomicLong();
    private final Thread worker;
    private volatile boolean closed;

    private final class Pending {
        final Job job;
        final Generator.Handle handle = new Generator.Handle();
        final long kvBytes;
        Pending(Job job) {
            this.job = job;
            this.kvBytes = kvBytesPerToken * Math.min(runtime.contextLength(), (long) job.request().prompt().length + job.request().maxTokens());
        }
    }

    private EmbeddedStudent(ModelRuntime runtime, Options options) {
        this.runtime = runtime;
        this.id = "embedded:" + runtime.dir();
        this.options = options;
        var c = runtime.weights().config();
        this.kvBytesPerToken = 2L * c.numHiddenLayers() * c.numKeyValueHeads() * c.headDim() * Float.BYTES;
        this.worker = Thread.ofPlatform().name("embedded-student").daemon().start(this::serve);
    }

    public static EmbeddedStudent load(Path checkpoint) {
        return load(checkpoint, Options.defaults());
    }

    public static EmbeddedStudent load(Path checkpoint, Options options) {
        return new EmbeddedStudent(ModelRuntime.load(checkpoint), options);
    }

    /** A checkpoint with PEFT adapters by name (none merged; each request names one or the base). */
    public static EmbeddedStudent load(Path checkpoint, Map<String, Path> adapters, Options options) {
        return new EmbeddedStudent(ModelRuntime.load(checkpoint, adapters), options);
    }

    @Override public String id() { return id; }

    /** The loaded checkpoint: prompt rendering and parsing are safe from any thread; forwards are the worker's. */
    public ModelRuntime runtime() { return runtime; }

    public Options options() { return options; }

    public Stats stats() {
        lock.lock();
        try {
            Generator g = runtime.generator();
            return new Stats(queued, running, finished.get(), promptTokens.get(), completionTokens.get(), reserved, g.prefixHitTokens(), g.prefixCacheHeld());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues a job; its listener is called on the worker thread. Throws {@link Overloaded} when the
     * queue or the client's share is full, and IllegalArgumentException when the job can never run
     * (prompt past the context, KV cache past the memory bound, unknown adapter).
     */
    public Generator.Handle submit(Job job) throws Overloaded {
        return enqueue(List.of(job), false).getFirst();
    }

    /** As {@link #submit(Job)} for several rows (e.g. a request's {@code n} choices) that are all queued or all refused. */
    public List<Generator.Handle> submitAll(List<Job> jobs) throws Overloaded {
        return enqueue(jobs, false);
    }

    private List<Generator.Handle> enqueue(List<Job> jobs, boolean wait) throws Overloaded {
        List<Pending> ps = new ArrayList<>();
        for (Job job : jobs) {
            runtime.generator().checkFits(job.request().prompt());
            if (job.adapter() != null && !runtime.adapterNames().contains(job.adapter()))
                throw new IllegalArgumentException("no adapter named '" + job.adapter() + "'");
            Pending p = new Pending(job);
            if (p.kvBytes > options.maxKvBytes())
                throw new IllegalArgumentException("prompt + max_tokens needs " + p.kvBytes + " bytes of KV cache, over the server's bound of " + options.maxKvBytes());
            ps.add(p);
        }
        if (ps.isEmpty()) return List.of();
        String client = jobs.getFirst().client();
        int k = ps.size();
        lock.lock();
        try {
            while (true) {
                if (closed) throw new IllegalStateException(id + " is closed");
                int mine = perClient.getOrDefault(client, 0);
                if (queued + k <= options.maxQueue() && mine + k <= options.maxPerClient()) break;
                if (!wait || k > options.maxPerClient() || k > options.maxQueue())
                    throw new Overloaded(queued + k > options.maxQueue()
                            ? "the server's queue is full (" + queued + " of " + options.maxQueue() + " rows waiting, " + k + " asked); retry later"
                            : "client has " + mine + " rows queued or running and asks for " + k + ", over its share of " + options.maxPerClient() + "; retry later",
                            RETRY_AFTER);
                room.awaitUninterruptibly();
            }
            List<Generator.Handle> handles = new ArrayList<>();
            for (Pending p : ps) {
                queues.computeIfAbsent(client, x -> new ArrayDeque<>()).add(p);
                handles.add(p.handle);
            }
            perClient.merge(client, k, Integer::sum);
            queued += k;
            work.signal();
            return handles;
        } finally {
            lock.unlock();
        }
    }

    @Override public ChatResult chat(ChatRequest request) {
        if (closed) return new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, id + " is closed", 1);
        int[] prompt;
        Guide guide;
        try {
            prompt = runtime.chatPrompt(request.messages(), request.tools(), options.forceThink());
            guide = request.responseSchemaJson() == null ? null : Guides.forSchema(request.schemaName(), request.responseSchemaJson(), runtime.tokenizer());
        } catch (RuntimeException e) {
            return new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, e.getMessage(), 1);
        }
        long seed = (request.seed() == null ? DEFAULT_SEED : request.seed()) * 0x9E3779B97F4A7C15L + request.sampleIndex();
        CompletableFuture<Generator.Output> result = new CompletableFuture<>();
        long start = System.nanoTime();
        try {
            Generator.Request g = new Generator.Request(prompt, request.temperature(), request.topP(), request.maxTokens(), request.stop(), seed, 0, guide);
            enqueue(List.of(new Job(IN_PROCESS, null, g, new Generator.Listener() {
                @Override public void token(String d, Generator.TokenLogprob lp) {}
                @Override public void done(Generator.Output o) { result.complete(o); }
            })), true);
            Generator.Output o = result.get();
            switch (o.finishReason()) {
                case CANCELLED -> { return new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, id + " is closed", 1); }
                case STOP, LENGTH -> { }
            }
            ModelRuntime.Reply r = ModelRuntime.parse(o.text(), options.forceThink(), false);
            return new ChatResult.Completed(r.content(), r.reasoning(), List.of(), o.finishReason().wire(),
                    new Usage(o.promptTokens(), o.tokens().length, 0), Duration.ofNanos(System.nanoTime() - start), false);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, e.getMessage(), 1);
        } catch (Overloaded e) {
            throw new IllegalStateException("unreachable: in-process calls wait for room", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ChatResult.Failed(ChatResult.Failed.Kind.TIMEOUT, "interrupted while waiting for the student", 1);
        } catch (ExecutionException e) {
            return new ChatResult.Failed(ChatResult.Failed.Kind.SERVER_ERROR, String.valueOf(e.getCause().getMessage()), 1);
        }
    }

    /** The worker: admit at each token boundary, step every adapter's batch, repeat. */
    private void serve() {
        Torch.noGrad();
        Map<String, Generator.Batch> lanes = new LinkedHashMap<>(); // by adapter ("" = base)
        try {
            while (true) {
                List<Pending> admitted = new ArrayList<>();
                lock.lock();
                try {
                    while (!closed && queued == 0 && running == 0) work.awaitUninterruptibly();
                    if (closed) break;
                    admit(admitted);
                } finally {
                    lock.unlock();
                }
                for (Pending p : admitted) {
                    String lane = p.job.adapter() == null ? "" : p.job.adapter();
                    lanes.computeIfAbsent(lane, k -> runtime.generator().new Batch()).add(p.job.request(), counted(p), p.handle);
                }
                for (Iterator<Map.Entry<String, Generator.Batch>> it = lanes.entrySet().iterator(); it.hasNext(); ) {
                    var lane = it.next();
                    if (lane.getValue().isEmpty()) { lane.getValue().close(); it.remove(); continue; }
                    try {
                        runtime.activate(lane.getKey().isEmpty() ? null : lane.getKey());
                        lane.getValue().step();
                    } catch (RuntimeException e) { // this lane's rows fail; the others go on
                        lane.getValue().close();
                        it.remove();
                    }
                }
            }
        } finally {
            lanes.values().forEach(Generator.Batch::close);
            lock.lock();
            try {
                for (ArrayDeque<Pending> q : queues.values()) for (Pending p : q) p.job.listener().done(cancelled(p));
                queues.clear();
                queued = 0;
                room.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Moves queued jobs to running, one per client in turn, within the batch and memory bounds. Holds the lock. */
    private void admit(List<Pending> out) {
        boolean progress = true;
        while (progress && running < options.maxBatch() && queued > 0) {
            progress = false;
            for (Iterator<Map.Entry<String, ArrayDeque<Pending>>> it = queues.entrySet().iterator(); it.hasNext() && running < options.maxBatch(); ) {
                ArrayDeque<Pending> q = it.next().getValue();
                Pending p = q.peek();
                if (p == null) { it.remove(); continue; }
                if (p.handle.isCancelled() || reserved + p.kvBytes <= options.maxKvBytes()) {
                    q.poll();
                    if (q.isEmpty()) it.remove();
                    queued--;
                    running++;
                    reserved += p.kvBytes;
                    out.add(p);
                    progress = true;
                }
            }
        }
        // rotate so the next admission starts with another client
        if (!queues.isEmpty()) {
            var first = queues.entrySet().iterator().next();
            queues.remove(first.getKey());
            queues.put(first.getKey(), first.getValue());
        }
        if (!out.isEmpty()) room.signalAll();
    }

    /** Wraps a job's listener so that its end releases its share, its cache reservation and counts its tokens. */
    private Generator.Listener counted(Pending p) {
        return new Generator.Listener() {
            @Override public void token(String d, Generator.TokenLogprob lp) { p.job.listener().token(d, lp); }
            @Override public void done(Generator.Output o) {
                finished.incrementAndGet();
                promptTokens.addAndGet(o.promptTokens());
                completionTokens.addAndGet(o.tokens().length);
                lock.lock();
                try {
                    running--;
                    reserved -= p.kvBytes;
                    perClient.computeIfPresent(p.job.client(), (k, n) -> n > 1 ? n - 1 : null);
                    room.signalAll();
                } finally {
                    lock.unlock();
                }
                p.job.listener().done(o);
            }
        };
    }

    private Generator.Output cancelled(Pending p) {
        perClient.computeIfPresent(p.job.client(), (k, n) -> n > 1 ? n - 1 : null);
        return new Generator.Output(new int[0], "", Generator.Finish.CANCELLED, p.job.request().prompt().length, List.of());
    }

    @Override public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            work.signalAll();
            room.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runtime.close();
    }
}
