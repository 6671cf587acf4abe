package dev.phronesis.train;

import dev.phronesis.core.Progress;

import java.util.Locale;

/** Training steps as {@link Progress} lines: loss, eval loss, learning rate, throughput and elapsed time. */
public final class ConsoleProgress implements Trainer.Listener {
    private final String label;
    private final Progress out;

    public ConsoleProgress(String label, Progress out) {
        this.label = label;
        this.out = out;
    }

    /** On stderr, redrawn in place when a console is attached. */
    public static ConsoleProgress stderr(String label) { return new ConsoleProgress(label, Progress.printing(System.err)); }

    @Override public void onProgress(TrainStep p) {
        out.update(label, p.step(), p.totalSteps(), String.format(Locale.ROOT, "loss %.4f%s lr %.2e | %.0f tok/s | %s elapsed",
                p.loss(), Double.isNaN(p.evalLoss()) ? "" : String.format(Locale.ROOT, " eval %.4f", p.evalLoss()), p.lr(),
                p.tokensPerSecond(), hms(p.elapsedSeconds())));
    }

    static String hms(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
