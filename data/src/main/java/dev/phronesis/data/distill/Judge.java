package dev.phronesis.data.distill;

import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Scenario;

/**
 * A judge that sees the constitution and the rubric and scores one deliberation. Implementations: the
 * {@link LlmJudge} (a real model) and the offline {@link ScriptedJudge}. Must be thread-safe.
 */
public interface Judge {
    /** Recorded in verdicts and dataset cards, e.g. {@code llm:openai:gpt-4o} or {@code scripted-judge}. */
    String id();

    /**
     * @return the verdict; an unreadable answer gives {@link JudgeVerdict#unreadable} (the judge abstains)
     * @throws Unavailable when the judge could not be reached: the sample is gated again on the next run
     */
    JudgeVerdict judge(Scenario scenario, Deliberation deliberation);

    final class Unavailable extends RuntimeException {
        public Unavailable(String message) { super(message, null, false, false); }
    }
}
