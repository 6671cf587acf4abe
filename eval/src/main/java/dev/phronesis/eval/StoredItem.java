package dev.phronesis.eval;

/** A line of {@code RUN_DIR/items.jsonl}: an item with its suite, so a report can show transcripts without the suite files. */
public record StoredItem(String suite, SuiteKind kind, dev.phronesis.core.constitution.ConstitutionRef constitution, ScoringRules scoring, EvalItem item) {}
