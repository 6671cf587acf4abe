package dev.phronesis.cli.pipeline;

import java.util.List;

/** Runs stages in order, skipping those already done with the same key. */
public final class Pipeline {
    private Pipeline() {}

    public static void run(RunDirectory dir, List<Stage> stages, Progress progress) throws Exception {
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            String tag = String.format("[%d/%d] %s", i + 1, stages.size(), s.name());
            if (dir.isDone(s.name(), s.key())) {
                progress.message(tag + ": done earlier, reused");
                continue;
            }
            progress.message(tag + ": " + s.describe());
            long t0 = System.nanoTime();
            dir.mark(s.name(), RunDirectory.State.RUNNING, s.key(), null);
            try {
                s.run(dir, progress);
            } catch (Exception | Error e) {
                dir.mark(s.name(), RunDirectory.State.FAILED, s.key(), String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
                throw e;
            }
            dir.mark(s.name(), RunDirectory.State.DONE, s.key(), null);
            dir.invalidateAfter(s.name());
            progress.message(String.format("%s: finished in %s", tag, Progress.fmt((System.nanoTime() - t0) / 1e9)));
        }
    }
}
