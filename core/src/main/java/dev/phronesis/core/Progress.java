package dev.phronesis.core;

import java.io.PrintStream;

/**
 * Progress of long work (scenarios, distillation, gates, eval, training, LLM request runs), reported
 * as {@code done} of {@code total} units of a named stage. Stages report from worker threads, so
 * implementations are thread-safe. The one printer is {@link ProgressLine}; {@link #NONE} discards.
 */
@FunctionalInterface
public interface Progress {
    Progress NONE = (stage, done, total) -> { };

    /** {@code done} of {@code total} units of {@code stage} are finished ({@code total <= 0}: unknown). */
    void update(String stage, long done, long total);

    /** The same with a short free-text detail ("3 failed", "loss 2.104", request rates); empty for none. */
    default void update(String stage, long done, long total, String detail) { update(stage, done, total); }

    /** A line of its own: a stage starting, reused or finished, a summary. */
    default void message(String line) { }

    /** Prints to {@code out} (see {@link ProgressLine}). */
    static Progress printing(PrintStream out) { return new ProgressLine(out); }

    /** Prints nothing; the same as {@link #NONE}. */
    static Progress silent() { return NONE; }
}
