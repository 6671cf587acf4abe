package dev.phronesis.cli;

import dev.phronesis.cli.experiment.ExperimentRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "run", header = "Run (or resume) an experiment file: organism or real models, from any stage.",
        mixinStandardHelpOptions = true,
        description = {"The file names the constitution, taxonomy, budgets, teacher/judge/student models, arms, trainer and eval.",
                "EXPERIMENT may also be builtin:demo or builtin:demo-quick (what `phronesis demo` runs).",
                "A stage reruns exactly when its key (its settings, what it reads, its code version) changed; everything",
                "downstream follows and nothing else does. --dry-run prints that plan; see docs/experiments.md and examples/."})
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "EXPERIMENT") String file;
    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/<experiment name>).") Path out;
    @Option(names = "--dry-run", description = "Print each stage's status (done / stale and why / pending) and what would rerun; run nothing.") boolean dryRun;
    @Option(names = "--rehearse", description = {"Run a real-model experiment end to end with every remote model replaced by the local test server",
            "(127.0.0.1, scripted answers that pass each stage's schema); default run directory runs/<name>-rehearsal. No call is paid for."}) boolean rehearse;

    @Override public Integer call() throws Exception {
        if (dryRun && rehearse) throw new dev.phronesis.core.UserError("--dry-run and --rehearse: choose one");
        ExperimentRunner.Source src = file.startsWith("builtin:") ? new ExperimentRunner.Source(file, Map.of()) : ExperimentRunner.Source.of(Path.of(file));
        return ExperimentRunner.run(src, out, dryRun ? ExperimentRunner.Mode.DRY_RUN : rehearse ? ExperimentRunner.Mode.REHEARSE : ExperimentRunner.Mode.RUN, System.out, System.err);
    }
}
