package dev.phronesis.data.scenario;

import dev.phronesis.data.scenario.DiversityReport.Point;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** A self-contained HTML page (inline CSS and SVG, no scripts or network fetches) for a {@link DiversityReport}. */
public final class HtmlReport {
    private static final int W = 760, H = 520, PAD = 30;

    private HtmlReport() {}

    public static String render(String title, DiversityReport r) {
        StringBuilder b = new StringBuilder();
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}")
                .append(".legend span{display:inline-block;margin:2px 10px 2px 0;font-size:12px}.sw{width:10px;height:10px;display:inline-block;margin-right:4px;border-radius:50%}")
                .append("pre{background:#f6f6f6;padding:1em}</style></head><body>");
        b.append("<h1>").append(esc(title)).append("</h1>");
        b.append("<h2>Metrics</h2><pre>").append(esc(r.table())).append("</pre>");
        if (!r.projection().isEmpty()) {
            b.append("<h2>Embeddings in 2-D (PCA of ").append(esc(r.embedder())).append("), coloured by family</h2>")
                    .append("<p>Circle: train, square: dev, triangle: held-out. Hover a point for its id and family.</p>");
            scatter(b, r.projection());
        }
        lengthHistogram(b, r);
        b.append("<h2>Families per split</h2><table><tr><th>split</th><th>family</th><th>scenarios</th></tr>");
        for (var e : r.familiesPerSplit().entrySet()) {
            for (var f : e.getValue().entrySet()) b.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(esc(f.getKey())).append("</td><td>").append(f.getValue()).append("</td></tr>");
        }
        b.append("</table></body></html>\n");
        return b.toString();
    }

    private static void scatter(StringBuilder b, List<Point> pts) {
        double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (Point p : pts) { minX = Math.min(minX, p.x()); maxX = Math.max(maxX, p.x()); minY = Math.min(minY, p.y()); maxY = Math.max(maxY, p.y()); }
        double sx = (W - 2 * PAD) / Math.max(1e-9, maxX - minX), sy = (H - 2 * PAD) / Math.max(1e-9, maxY - minY);
        Map<String, String> colours = new LinkedHashMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        for (Point p : pts) counts.merge(p.family(), 1, Integer::sum);
        int i = 0, nf = counts.size();
        for (String f : counts.keySet()) colours.put(f, colour(i++, nf));
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" style=\"border:1px solid #ccc;background:#fff\">");
        for (Point p : pts) {
            double x = PAD + (p.x() - minX) * sx, y = H - PAD - (p.y() - minY) * sy;
            String c = colours.get(p.family());
            String tip = "<title>" + esc(p.id() + " " + p.family() + " (" + p.split() + ", " + p.form() + ")") + "</title>";
            switch (p.split()) {
                case "heldout" -> b.append(String.format(Locale.ROOT, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\" fill-opacity=\"0.8\" stroke=\"#000\" stroke-width=\"0.4\">%s</polygon>",
                        x, y - 5, x - 4.5, y + 3.5, x + 4.5, y + 3.5, c, tip));
                case "dev" -> b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\" fill-opacity=\"0.8\">%s</rect>", x - 3.5, y - 3.5, c, tip));
                default -> b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\" fill-opacity=\"0.7\">%s</circle>", x, y, c, tip));
            }
        }
        b.append("</svg><div class=\"legend\">");
        for (var e : colours.entrySet()) {
            b.append("<span><i class=\"sw\" style=\"background:").append(e.getValue()).append("\"></i>").append(esc(e.getKey()))
                    .append(" (").append(counts.get(e.getKey())).append(")</span>");
        }
        b.append("</div>");
    }

    /** Families that share the first family axis (e.g. the dilemma) get neighbouring hues. */
    private static String colour(int i, int n) {
        double hue = 360.0 * i / Math.max(1, n);
        int light = 35 + 20 * (i % 3);
        return String.format(Locale.ROOT, "hsl(%.0f,70%%,%d%%)", hue, light);
    }

    private static void lengthHistogram(StringBuilder b, DiversityReport r) {
        int[] h = r.words().histogram();
        if (h.length == 0) return;
        int max = 1;
        for (int v : h) max = Math.max(max, v);
        int bw = Math.max(4, (W - 2 * PAD) / h.length), hh = 160;
        b.append("<h2>Length distribution (words)</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(hh + 30).append("\">");
        for (int i = 0; i < h.length; i++) {
            int bh = (int) Math.round((double) h[i] / max * hh);
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#4a7\"><title>%d-%d words: %d</title></rect>",
                    PAD + i * bw, hh - bh, bw - 1, bh, i * r.words().binWidth(), (i + 1) * r.words().binWidth() - 1, h[i]));
            if (i % 2 == 0) b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%d</text>", PAD + i * bw, hh + 14, i * r.words().binWidth()));
        }
        b.append("</svg>");
    }

    static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
