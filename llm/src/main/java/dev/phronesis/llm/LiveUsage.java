package dev.phronesis.llm;

import dev.phronesis.core.ProgressLine;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live usage of a long {@link LlmEngine#chatAll} run as a {@link ProgressLine} on stderr:
 * done/total with rate, journal hits, failures, tokens, cost, latency and the adaptive concurrency
 * limit as its detail. Drawn every {@link #TTY_EVERY} on a terminal, every {@link #PLAIN_EVERY}
 * otherwise (logs), so a run whose requests are all slow still shows it is alive. A summary line ends
 * every run that showed progress. Runs a daemon thread only while a run is in progress.
 */
final class LiveUsage {
    /** Redraw period on a terminal. */
    static final Duration TTY_EVERY = Duration.ofMillis(500);
    /** Line period when stderr is not a terminal (CI logs). */
    static final Duration PLAIN_EVERY = Duration.ofSeconds(10);

    private final String label;
    private final long total;
    private final UsageSummary.Accumulator run;
    private final ModelLimiter limiter;
    private final PrintStream out;
    private final ProgressLine line;
    private final boolean tty = System.console() != null;
    private final AtomicLong done = new AtomicLong();
    private final long started = System.nanoTime();
    private volatile boolean shown;
    private Thread ticker;

    LiveUsage(String label, long total, UsageSummary.Accumulator run, ModelLimiter limiter, PrintStream out) {
        this.label = label;
        this.total = total;
        this.run = run;
        this.limiter = limiter;
        this.out = out;
        this.line = out == null ? null : new ProgressLine(out);
    }

    void start() {
        if (out == null || total < LlmEngine.PROGRESS_MIN_REQUESTS) return;
        ticker = Thread.ofPlatform().daemon().name("llm-progress").start(() -> {
            long every = (tty ? TTY_EVERY : PLAIN_EVERY).toMillis();
            try {
                Thread.sleep(LlmEngine.PROGRESS_AFTER);
                while (!Thread.currentThread().isInterrupted()) {
                    draw();
                    Thread.sleep(every);
                }
            } catch (InterruptedException ignored) {
                // finished
            }
        });
    }

    void tick() { done.incrementAndGet(); }

    private void draw() {
        shown = true;
        UsageSummary u = run.summary(Duration.ofNanos(System.nanoTime() - started));
        double secs = u.wall().toNanos() / 1e9;
        long d = done.get();
        double rate = secs > 0 ? d / secs : 0;
        line.update(label, d, total, String.format(Locale.ROOT, "%.1f req/s | journal %d | failed %d | tok in %s out %s | $%.4f | p50 %dms | limit %d",
                rate, u.fromJournal(), u.failed(), UsageSummary.human(u.inputTokens()), UsageSummary.human(u.outputTokens()), u.costUsd(),
                u.latencyP50().toMillis(), limiter.limit()));
    }

    void finish() {
        if (ticker == null) return;
        ticker.interrupt();
        try { ticker.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        if (shown) line.message("[" + label + "] done: " + run.summary(Duration.ofNanos(System.nanoTime() - started)).format());
    }
}
