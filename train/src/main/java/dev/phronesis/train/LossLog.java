package dev.phronesis.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code loss.csv} of a run: one row per logged step; on resume, rows after the resumed step are dropped. */
final class LossLog implements AutoCloseable {
    static final String HEADER = "step,trained_tokens,lr,loss,eval_loss,grad_norm,tokens_per_s,elapsed_s";
    private final BufferedWriter out;

    private LossLog(BufferedWriter out) { this.out = out; }

    static LossLog open(Path runDir, int resumedStep) throws IOException {
        Path csv = runDir.resolve("loss.csv");
        List<String> keep = new ArrayList<>();
        keep.add(HEADER);
        if (Files.exists(csv) && resumedStep > 0) {
            for (String line : Files.readAllLines(csv)) {
                if (line.isBlank() || line.startsWith("step")) continue;
                try {
                    if (Integer.parseInt(line.substring(0, line.indexOf(','))) <= resumedStep) keep.add(line);
                } catch (RuntimeException partial) {
                    // a row cut by the kill: drop it
                }
            }
        }
        Files.write(csv, keep);
        return new LossLog(Files.newBufferedWriter(csv, java.nio.file.StandardOpenOption.APPEND));
    }

    void append(TrainStep p, long seen) throws IOException {
        out.write(String.format(Locale.ROOT, "%d,%d,%.6g,%.6f,%s,%.4f,%.1f,%.2f%n", p.step(), seen, p.lr(), p.loss(),
                Double.isNaN(p.evalLoss()) ? "" : String.format(Locale.ROOT, "%.6f", p.evalLoss()), p.gradNorm(),
                p.tokensPerSecond(), p.elapsedSeconds()));
        out.flush();
    }

    @Override public void close() throws IOException { out.close(); }
}
