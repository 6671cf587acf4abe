package dev.phronesis.llm;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Admission control for one model: an adaptive concurrency limit plus request and token buckets.
 *
 * <p>Invariants: {@code inFlight <= limit <= maxInFlight} holds whenever a permit is granted (the
 * limit may drop below {@code inFlight} after a 429 storm; then no new permit is granted until enough
 * in-flight requests finish). A thread holds a permit only while its attempt is on the wire, never
 * while it sleeps in backoff, so backoff never starves the pipe. The buckets reserve first and sleep
 * afterwards (outside the lock), so callers are served in reservation order and a bucket may go into
 * debt by one request's estimate. Token use is estimated before a call and corrected after it.
 *
 * <p>Adaptive concurrency: outcomes are counted in windows of at least {@link #MIN_WINDOW} responses
 * (and at least the current limit). A window with more than {@link #BACKOFF_FRACTION} of 429s shrinks
 * the limit multiplicatively; any other window grows it additively by an eighth, up to the configured
 * maximum. Sporadic 429s (a busy shared API) therefore do not collapse throughput, while a server that
 * is really at capacity (many 429s) is backed off from within one window.
 */
final class ModelLimiter {
    /** Fewest responses in a window before the limit moves: fewer would react to noise. */
    static final int MIN_WINDOW = 32;
    /** More than this fraction of 429s in a window means "too fast". */
    static final double BACKOFF_FRACTION = 0.15;
    /** Multiplicative decrease on an overloaded window. */
    static final double DECREASE = 0.7;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private final int maxInFlight;
    private final Bucket requests;
    private final Bucket tokens;
    private int limit;
    private int inFlight;
    private int windowResponses;
    private int windowRateLimited;

    ModelLimiter(ModelLimits l) {
        this.maxInFlight = l.maxInFlight();
        this.limit = l.maxInFlight();
        this.requests = l.requestsPerMinute() > 0 ? new Bucket(l.requestsPerMinute()) : null;
        this.tokens = l.tokensPerMinute() > 0 ? new Bucket(l.tokensPerMinute()) : null;
    }

    /** Blocks until a request estimated at {@code estimatedTokens} may go on the wire. */
    void acquire(long estimatedTokens) throws InterruptedException {
        lock.lock();
        try {
            while (inFlight >= limit) freed.await();
            inFlight++;
        } finally {
            lock.unlock();
        }
        try {
            if (requests != null) sleepNanos(requests.reserve(1));
            if (tokens != null) sleepNanos(tokens.reserve(estimatedTokens));
        } catch (InterruptedException e) {
            release(false);
            throw e;
        }
    }

    /** Returns the permit; {@code rateLimited} says whether the attempt was answered 429. */
    void release(boolean rateLimited) {
        lock.lock();
        try {
            inFlight--;
            windowResponses++;
            if (rateLimited) windowRateLimited++;
            if (windowResponses >= Math.max(MIN_WINDOW, limit)) {
                if (windowRateLimited > BACKOFF_FRACTION * windowResponses) limit = Math.max(1, (int) (limit * DECREASE));
                else limit = Math.min(maxInFlight, limit + Math.max(1, limit / 8));
                windowResponses = 0;
                windowRateLimited = 0;
            }
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Corrects the token bucket once the real usage is known. */
    void correctTokens(long estimated, long actual) {
        if (tokens != null && actual != estimated) tokens.adjust(actual - estimated);
    }

    int limit() {
        lock.lock();
        try { return limit; } finally { lock.unlock(); }
    }

    private static void sleepNanos(long nanos) throws InterruptedException {
        if (nanos > 0) TimeUnit.NANOSECONDS.sleep(nanos);
    }

    /** A token bucket that refills continuously and bursts at most {@link #BURST} worth of budget; reservations may run into debt. */
    static final class Bucket {
        private final double perNano;
        private final double capacity;
        private double available;
        private long last = System.nanoTime();

        /** Ten seconds of budget: smooth enough for APIs that enforce per-minute limits at finer grain. */
        static final double BURST = 1.0 / 6;

        Bucket(long perMinute) {
            this.capacity = Math.max(1, perMinute * BURST);
            this.perNano = perMinute / 60e9;
            this.available = capacity;
        }

        /** Takes {@code n} and returns how many nanoseconds the caller must wait before using them. */
        synchronized long reserve(long n) {
            refill();
            available -= n;
            return available >= 0 ? 0 : (long) Math.ceil(-available / perNano);
        }

        synchronized void adjust(long delta) {
            refill();
            available -= delta;
        }

        private void refill() {
            long now = System.nanoTime();
            available = Math.min(capacity, available + (now - last) * perNano);
            last = now;
        }
    }
}
