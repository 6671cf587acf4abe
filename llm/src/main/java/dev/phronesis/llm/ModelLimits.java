package dev.phronesis.llm;

import java.time.Duration;
import java.util.Objects;

/**
 * How hard the engine may drive one model.
 *
 * @param maxInFlight       most requests in flight at once (the adaptive limit moves between 1 and this)
 * @param requestsPerMinute request budget per minute (token bucket); 0 = unlimited
 * @param tokensPerMinute   input+output token budget per minute (token bucket, estimated before and corrected after each call); 0 = unlimited
 * @param timeout           per-attempt timeout
 * @param maxAttempts       attempts per request before it is reported {@link ChatResult.Failed}
 */
public record ModelLimits(int maxInFlight, int requestsPerMinute, long tokensPerMinute, Duration timeout, int maxAttempts) {
    /** Conservative defaults for a remote API: 16 in flight, no rate budget, 10 minutes per attempt (long generations), 8 attempts. */
    public static final ModelLimits DEFAULT = new ModelLimits(16, 0, 0, Duration.ofMinutes(10), 8);

    public ModelLimits {
        if (maxInFlight < 1 || maxInFlight > 100_000) throw new IllegalArgumentException("max_in_flight must be within [1, 100000], got " + maxInFlight);
        if (requestsPerMinute < 0) throw new IllegalArgumentException("requests_per_minute must be >= 0 (0 = unlimited), got " + requestsPerMinute);
        if (tokensPerMinute < 0) throw new IllegalArgumentException("tokens_per_minute must be >= 0 (0 = unlimited), got " + tokensPerMinute);
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        if (maxAttempts < 1 || maxAttempts > 100) throw new IllegalArgumentException("max_attempts must be within [1, 100], got " + maxAttempts);
    }

    public ModelLimits withMaxInFlight(int n) { return new ModelLimits(n, requestsPerMinute, tokensPerMinute, timeout, maxAttempts); }
    public ModelLimits withRequestsPerMinute(int n) { return new ModelLimits(maxInFlight, n, tokensPerMinute, timeout, maxAttempts); }
    public ModelLimits withTokensPerMinute(long n) { return new ModelLimits(maxInFlight, requestsPerMinute, n, timeout, maxAttempts); }
    public ModelLimits withTimeout(Duration d) { return new ModelLimits(maxInFlight, requestsPerMinute, tokensPerMinute, d, maxAttempts); }
    public ModelLimits withMaxAttempts(int n) { return new ModelLimits(maxInFlight, requestsPerMinute, tokensPerMinute, timeout, n); }
}
