package dev.phronesis.cli.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.cli.models.Models;
import dev.phronesis.cli.models.Rehearsal;
import dev.phronesis.cli.organism.OrganismPlan;
import dev.phronesis.cli.organism.OrganismReport;
import dev.phronesis.cli.organism.OrganismRun;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.pipeline.Engine;
import dev.phronesis.pipeline.Plan;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs an experiment into a run directory: builds its stage list (organism: one per seed, each in
 * its own directory; real: one), and hands it to the {@link Engine}. Every run directory records
 * in {@code run.json} which experiment made it, so `phronesis status` can rebuild the plan and say
 * what is stale.
 */
public final class ExperimentRunner {
    private ExperimentRunner() {}

    /** The file recording which experiment a run directory belongs to. */
    public static final String RUN_FILE = "run.json";

    /**
     * An experiment to run: a file path or {@code builtin:NAME}, and the overrides a command applied
     * ({@code seed}, {@code pretrain_steps}, {@code sft_steps} of an organism).
     */
    public record Source(String ref, Map<String, Long> overrides) {
        public Source { overrides = new TreeMap<>(overrides); }

        public static Source of(Path file) { return new Source(file.toAbsolutePath().normalize().toString(), Map.of()); }

        Experiment load() {
            Experiment x = Experiment.resolve(ref);
            if (overrides.isEmpty()) return x;
            if (!(x instanceof Experiment.Organism o)) throw new IllegalArgumentException("overrides apply to organism experiments only");
            OrganismPlan plan = o.plan();
            List<Long> seeds = o.seeds();
            if (overrides.containsKey("seed")) {
                seeds = List.of(overrides.get("seed"));
                plan = plan.withSeed(overrides.get("seed"));
            }
            int pre = overrides.containsKey("pretrain_steps") ? Math.toIntExact(overrides.get("pretrain_steps")) : plan.pretrainSteps();
            int sft = overrides.containsKey("sft_steps") ? Math.toIntExact(overrides.get("sft_steps")) : plan.sftSteps();
            return new Experiment.Organism(o.name(), o.file(), o.constitution(), o.taxonomy(), seeds, plan.withSteps(pre, sft));
        }
    }

    /** What `run` does: run the stages, only print the plan, or rehearse against the local test server. */
    public enum Mode { RUN, DRY_RUN, REHEARSE }

    /** One run directory and its stages; {@code models} is closed after the run. */
    record Unit(Path dir, Long seed, List<Stage> stages, Models models, OrganismRun organism) implements AutoCloseable {
        @Override public void close() { if (models != null) models.close(); }
    }

    public static int run(Path file, Path out, Mode mode, PrintStream stdout, PrintStream stderr) throws Exception {
        return run(Source.of(file), out, mode, stdout, stderr);
    }

    public static int run(Source src, Path out, Mode mode, PrintStream stdout, PrintStream stderr) throws Exception {
        Experiment x = src.load();
        Path dir = out != null ? out : Path.of("runs", x.name() + (mode == Mode.REHEARSE ? "-rehearsal" : ""));
        Progress progress = Progress.printing(stderr);
        Rehearsal rehearsal = null;
        if (mode == Mode.REHEARSE && x instanceof Experiment.Real r) {
            rehearsal = Rehearsal.start(ConstitutionLoader.resolve(r.constitution()), dir, r.seed());
            progress.message("rehearsal: every remote model is answered by the local test server at " + rehearsal.baseUrl() + " (numbers mean nothing)");
        } else if (mode == Mode.REHEARSE) {
            progress.message("rehearsal: an organism experiment calls no remote model; running it as is");
        }
        List<Unit> units;
        try {
            units = units(src, x, dir, rehearsal == null ? null : rehearsal.baseUrl(), true);
        } catch (RuntimeException | IOException e) {
            if (rehearsal != null) rehearsal.close();
            throw e;
        }
        try {
            if (mode == Mode.DRY_RUN) {
                for (Unit u : units) {
                    Plan p = Engine.plan(RunDirectory.peek(u.dir()), u.stages());
                    long runs = p.steps().stream().filter(Plan.Step::runs).count();
                    stdout.println(u.dir() + ": " + runs + " of " + p.steps().size() + " stages would run");
                    stdout.print(p.text());
                }
                return 0;
            }
            for (Unit u : units) Engine.plan(RunDirectory.peek(u.dir()), u.stages()); // every run checked before any runs
            progress.message("phronesis run " + src.ref() + " -> " + dir);
            long t0 = System.nanoTime();
            List<Path> reports = new ArrayList<>();
            for (Unit u : units) {
                RunDirectory rd = RunDirectory.open(u.dir());
                writeRunFile(u, src);
                if (u.organism() != null) {
                    progress.message("== seed " + u.seed());
                    Path report = u.organism().run(rd, progress);
                    reports.add(report);
                    stdout.println("seed " + u.seed() + ":");
                    stdout.print(OrganismReport.table(report));
                } else {
                    Engine.run(rd, u.stages(), progress);
                    stdout.println("report: " + rd.path(OrganismRun.REPORT_DIR).resolve("report.html"));
                }
            }
            if (x instanceof Experiment.Organism o) {
                if (o.seeds().size() > 1) {
                    String table = OrganismReport.seedSummary(reports);
                    Files.writeString(dir.resolve("seeds.md"), "# " + o.name() + ": " + o.seeds().size() + " seeds\n\n```\n" + table + "```\n", StandardCharsets.UTF_8);
                    stdout.println();
                    stdout.print(table);
                    stdout.println("per-seed reports: " + reports + "; summary: " + dir.resolve("seeds.md"));
                } else {
                    stdout.printf(Locale.ROOT, "%nfinished in %.1f min. Report: %s (open in a browser); organism notes: %s%n",
                            (System.nanoTime() - t0) / 6e10, reports.getFirst().resolve("report.html"), reports.getFirst().resolve(OrganismReport.FILE));
                }
            }
            return 0;
        } finally {
            for (Unit u : units) u.close();
            if (rehearsal != null) rehearsal.close();
        }
    }

