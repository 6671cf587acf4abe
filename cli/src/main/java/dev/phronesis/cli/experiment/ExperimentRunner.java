package dev.phronesis.cli.experiment;

import dev.phronesis.cli.organism.OrganismPlan;
import dev.phronesis.cli.organism.OrganismReport;
import dev.phronesis.cli.organism.OrganismRun;
import dev.phronesis.core.Progress;
import dev.phronesis.cli.pipeline.RunDirectory;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.data.scenario.Taxonomy;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Runs an experiment file into a run directory; organism experiments run each seed and summarise mean and spread. */
public final class ExperimentRunner {
    private ExperimentRunner() {}

    public static int run(Path file, Path out, PrintStream stdout, PrintStream stderr) throws Exception {
        Experiment x = Experiment.load(file);
        Path dir = out != null ? out : Path.of("runs", x.name());
        Progress progress = Progress.printing(stderr);
        progress.message("phronesis run " + file + " -> " + dir);
        switch (x) {
            case Experiment.Organism o -> runOrganism(o, dir, progress, stdout);
            case Experiment.Real r -> {
                Path report = new RealRun(r).run(RunDirectory.open(dir), progress);
                stdout.println("report: " + report.resolve("report.html"));
            }
        }
        return 0;
    }

    static void runOrganism(Experiment.Organism o, Path dir, Progress progress, PrintStream stdout) throws Exception {
        Constitution c = ConstitutionLoader.resolve(o.constitution());
        Taxonomy t = Taxonomy.resolve(o.taxonomy());
        List<Path> reports = new ArrayList<>();
        for (long seed : o.seeds()) {
            Path seedDir = o.seeds().size() == 1 ? dir : dir.resolve("seed-" + seed);
            progress.message("== seed " + seed);
            Path report = new OrganismRun(o.plan().withSeed(seed), c, t, null).run(RunDirectory.open(seedDir), progress);
            reports.add(report);
            stdout.println("seed " + seed + ":");
            stdout.print(OrganismReport.table(report));
        }
        if (o.seeds().size() > 1) {
            String table = OrganismReport.seedSummary(reports);
            Files.writeString(dir.resolve("seeds.md"), "# " + o.name() + ": " + o.seeds().size() + " seeds\n\n```\n" + table + "```\n", StandardCharsets.UTF_8);
            stdout.println();
            stdout.print(table);
            stdout.println("per-seed reports: " + reports + "; summary: " + dir.resolve("seeds.md"));
        } else {
            stdout.println("report: " + reports.getFirst().resolve("report.html"));
        }
    }
}
