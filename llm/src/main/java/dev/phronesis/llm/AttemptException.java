package dev.phronesis.llm;

import java.time.Duration;

/** One failed attempt at a request: what kind, whether another attempt may succeed, and how long the server asked us to wait. */
final class AttemptException extends Exception {
    final ChatResult.Failed.Kind kind;
    final boolean retryable;
    /** The server's Retry-After, or null when it sent none. */
    final Duration retryAfter;

    AttemptException(ChatResult.Failed.Kind kind, boolean retryable, Duration retryAfter, String message) {
        super(Secrets.scrub(message), null, false, false);
        this.kind = kind;
        this.retryable = retryable;
        this.retryAfter = retryAfter;
    }

    ChatResult.Failed toFailed(int attempts) { return new ChatResult.Failed(kind, getMessage(), attempts); }

    /** Parses {@code retry-after-ms} (OpenAI) or {@code retry-after} in seconds or as an HTTP date; null when absent or unreadable. */
    static Duration parseRetryAfter(String retryAfterMs, String retryAfter) {
        try {
            if (retryAfterMs != null) return Duration.ofMillis((long) Double.parseDouble(retryAfterMs.trim()));
        } catch (NumberFormatException ignored) { /* fall through to retry-after */ }
        if (retryAfter == null) return null;
        try {
            return Duration.ofMillis((long) (Double.parseDouble(retryAfter.trim()) * 1000));
        } catch (NumberFormatException e) {
            try {
                var when = java.time.ZonedDateTime.parse(retryAfter.trim(), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(java.time.Instant.now(), when.toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (java.time.format.DateTimeParseException e2) {
                return null;
            }
        }
    }
}
