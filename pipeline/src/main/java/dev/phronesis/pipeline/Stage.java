package dev.phronesis.pipeline;

import dev.phronesis.core.Progress;

import java.util.List;
import java.util.Map;

/**
 * One step of a run: what it reads, what it writes, the configuration its result depends on, and
 * its body. The {@link Engine} derives the stage's key from {@link #config()}, {@link #version()}
 * and the keys of the stages that write what it {@link #reads()}; nobody writes a key by hand.
 *
 * <p>Adding a stage is one class implementing this interface, plus one line in the stage list of
 * the run that uses it (see docs/architecture.md).
 */
public interface Stage {
    /** Unique within a run, e.g. {@code sft-advice-deliberation}. */
    String name();

    /** One line for the plan and the progress log: what this stage makes. */
    String describe();

    /**
     * Artifacts (paths relative to the run directory) this stage reads. Each must be written by an
     * earlier stage or already be in the run directory; the engine checks this before anything runs.
     */
    List<String> reads();

    /** Artifacts (paths relative to the run directory) this stage writes; removed before the stage is redone. */
    List<String> writes();

    /**
     * The canonical configuration: every setting that can change what this stage writes, as plain
     * values (strings, numbers, booleans, lists and maps of them), keyed by the experiment-file
     * field they come from (e.g. {@code eval.temperature}). Settings that cannot change the result
     * (concurrency, request batch size, threads, progress) are left out, so changing them reuses
     * finished work. A model's entry is what its reference resolves to (backend, model, base URL,
     * sampling), never its catalog name.
     */
    Map<String, Object> config();

    /** Raised when this stage's code changes what it writes for the same config and inputs, so old results are redone. */
    int version();

    /** Runs the stage; must leave its outputs complete when it returns and be safe to rerun after a crash. */
    void run(RunDirectory dir, Progress progress) throws Exception;
}
