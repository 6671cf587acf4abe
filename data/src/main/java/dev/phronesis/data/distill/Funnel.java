package dev.phronesis.data.distill;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.GateName;
import dev.phronesis.core.records.Verdict;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The gate funnel: scenarios -> samples -> per gate how many entered, passed, failed and were flagged,
 * with counts and up to {@value #EXAMPLES_PER_REASON} examples per rejection reason.
 */
public record Funnel(int scenarios, int samplesPerScenario, int samples, int gated, int accepted, List<GateStats> gates) {
    /** Enough to see what a reason looks like without flooding the report. */
    public static final int EXAMPLES_PER_REASON = 3;

    public Funnel { gates = List.copyOf(gates); }

    public record GateStats(GateName gate, int entered, int passed, int failed, int flagged, Map<String, Integer> reasons, Map<String, List<String>> examples) {}

    static Funnel compute(int scenarios, int samplesPerScenario, int samples, List<SampleVerdicts> verdicts) {
        Map<GateName, int[]> counts = new EnumMap<>(GateName.class); // entered, passed, failed, flagged
        Map<GateName, Map<String, Integer>> reasons = new EnumMap<>(GateName.class);
        Map<GateName, Map<String, List<String>>> examples = new EnumMap<>(GateName.class);
        for (GateName g : GateName.values()) {
            counts.put(g, new int[4]);
            reasons.put(g, new LinkedHashMap<>());
            examples.put(g, new LinkedHashMap<>());
        }
        int accepted = 0;
        for (SampleVerdicts sv : verdicts) {
            if (sv.accepted()) accepted++;
            for (Verdict v : sv.verdicts()) {
                int[] c = counts.get(v.gate());
                c[0]++;
                String reason = v.reason();
                if (v.passed()) {
                    c[1]++;
                    if (reason.startsWith("flagged:")) c[3]++;
                    else continue;
                } else {
                    c[2]++;
                }
                reasons.get(v.gate()).merge(reason, 1, Integer::sum);
                List<String> ex = examples.get(v.gate()).computeIfAbsent(reason, k -> new ArrayList<>());
                if (ex.size() < EXAMPLES_PER_REASON) ex.add(sv.key() + ": " + v.evidence());
            }
        }
        List<GateStats> gs = new ArrayList<>();
        for (var e : counts.entrySet()) {
            int[] c = e.getValue();
            gs.add(new GateStats(e.getKey(), c[0], c[1], c[2], c[3], reasons.get(e.getKey()), examples.get(e.getKey())));
        }
        return new Funnel(scenarios, samplesPerScenario, samples, verdicts.size(), accepted, gs);
    }

    /** Recomputes the funnel from a run directory's files (what {@code phronesis distill report} shows). */
    public static Funnel of(Path runDir) {
        var manifest = Distiller.manifest(runDir);
        Path v = runDir.resolve(Distiller.VERDICTS);
        if (!Files.exists(v)) throw new UserError(runDir + ": no " + Distiller.VERDICTS + " yet; the distill run has not reached the gates");
        List<SampleVerdicts> verdicts = Jsonl.read(v, SampleVerdicts.class, true);
        int samples = Files.exists(runDir.resolve(Distiller.DELIBERATIONS))
                ? Jsonl.read(runDir.resolve(Distiller.DELIBERATIONS), dev.phronesis.core.records.Deliberation.class, true).size() : 0;
        int perScenario = manifest.path("samples_per_scenario").asInt(1);
        long scenarios = verdicts.stream().map(SampleVerdicts::scenarioId).distinct().count();
        return compute((int) scenarios, perScenario, samples, verdicts);
    }

    void write(Path file) {
        try {
            Files.writeString(file, Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A plain-text report: the funnel table, then each rejection reason with its count and examples. */
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "scenarios %d  ->  samples %d (%d per scenario)  ->  gated %d  ->  accepted %d (%.1f%%)%n%n",
                scenarios, samples, samplesPerScenario, gated, accepted, gated == 0 ? 0.0 : 100.0 * accepted / gated));
        b.append(String.format(Locale.ROOT, "%-18s %8s %8s %8s %8s%n", "gate", "entered", "passed", "failed", "flagged"));
        for (GateStats g : gates) b.append(String.format(Locale.ROOT, "%-18s %8d %8d %8d %8d%n", g.gate(), g.entered(), g.passed(), g.failed(), g.flagged()));
        for (GateStats g : gates) {
            if (g.reasons().isEmpty()) continue;
            b.append('\n').append(g.gate()).append(":\n");
            for (var r : g.reasons().entrySet()) {
                b.append(String.format(Locale.ROOT, "  %-36s %6d%n", r.getKey(), r.getValue()));
                for (String ex : g.examples().getOrDefault(r.getKey(), List.of())) b.append("      e.g. ").append(ex).append('\n');
            }
        }
        return b.toString();
    }
}
