package dev.phronesis.core;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * The one progress printer: on a terminal a single line redrawn in place; into a file or pipe (or
 * under {@code CI}) a line every {@link #PIPE_INTERVAL}, so logs stay readable. A stage's last update
 * ({@code done == total}) is always printed; a new stage name starts a new line.
 */
public final class ProgressLine implements Progress {
    /** Line period when the output is a file or pipe. */
    static final Duration PIPE_INTERVAL = Duration.ofSeconds(5);
    /** Redraw period on a terminal. */
    static final Duration TTY_INTERVAL = Duration.ofMillis(200);

    private final PrintStream out;
    private final boolean tty;
    private String stage = "";
    private long total;
    private long startNanos;
    private long lastPrint;
    private boolean open; // a redrawn line is on screen without its newline

    public ProgressLine(PrintStream out) {
        this(out, System.console() != null && System.getenv("CI") == null);
    }

    ProgressLine(PrintStream out, boolean tty) {
        this.out = out;
        this.tty = tty;
    }

    @Override public void update(String stage, long done, long total) { update(stage, done, total, ""); }

    @Override public synchronized void update(String stage, long done, long total, String detail) {
        long now = System.nanoTime();
        if (!stage.equals(this.stage) || total != this.total) {
            endLine();
            this.stage = stage;
            this.total = total;
            this.startNanos = now;
            this.lastPrint = 0;
        }
        boolean last = total > 0 && done >= total;
        long interval = (tty ? TTY_INTERVAL : PIPE_INTERVAL).toNanos();
        if (!last && lastPrint != 0 && now - lastPrint < interval) return;
        lastPrint = now;
        double secs = (now - startNanos) / 1e9;
        String extra = detail == null || detail.isEmpty() ? "" : "  " + detail;
        String eta = done > 0 && total > 0 && done < total ? " eta " + seconds(secs / done * (total - done)) : "";
        String line = total > 0
                ? String.format(Locale.ROOT, "  %-22s %6.1f%% (%d/%d) %s%s%s", stage, 100.0 * done / total, done, total, seconds(secs), eta, extra)
                : String.format(Locale.ROOT, "  %-22s %d %s%s", stage, done, seconds(secs), extra);
        if (tty) {
            out.print("\r" + line + "\u001b[K");
            open = !last;
            if (last) out.println();
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override public synchronized void message(String line) {
        endLine();
        out.println(line);
        out.flush();
    }

    private void endLine() {
        if (open) out.println();
        open = false;
    }

    /** A duration for people: {@code 42s}, {@code 3m07s}. */
    public static String seconds(double secs) {
        long s = Math.round(secs);
        return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
    }
}
