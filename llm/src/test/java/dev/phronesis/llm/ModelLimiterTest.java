package dev.phronesis.llm;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class ModelLimiterTest {
    static ModelLimits limits(int maxInFlight) { return ModelLimits.DEFAULT.withMaxInFlight(maxInFlight); }

    @Test void manyRateLimitedWindowsShrinkTheLimitAndCleanWindowsRestoreIt() throws Exception {
        ModelLimiter l = new ModelLimiter(limits(64));
        for (int i = 0; i < 64 * 3; i++) { l.acquire(0); l.release(i % 2 == 0); }  // 50% 429s
        int shrunk = l.limit();
        assertThat(shrunk).isLessThan(64 / 2);
        for (int i = 0; i < 2000; i++) { l.acquire(0); l.release(false); }
        assertThat(l.limit()).isEqualTo(64);
    }

    @Property(tries = 50)
    void sporadic429sBelowTheThresholdNeverShrinkTheLimit(@ForAll @IntRange(min = 1, max = 200) int maxInFlight,
                                                          @ForAll @IntRange(min = 8, max = 1000) int every) throws Exception {
        // one 429 in every `every` responses is at most 12.5%, under the 15% threshold
        ModelLimiter l = new ModelLimiter(limits(maxInFlight));
        for (int i = 0; i < 3000; i++) { l.acquire(0); l.release(i % every == 0); }
        assertThat(l.limit()).isEqualTo(maxInFlight);
    }

    @Test void neverMoreInFlightThanTheLimit() throws Exception {
        ModelLimiter l = new ModelLimiter(limits(4));
        AtomicInteger now = new AtomicInteger(), max = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(100);
        for (int i = 0; i < 100; i++) {
            Thread.ofVirtual().start(() -> {
                try {
                    l.acquire(0);
                    max.accumulateAndGet(now.incrementAndGet(), Math::max);
                    Thread.sleep(2);
                    now.decrementAndGet();
                    l.release(false);
                } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                done.countDown();
            });
        }
        done.await();
        assertThat(max.get()).isEqualTo(4);
    }

    @Test void theRequestBucketPacesRequests() throws Exception {
        // 600/min = 10/s with a 10 s burst of 100: requests 101..120 must wait ~2 s in total
        ModelLimiter l = new ModelLimiter(limits(1000).withRequestsPerMinute(600));
        long t0 = System.nanoTime();
        for (int i = 0; i < 120; i++) { l.acquire(0); l.release(false); }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(took).isBetween(Duration.ofMillis(1800), Duration.ofMillis(4000));
    }

    @Test void theTokenBucketIsCorrectedByActualUsage() {
        ModelLimiter.Bucket b = new ModelLimiter.Bucket(6000);   // 100 tokens/s, burst 1000
        assertThat(b.reserve(1000)).isZero();
        b.adjust(-500);                                           // the call used 500 fewer than estimated
        assertThat(b.reserve(400)).isZero();
        assertThat(b.reserve(1000)).isPositive();
    }

    @Test void backoffHonoursRetryAfterAndGrowsExponentially() {
        assertThat(LlmEngine.backoff(1, Duration.ofSeconds(2))).isBetween(Duration.ofSeconds(2), Duration.ofMillis(2200));
        assertThat(LlmEngine.backoff(1, null)).isBetween(Duration.ofMillis(125), Duration.ofMillis(250));
        assertThat(LlmEngine.backoff(4, null)).isBetween(Duration.ofMillis(1000), Duration.ofMillis(2000));
        assertThat(LlmEngine.backoff(40, null)).isLessThanOrEqualTo(LlmEngine.RETRY_MAX_DELAY);
        assertThat(AttemptException.parseRetryAfter("1500", "9")).isEqualTo(Duration.ofMillis(1500));
        assertThat(AttemptException.parseRetryAfter(null, "3")).isEqualTo(Duration.ofSeconds(3));
        assertThat(AttemptException.parseRetryAfter(null, "soon")).isNull();
    }
}
