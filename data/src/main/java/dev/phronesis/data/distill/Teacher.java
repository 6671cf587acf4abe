package dev.phronesis.data.distill;

import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Scenario;

/**
 * Produces one structured deliberation per (scenario, sample index). Implementations: the offline
 * {@link ScriptedTeacher} and the {@link LlmTeacher} that asks a real model for the same structure.
 *
 * <p>A teacher never throws for a bad answer: an output it cannot parse becomes a deliberation with a
 * null {@code decision} and the raw text in {@code response}, so the schema gate rejects it with a reason
 * and the rejection is kept. Implementations must be safe to call from several threads.
 */
public interface Teacher {
    /** A stable identity recorded in every deliberation, e.g. {@code scripted:compact@seed7}. */
    String id();

    /** @throws Unavailable when the teacher could not be reached (not a bad answer): the sample is retried on the next run */
    Deliberation deliberate(Scenario scenario, int sampleIndex);

    /** The teacher could not answer at all (network, rate limit after retries); nothing is recorded for the sample. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message) { super(message, null, false, false); }
    }
}
