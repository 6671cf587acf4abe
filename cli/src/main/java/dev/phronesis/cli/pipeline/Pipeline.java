package dev.phronesis.cli.pipeline;

import dev.phronesis.core.Progress;
import java.util.List;

/** Runs stages in order, skipping those already done with the same key. */
public final class Pipeline {
    private Pipeline() {}

    /** A stage key: SHA-256 over the parts (NUL-separated), first 16 hex digits. */
    public static String key(String... parts) {
        return dev.phronesis.core.Hashes.shortHex(dev.phronesis.core.Hashes.sha256Parts(parts));
    }

    static void deleteTree(java.nio.file.Path p) throws java.io.IOException {
        if (!java.nio.file.Files.exists(p)) return;
        try (var walk = java.nio.file.Files.walk(p)) {
            for (java.nio.file.Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.delete(x);
        }
    }

    public static void run(RunDirectory dir, List<Stage> stages, Progress progress) throws Exception {
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            String tag = String.format("[%d/%d] %s", i + 1, stages.size(), s.name());
            if (dir.isDone(s.name(), s.key())) {
                progress.message(tag + ": done earlier, reused");
                continue;
            }
            RunDirectory.StageState before = dir.state(s.name());
            if (before != null && !before.key().equals(s.key())) {
                for (String out : s.outputs()) deleteTree(dir.path(out));
                progress.message(tag + ": configuration changed since the last run; redoing it from scratch");
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
            progress.message(String.format("%s: finished in %s", tag, dev.phronesis.core.ProgressLine.seconds((System.nanoTime() - t0) / 1e9)));
        }
    }
}
