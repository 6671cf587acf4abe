package dev.phronesis.eval;

/** A line of {@code RUN_DIR/judgments.jsonl}: the judge's verdict on one result; {@code label} is null when its reply was unreadable. */
public record Judgment(String suite, String item, int sampleIndex, String judge, Label label, String evidence) {
    String key() { return EvalResult.key(suite, item, sampleIndex); }
}
