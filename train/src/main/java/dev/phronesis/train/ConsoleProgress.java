package dev.phronesis.train;

import java.io.PrintStream;
import java.util.Locale;

/** A progress bar on a terminal ({@code \r}-redrawn), or one line per report when output is not a terminal. */
public final class ConsoleProgress implements Trainer.Listener {
    private static final int BAR = 24; // characters
    private final PrintStream out;
    private final boolean redraw;
    private final String label;

    public ConsoleProgress(String label, PrintStream out, boolean redraw) {
        this.label = label;
        this.out = out;
        this.redraw = redraw;
    }

    /** On stderr, redrawn in place when a console is attached. */
    public static ConsoleProgress stderr(String label) {
        return new ConsoleProgress(label, System.err, System.console() != null);
    }

    @Override public void onProgress(Trainer.Progress p) {
        int filled = (int) Math.round(BAR * (double) p.step() / p.totalSteps());
        String line = String.format(Locale.ROOT, "%s %s %d/%d loss %.4f%s lr %.2e | %.0f tok/s | %s elapsed, ETA %s",
                label, "[" + "#".repeat(filled) + ".".repeat(BAR - filled) + "]", p.step(), p.totalSteps(), p.loss(),
                Double.isNaN(p.evalLoss()) ? "" : String.format(Locale.ROOT, " eval %.4f", p.evalLoss()), p.lr(),
                p.tokensPerSecond(), hms(p.elapsedSeconds()), hms(p.etaSeconds()));
        if (redraw) {
            out.print("\r" + line + (p.step() == p.totalSteps() || !Double.isNaN(p.evalLoss()) ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    static String hms(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
