package dev.phronesis.data.distill;

import java.io.PrintStream;
import java.util.Locale;

/** Progress of a long stage; called from worker threads, so implementations must be thread-safe. */
@FunctionalInterface
public interface Progress {
    void update(String stage, long done, long total);

    Progress NONE = (stage, done, total) -> { };

    /** Prints one line per stage at most every {@code PRINT_INTERVAL_MS} and always at the end. */
    static Progress printing(PrintStream out) {
        return new Progress() {
            /** Often enough to see movement, rarely enough not to flood a log. */
            static final long PRINT_INTERVAL_MS = 1000;
            private long last;

            @Override public synchronized void update(String stage, long done, long total) {
                long now = System.currentTimeMillis();
                if (done < total && now - last < PRINT_INTERVAL_MS) return;
                last = now;
                out.printf(Locale.ROOT, "%-14s %7d/%-7d %5.1f%%%n", stage, done, total, total == 0 ? 100.0 : 100.0 * done / total);
                out.flush();
            }
        };
    }
}
