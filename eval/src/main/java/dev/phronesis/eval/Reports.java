package dev.phronesis.eval;

import dev.phronesis.core.UserError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the report of one or more arms: {@code report.html} (self-contained: inline CSS, SVG charts
 * and a few lines of script, nothing fetched), {@code summary.md} and {@code summary.json}.
 */
public final class Reports {
    public static final String HTML = "report.html";
    public static final String MARKDOWN = "summary.md";
    public static final String JSON = "summary.json";


    private Reports() {}

    /** The files a report consists of. */
    public record Written(Path html, Path markdown, Path json, Summary summary) {}

    /** Loads each run directory as an arm (its run.json names it) and writes the report into {@code outDir}. */
    public static Written writeRunDirs(List<Path> runDirs, Path outDir) {
        List<Arm> arms = new ArrayList<>();
        for (Path p : runDirs) arms.add(Arm.load(p));
        return write(arms, outDir);
    }

    /** Writes the report of {@code arms} (the first one is the baseline of every comparison) into {@code outDir}. */
    public static Written write(List<Arm> arms, Path outDir) {
        if (arms.isEmpty()) throw new UserError("a report needs at least one run");
        List<Arm> named = uniqueNames(arms);
        Summary s = Summary.of(named);
        try {
            Files.createDirectories(outDir);
            Path html = outDir.resolve(HTML);
            Path md = outDir.resolve(MARKDOWN);
            Path json = outDir.resolve(JSON);
            atomicWrite(html, HtmlReport.render(named, s));
            atomicWrite(md, MarkdownReport.render(s));
            atomicWrite(json, dev.phronesis.core.Json.pretty().writeValueAsString(s) + "\n");
            return new Written(html, md, json, s);
        } catch (IOException e) {
            throw new UserError(outDir + ": cannot write the report: " + e.getMessage());
        }
    }

    private static List<Arm> uniqueNames(List<Arm> arms) {
        Map<String, Integer> seen = new HashMap<>();
        List<Arm> out = new ArrayList<>();
        for (Arm a : arms) {
            int n = seen.merge(a.name(), 1, Integer::sum);
            out.add(n == 1 ? a : a.withName(a.name() + " #" + n));
        }
        return out;
    }

    private static void atomicWrite(Path f, String text) throws IOException {
        Path tmp = Files.createTempFile(f.toAbsolutePath().getParent(), f.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** "12.5% [8.1, 18.7]" or "–" for an empty slice. */
    static String pct(Stats.Rate r) {
        if (r == null || r.n() == 0) return "–";
        return String.format(java.util.Locale.ROOT, "%.1f%% [%.1f, %.1f]", 100 * r.p(), 100 * r.lo(), 100 * r.hi());
    }

    /** "12.5% [8.1, 18.7] (n=120)" for one-line summaries; "–" for an empty slice. */
    public static String percent(Stats.Rate r) {
        return r == null || r.n() == 0 ? "–" : pct(r) + " (n=" + r.n() + ")";
    }

    static String pctShort(Stats.Rate r) {
        if (r == null || r.n() == 0) return "–";
        return String.format(java.util.Locale.ROOT, "%.1f%%", 100 * r.p());
    }

    static String diff(Stats.Difference d) {
        return String.format(java.util.Locale.ROOT, "%+.1f pts [%+.1f, %+.1f]", 100 * d.diff(), 100 * d.lo(), 100 * d.hi());
    }

    static String pValue(double p) {
        return p < 0.001 ? "<0.001" : String.format(java.util.Locale.ROOT, "%.3f", p);
    }
}
