package dev.phronesis.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Draws {@code loss.csv} as an SVG line chart: training loss (line) and held-out loss (dots) against steps. */
final class LossPlot {
    private static final int W = 720, H = 420, LEFT = 60, RIGHT = 20, TOP = 30, BOTTOM = 45;

    private LossPlot() {}

    static void write(Path csv, Path svg) throws IOException {
        List<double[]> train = new ArrayList<>(), eval = new ArrayList<>();
        for (String line : Files.readAllLines(csv)) {
            if (line.startsWith("step") || line.isBlank()) continue;
            String[] f = line.split(",", -1);
            double step = Double.parseDouble(f[0]);
            train.add(new double[]{step, Double.parseDouble(f[3])});
            if (!f[4].isEmpty()) eval.add(new double[]{step, Double.parseDouble(f[4])});
        }
        Files.writeString(svg, render(train, eval));
    }

    static String render(List<double[]> train, List<double[]> eval) {
        double maxX = 1, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (List<double[]> s : List.of(train, eval)) for (double[] p : s) {
            if (!Double.isFinite(p[1])) continue;
            maxX = Math.max(maxX, p[0]);
            minY = Math.min(minY, p[1]);
            maxY = Math.max(maxY, p[1]);
        }
        if (minY > maxY) { minY = 0; maxY = 1; }
        if (maxY - minY < 1e-9) maxY = minY + 1;
        minY = Math.max(0, minY - 0.05 * (maxY - minY));
        double fx = (W - LEFT - RIGHT) / maxX, fy = (H - TOP - BOTTOM) / (maxY - minY);
        final double y0 = minY;
        java.util.function.DoubleUnaryOperator X = x -> LEFT + x * fx, Y = y -> H - BOTTOM - (y - y0) * fy;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\">loss per trained token (line: train, dots: held-out)</text>%n", LEFT));
        for (int i = 0; i <= 5; i++) { // y grid and labels
            double v = minY + i * (maxY - minY) / 5;
            double y = Y.applyAsDouble(v);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, W - RIGHT, y, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>%n", LEFT - 6, y + 4, v));
        }
        for (int i = 0; i <= 5; i++) { // x labels
            double v = i * maxX / 5;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n", X.applyAsDouble(v), H - BOTTOM + 18, v));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>%n", (W + LEFT) / 2, H - 8));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n", LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM));
        if (!train.isEmpty()) {
            sb.append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
            for (double[] p : train) if (Double.isFinite(p[1])) sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", X.applyAsDouble(p[0]), Y.applyAsDouble(p[1])));
            sb.append("\"/>\n");
        }
        for (double[] p : eval) if (Double.isFinite(p[1]))
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#d62728\"/>%n", X.applyAsDouble(p[0]), Y.applyAsDouble(p[1])));
        sb.append("</svg>\n");
        return sb.toString();
    }
}