    private static List<Unit> units(Source src, Experiment x, Path dir, String rehearsalUrl, boolean checkModels) throws IOException {
        Constitution c = ConstitutionLoader.resolve(x.constitution());
        Taxonomy t = Taxonomy.resolve(x.taxonomy());
        String taxonomyText = taxonomyText(x.taxonomy());
        List<Unit> out = new ArrayList<>();
        switch (x) {
            case Experiment.Organism o -> {
                for (long seed : o.seeds()) {
                    Path seedDir = o.seeds().size() == 1 ? dir : dir.resolve("seed-" + seed);
                    OrganismRun run = new OrganismRun(o.plan().withSeed(seed), c, t, taxonomyText);
                    out.add(new Unit(seedDir, seed, run.stages(), null, run));
                }
            }
            case Experiment.Real r -> {
                Models models = new Models(ModelCatalog.load(r.models()), dir.resolve(LlmEngine.JOURNAL_FILE), rehearsalUrl);
                if (checkModels) RealRun.check(r, models);
                out.add(new Unit(dir, null, RealRun.stages(r, c, t, models), models, null));
            }
        }
        return out;
    }

    /** The taxonomy file's text, copied into the scenarios directory so a run shows what it was made from. */
    private static String taxonomyText(String ref) throws IOException {
        if (!ref.startsWith("builtin:")) return Files.readString(Path.of(ref), StandardCharsets.UTF_8);
        try (var in = Taxonomy.class.getResourceAsStream("/taxonomies/" + ref.substring("builtin:".length()) + ".yaml")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void writeRunFile(Unit u, Source src) throws IOException {
        ObjectNode n = Jsonl.MAPPER.createObjectNode();
        n.put("experiment", src.ref());
        n.set("overrides", Jsonl.MAPPER.valueToTree(src.overrides()));
        if (u.seed() != null) n.put("seed", u.seed());
        Files.writeString(u.dir().resolve(RUN_FILE), Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n", StandardCharsets.UTF_8);
    }

    /**
     * The plan of a run directory as its experiment now stands (from {@code run.json}): which stages
     * are done, stale (and why) or pending. Fails with a one-line reason when the experiment can no
     * longer be loaded.
     */
    public static Plan plan(Path runDir) throws IOException {
        Path f = runDir.resolve(RUN_FILE);
        if (!Files.exists(f)) throw new UserError(runDir + ": no " + RUN_FILE + " (made before experiments were recorded)");
        JsonNode n = Jsonl.MAPPER.readTree(f.toFile());
        Map<String, Long> overrides = new TreeMap<>();
        n.path("overrides").properties().forEach(e -> overrides.put(e.getKey(), e.getValue().asLong()));
        Source src = new Source(n.path("experiment").asText(), overrides);
        Experiment x = src.load();
        Long seed = n.hasNonNull("seed") ? n.path("seed").asLong() : null;
        List<Unit> units = units(src, x, runDir, null, false);
        try {
            Unit u = units.stream().filter(x2 -> seed == null || seed.equals(x2.seed())).findFirst()
                    .orElseThrow(() -> new UserError(runDir + ": seed " + seed + " is no longer in " + src.ref()));
            return Engine.plan(RunDirectory.existing(runDir), u.stages());
        } finally {
            for (Unit u : units) u.close();
        }
    }

}
