package dev.phronesis.pipeline;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Progress for long stages on stderr: a single updating line on a terminal, or a line every few
 * seconds when stderr is a file or pipe (CI logs stay readable).
 */
public final class Progress {
    private static final Duration PIPE_INTERVAL = Duration.ofSeconds(5);
    private static final Duration TTY_INTERVAL = Duration.ofMillis(200);
    private final PrintStream err;
    private final boolean tty;
    private String label = "";
    private long total;
    private long startNanos;
    private long lastPrint;
    private boolean quiet;

    public Progress(PrintStream err) {
        this.err = err;
        this.tty = System.console() != null && System.getenv("CI") == null;
    }

    public static Progress silent() {
        Progress p = new Progress(System.err);
        p.quiet = true;
        return p;
    }

    public synchronized void start(String label, long total) {
        this.label = label;
        this.total = total;
        this.startNanos = System.nanoTime();
        this.lastPrint = 0;
    }

    /** Progress of a stage that reports its own sub-steps: a new {@code label} starts a new line. */
    public synchronized void step(String label, long done, long total) {
        if (!label.equals(this.label) || total != this.total) start(label, total);
        update(done, null);
    }

    public synchronized void update(long done, String extra) {
        if (quiet) return;
        long now = System.nanoTime();
        if (startNanos == 0) startNanos = now;
        long interval = (tty ? TTY_INTERVAL : PIPE_INTERVAL).toNanos();
        if ((total <= 0 || done < total) && now - lastPrint < interval) return;
        lastPrint = now;
        double secs = (now - startNanos) / 1e9;
        String eta = done > 0 && total > 0 && done < total ? String.format(Locale.ROOT, " eta %s", fmt(secs / done * (total - done))) : "";
        String line = total > 0
                ? String.format(Locale.ROOT, "  %-22s %6.1f%% (%d/%d) %s%s%s", label, 100.0 * done / total, done, total, fmt(secs), eta, extra == null ? "" : "  " + extra)
                : String.format(Locale.ROOT, "  %-22s %d %s%s", label, done, fmt(secs), extra == null ? "" : "  " + extra);
        if (tty) err.print("\r" + line + "\u001b[K" + (done >= total && total > 0 ? "\n" : ""));
        else err.println(line);
        err.flush();
    }

    public synchronized void message(String line) {
        if (quiet) return;
        err.println(line);
        err.flush();
    }

    public static String fmt(double secs) {
        long s = Math.round(secs);
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }
}
