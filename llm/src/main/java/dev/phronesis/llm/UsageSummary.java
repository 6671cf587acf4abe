package dev.phronesis.llm;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * What a run (or a journal) consumed.
 *
 * @param requests          requests asked for
 * @param completed         requests answered (paid now or served from the journal)
 * @param fromJournal       of those, answered from the journal without a paid call
 * @param failed            requests that failed after all retries
 * @param attempts          HTTP attempts made (paid or not): {@code attempts - (completed - fromJournal)} is the retry overhead
 * @param inputTokens       input tokens of paid answers
 * @param outputTokens      output tokens of paid answers
 * @param cachedInputTokens of the input tokens, those the server reported as prompt-cache hits
 * @param costUsd           cost of paid answers from the model's price table
 * @param latencyP50        median latency of paid answers
 * @param wall              wall time of the run (zero for a journal summary)
 */
public record UsageSummary(long requests, long completed, long fromJournal, long failed, long attempts,
                           long inputTokens, long outputTokens, long cachedInputTokens, double costUsd,
                           Duration latencyP50, Duration latencyP90, Duration latencyP99, Duration wall) {

    public static final UsageSummary EMPTY = new UsageSummary(0, 0, 0, 0, 0, 0, 0, 0, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);

    /** Sums two summaries; latency percentiles become the larger of the two (an upper bound), wall times add. */
    public UsageSummary plus(UsageSummary o) {
        return new UsageSummary(requests + o.requests, completed + o.completed, fromJournal + o.fromJournal, failed + o.failed,
                attempts + o.attempts, inputTokens + o.inputTokens, outputTokens + o.outputTokens, cachedInputTokens + o.cachedInputTokens,
                costUsd + o.costUsd, max(latencyP50, o.latencyP50), max(latencyP90, o.latencyP90), max(latencyP99, o.latencyP99), wall.plus(o.wall));
    }

    private static Duration max(Duration a, Duration b) { return a.compareTo(b) >= 0 ? a : b; }

    /** Paid answers per second of wall time (0 when no wall time was measured). */
    public double paidPerSecond() {
        return wall.isZero() ? 0 : (completed - fromJournal) / (wall.toNanos() / 1e9);
    }

    /** One human line. */
    public String format() {
        return String.format(Locale.ROOT,
                "%d requests: %d completed (%d from journal), %d failed; %d attempts; tokens in %s (cached %s) out %s; cost $%.4f; latency p50 %s p90 %s p99 %s%s",
                requests, completed, fromJournal, failed, attempts, human(inputTokens), human(cachedInputTokens), human(outputTokens),
                costUsd, ms(latencyP50), ms(latencyP90), ms(latencyP99),
                wall.isZero() ? "" : String.format(Locale.ROOT, "; %.1fs wall (%.1f paid req/s)", wall.toMillis() / 1000.0, paidPerSecond()));
    }

    static String human(long n) {
        if (n >= 10_000_000) return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        if (n >= 10_000) return String.format(Locale.ROOT, "%.1fk", n / 1e3);
        return Long.toString(n);
    }

    private static String ms(Duration d) { return d.toMillis() + "ms"; }

    /** Accumulates a summary; thread-safe. */
    static final class Accumulator {
        private long requests, completed, fromJournal, failed, attempts, in, out, cached;
        private double cost;
        private long[] latenciesMs = new long[1024];
        private int n;

        synchronized void request() { requests++; }
        synchronized void attempt() { attempts++; }
        synchronized void failed() { failed++; }
        synchronized void journalHit() { completed++; fromJournal++; }

        synchronized void paid(Usage u, double costUsd, Duration latency) {
            completed++;
            in += u.inputTokens();
            out += u.outputTokens();
            cached += u.cachedInputTokens();
            cost += costUsd;
            if (n == latenciesMs.length) latenciesMs = Arrays.copyOf(latenciesMs, n * 2);
            latenciesMs[n++] = latency.toMillis();
        }

        /** Tokens and cost paid for answers that were then rejected (schema violations): billed, but not a completion. */
        synchronized void spent(Usage u, double costUsd) {
            in += u.inputTokens();
            out += u.outputTokens();
            cached += u.cachedInputTokens();
            cost += costUsd;
        }

        synchronized void addAttempts(long k) { attempts += k; }
        synchronized void addRequests(long k) { requests += k; }
        synchronized void addFailed(long k) { failed += k; }

        synchronized UsageSummary summary(Duration wall) {
            long[] sorted = Arrays.copyOf(latenciesMs, n);
            Arrays.sort(sorted);
            return new UsageSummary(requests, completed, fromJournal, failed, attempts, in, out, cached, cost,
                    pct(sorted, 0.50), pct(sorted, 0.90), pct(sorted, 0.99), wall);
        }

        private static Duration pct(long[] sorted, double p) {
            if (sorted.length == 0) return Duration.ZERO;
            int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
            return Duration.ofMillis(sorted[Math.max(0, i)]);
        }
    }
}
