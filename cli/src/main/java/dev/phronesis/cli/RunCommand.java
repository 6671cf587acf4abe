package dev.phronesis.cli;

import dev.phronesis.cli.experiment.ExperimentRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "run", header = "Run (or resume) an experiment file: organism or real models, from any stage.",
        mixinStandardHelpOptions = true,
        description = {"The file names the constitution, taxonomy, budgets, teacher/judge/student models, arms, trainer and eval.",
                "Finished stages are reused while their configuration is unchanged; see docs/experiments.md and examples/."})
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "EXPERIMENT.yaml") Path file;
    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/<experiment name>).") Path out;

    @Override public Integer call() throws Exception {
        return ExperimentRunner.run(file, out, System.out, System.err);
    }
}
