package dev.phronesis.llm;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live progress line of a long {@link LlmEngine#chatAll} run, on stderr: done/total, rate, journal
 * hits, failures, tokens, cost, latency, the adaptive concurrency limit and an ETA. Redrawn in place
 * on a terminal, printed every {@link #PLAIN_EVERY} otherwise (logs). A summary line ends every run
 * that showed progress. Runs a daemon thread only while a run is in progress.
 */
final class Progress {
    /** Redraw period on a terminal. */
    static final Duration TTY_EVERY = Duration.ofMillis(500);
    /** Line period when stderr is not a terminal (CI logs). */
    static final Duration PLAIN_EVERY = Duration.ofSeconds(10);

    private final String label;
    private final long total;
    private final UsageSummary.Accumulator run;
    private final ModelLimiter limiter;
    private final PrintStream out;
    private final boolean tty = System.console() != null;
    private final AtomicLong done = new AtomicLong();
    private final long started = System.nanoTime();
    private volatile boolean shown;
    private Thread ticker;

    Progress(String label, long total, UsageSummary.Accumulator run, ModelLimiter limiter, PrintStream out) {
        this.label = label;
        this.total = total;
        this.run = run;
        this.limiter = limiter;
        this.out = out;
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
        long eta = rate > 0 ? (long) ((total - d) / rate) : -1;
        String line = String.format(Locale.ROOT, "[%s] %d/%d (%d%%) %.1f req/s | journal %d | failed %d | tok in %s out %s | $%.4f | p50 %dms | limit %d | eta %s",
                label, d, total, total == 0 ? 100 : d * 100 / total, rate, u.fromJournal(), u.failed(),
                UsageSummary.human(u.inputTokens()), UsageSummary.human(u.outputTokens()), u.costUsd(), u.latencyP50().toMillis(),
                limiter.limit(), eta < 0 ? "?" : eta + "s");
        synchronized (out) {
            if (tty) out.print("\r" + line + "\u001b[K");
            else out.println(line);
            out.flush();
        }
    }

    void finish() {
        if (ticker == null) return;
        ticker.interrupt();
        try { ticker.join(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        if (shown) {
            synchronized (out) {
                if (tty) out.print("\r\u001b[K");
                out.println("[" + label + "] done: " + run.summary(Duration.ofNanos(System.nanoTime() - started)).format());
                out.flush();
            }
        }
    }
}
