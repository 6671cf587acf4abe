package dev.phronesis.cli.pipeline;

import dev.phronesis.core.Progress;

/**
 * One step of a pipeline run. {@code key} is a hash of the stage's canonical config and its input
 * artifacts' keys, leaving out knobs that don't change results (concurrency, progress), so a
 * finished stage is reused exactly when it would produce the same thing.
 */
public interface Stage {
    String name();

    /** One line for `phronesis status`: what this stage makes. */
    String describe();

    String key();

    /** Runs the stage; must leave its outputs complete when it returns and be safe to rerun after a crash. */
    void run(RunDirectory dir, Progress progress) throws Exception;

    /** Paths (relative to the run directory) this stage writes; removed before a rerun whose key changed, so nothing stale is reused. */
    default java.util.List<String> outputs() { return java.util.List.of(); }
}
