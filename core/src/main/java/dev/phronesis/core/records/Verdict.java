package dev.phronesis.core.records;

/** One quality gate's verdict on one sample. Rejections are kept, never dropped. */
public record Verdict(GateName gate, boolean passed, String reason, String evidence) {
    public Verdict {
        java.util.Objects.requireNonNull(gate, "gate");
    }

    public static Verdict pass(GateName gate) { return new Verdict(gate, true, "", ""); }
    public static Verdict fail(GateName gate, String reason, String evidence) { return new Verdict(gate, false, reason, evidence); }
}
