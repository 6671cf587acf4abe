package dev.phronesis.eval;

/** A line of {@code RUN_DIR/failures.jsonl}: a request that failed in the latest run; rerunning retries it. */
public record Failure(String suite, String item, int sampleIndex, String stage, String kind, String message) {}
