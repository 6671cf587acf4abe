package dev.phronesis.core.records;

/** One quality gate's verdict on one sample. Rejections are kept, never dropped. */
public record Verdict(String gate, boolean passed, String reason, String evidence) {
    public static Verdict pass(String gate) { return new Verdict(gate, true, "", ""); }
    public static Verdict fail(String gate, String reason, String evidence) { return new Verdict(gate, false, reason, evidence); }
}
