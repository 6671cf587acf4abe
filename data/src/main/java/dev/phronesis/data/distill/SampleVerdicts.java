package dev.phronesis.data.distill;

import dev.phronesis.core.records.Verdict;

import java.util.List;

/**
 * The gates' verdicts on one sample (one line of {@code verdicts.jsonl}), in the order the gates ran.
 * A verdict that passed with a non-empty reason was flagged, not rejected.
 */
public record SampleVerdicts(String scenarioId, int sampleIndex, boolean accepted, List<Verdict> verdicts, String gatesHash) {
    public SampleVerdicts { verdicts = List.copyOf(verdicts); }

    public String key() { return scenarioId + "#" + sampleIndex; }

    /** The first failing verdict, or null when accepted. */
    public Verdict rejection() {
        for (Verdict v : verdicts) if (!v.passed()) return v;
        return null;
    }
}
