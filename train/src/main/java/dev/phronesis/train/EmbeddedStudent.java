package dev.phronesis.train;

import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.Usage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A trained student served in-process behind the {@code llm} interface, so every stage calls it
 * exactly as it calls a remote model.
 *
 * <p>Invariants. Concurrent {@link #chat} calls (any threads, virtual included) enqueue their request
 * and block on its future; one worker thread takes the first waiting request, waits at most
 * {@code maxWait} for more, and answers up to {@code maxBatch} of them with one batched
 * {@link Generator#generate} call. Only the worker touches the model after loading, so the native
 * engine sees one inference at a time and the batch is the unit of parallelism. A request that cannot
 * be served (prompt longer than the context) fails alone with {@link ChatResult.Failed}; a failing
 * batch fails its own requests and the worker goes on. {@link #close} stops the worker, fails what is
 * still queued, and frees the model; it is idempotent. Without a request seed, the seed is derived
 * from the sample index, so answers are reproducible either way.
 */
public final class EmbeddedStudent implements ChatModel {
    /**
     * @param maxBatch   most requests per batched generate call
     * @param maxWait    how long the worker waits to fill a batch once one request is waiting
     * @param forceThink end every prompt with {@code <think>} so the answer starts with reasoning
     */
    public record Options(int maxBatch, Duration maxWait, boolean forceThink) {
        public Options {
            if (maxBatch < 1) throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
            if (maxWait.isNegative()) throw new IllegalArgumentException("max wait must be >= 0");
        }
        /** Batches of up to 64, filled for up to 20 ms: a few ms of latency buys several-fold throughput. */
        public static Options defaults() { return new Options(64, Duration.ofMillis(20), false); }
    }

    private record Pending(ChatRequest request, int[] prompt, long enqueued, CompletableFuture<ChatResult> result) {}

    private static final Pending POISON = new Pending(null, null, 0, null);
    /** Seed used for requests without one, mixed with the sample index. */
    private static final long DEFAULT_SEED = 0x5eed_1234_abcdL;

    private final String id;
    private final Checkpoint.Loaded loaded;
    private final ChatTemplate template;
    private final Generator generator;
    private final Options options;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean closed;

    private EmbeddedStudent(Checkpoint.Loaded loaded, Options options) {
        this.loaded = loaded;
        this.id = "embedded:" + loaded.dir();
        this.template = new ChatTemplate(loaded.tokenizer());
        this.generator = new Generator(loaded.model(), loaded.tokenizer());
        this.options = options;
        this.worker = Thread.ofPlatform().name("embedded-student").daemon().start(this::serve);
    }

    public static EmbeddedStudent load(Path checkpoint) {
        return load(checkpoint, Options.defaults());
    }

    public static EmbeddedStudent load(Path checkpoint, Options options) {
        return new EmbeddedStudent(Checkpoint.load(checkpoint), options);
    }

    @Override public String id() { return id; }

    public ChatTemplate template() { return template; }

    @Override public ChatResult chat(ChatRequest request) {
        if (closed) return new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, id + " is closed", 1);
        int[] prompt = template.renderPrompt(ChatTemplate.withTools(request.messages(), request.tools()), options.forceThink());
        int ctx = loaded.model().config().maxPositionEmbeddings();
        if (prompt.length >= ctx)
            return new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR,
                    "prompt of " + prompt.length + " tokens exceeds the student's context of " + ctx, 1);
        Pending p = new Pending(request, prompt, System.nanoTime(), new CompletableFuture<>());
        queue.add(p);
        if (closed) queue.remove(p); // raced with close: fail it here rather than leave it queued
        try {
            return closed && !p.result().isDone()
                    ? new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, id + " is closed", 1)
                    : p.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ChatResult.Failed(ChatResult.Failed.Kind.TIMEOUT, "interrupted while waiting for the student", 1);
        } catch (ExecutionException e) {
            return new ChatResult.Failed(ChatResult.Failed.Kind.SERVER_ERROR, String.valueOf(e.getCause().getMessage()), 1);
        }
    }

    private void serve() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            try {
                Pending first = queue.take();
                if (first == POISON) break;
                batch.add(first);
                long deadline = System.nanoTime() + options.maxWait().toNanos();
                while (batch.size() < options.maxBatch()) {
                    Pending more = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (more == null) break;
                    if (more == POISON) { queue.add(POISON); break; }
                    batch.add(more);
                }
                answer(batch);
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                for (Pending p : batch) p.result().complete(new ChatResult.Failed(ChatResult.Failed.Kind.SERVER_ERROR,
                        "generation failed: " + e.getMessage(), 1));
            }
            batch.clear();
        }
        for (Pending p; (p = queue.poll()) != null; ) {
            if (p != POISON) p.result().complete(new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, id + " is closed", 1));
        }
    }

    private void answer(List<Pending> batch) {
        List<Generator.Request> reqs = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            ChatRequest r = p.request();
            long seed = (r.seed() == null ? DEFAULT_SEED : r.seed()) * 0x9E3779B97F4A7C15L + r.sampleIndex();
            reqs.add(new Generator.Request(p.prompt(), r.temperature(), r.topP(), r.maxTokens(), r.stop(), seed));
        }
        List<Generator.Output> outs = generator.generate(reqs);
        long now = System.nanoTime();
        for (int i = 0; i < batch.size(); i++) {
            Generator.Output o = outs.get(i);
            ChatTemplate.Parsed parsed = ChatTemplate.parse(options.forceThink() ? WordTokenizer.THINK + o.text() : o.text());
            batch.get(i).result().complete(new ChatResult.Completed(parsed.content(), parsed.reasoning(), List.of(),
                    o.finishReason(), new Usage(o.promptTokens(), o.tokens().length, 0),
                    Duration.ofNanos(now - batch.get(i).enqueued()), false));
        }
    }

    @Override public void close() {
        if (closed) return;
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        queue.add(POISON);
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loaded.close();
    }
}
