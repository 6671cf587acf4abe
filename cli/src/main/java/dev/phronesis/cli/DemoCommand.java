package dev.phronesis.cli;

import dev.phronesis.cli.experiment.ExperimentRunner;
import dev.phronesis.core.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "demo", header = "Run the whole method offline on the model organism and print the ablation table.",
        mixinStandardHelpOptions = true,
        description = {"No network, key or download. Scenarios -> pre-training corpus -> base model -> scripted-teacher deliberations -> gates ->",
                "datasets for every arm -> one SFT per arm -> eval on held-out families -> report. About 12 minutes on 2 quiet cores; --quick about 4.",
                "Exactly `phronesis run builtin:demo` (or builtin:demo-quick). Interrupted runs resume: rerun the same command."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "The CI-sized smoke run (about 4 minutes on 2 quiet cores).") boolean quick;
    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/demo or runs/demo-quick).") Path out;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--pretrain-steps", paramLabel = "N", description = "Override the base model's training steps.") Integer pretrainSteps;
    @Option(names = "--sft-steps", paramLabel = "N", description = "Override the steps of every SFT arm.") Integer sftSteps;
    @Option(names = "--dry-run", description = "Print the plan (what would run and why); run nothing.") boolean dryRun;

    @Override public Integer call() throws Exception {
        if ((pretrainSteps != null && pretrainSteps < 1) || (sftSteps != null && sftSteps < 1)) throw new UserError("--pretrain-steps and --sft-steps must be >= 1");
        Map<String, Long> overrides = new TreeMap<>();
        if (seed != 1) overrides.put("seed", seed);
        if (pretrainSteps != null) overrides.put("pretrain_steps", (long) pretrainSteps);
        if (sftSteps != null) overrides.put("sft_steps", (long) sftSteps);
        ExperimentRunner.Source src = new ExperimentRunner.Source(quick ? "builtin:demo-quick" : "builtin:demo", overrides);
        return ExperimentRunner.run(src, out, dryRun ? ExperimentRunner.Mode.DRY_RUN : ExperimentRunner.Mode.RUN, System.out, System.err);
    }
}
