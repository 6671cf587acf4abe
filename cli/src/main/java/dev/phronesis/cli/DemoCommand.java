package dev.phronesis.cli;

import dev.phronesis.cli.organism.OrganismPlan;
import dev.phronesis.cli.organism.OrganismReport;
import dev.phronesis.cli.organism.OrganismRun;
import dev.phronesis.core.Progress;
import dev.phronesis.cli.pipeline.RunDirectory;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.data.scenario.Taxonomy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "demo", header = "Run the whole method offline on the model organism and print the ablation table.",
        mixinStandardHelpOptions = true,
        description = {"No network, key or download. Scenarios -> pre-training corpus -> base model -> scripted-teacher deliberations -> gates ->",
                "datasets for every arm -> one SFT per arm -> eval on held-out families -> report. About 18 minutes on 2 cores; --quick about 3.",
                "Interrupted runs resume: rerun the same command."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "The CI-sized smoke run (about 3 minutes).") boolean quick;
    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/demo or runs/demo-quick).") Path out;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--pretrain-steps", paramLabel = "N", description = "Override the base model's training steps.") Integer pretrainSteps;
    @Option(names = "--sft-steps", paramLabel = "N", description = "Override the steps of every SFT arm.") Integer sftSteps;

    @Override public Integer call() throws Exception {
        OrganismPlan plan = (quick ? OrganismPlan.quick() : OrganismPlan.full()).withSeed(seed);
        if (pretrainSteps != null || sftSteps != null) {
            if ((pretrainSteps != null && pretrainSteps < 1) || (sftSteps != null && sftSteps < 1)) throw new dev.phronesis.core.UserError("--pretrain-steps and --sft-steps must be >= 1");
            plan = plan.withSteps(pretrainSteps != null ? pretrainSteps : plan.pretrainSteps(), sftSteps != null ? sftSteps : plan.sftSteps());
        }
        Path dirPath = out != null ? out : Path.of("runs", quick ? "demo-quick" : "demo");
        Constitution c = ConstitutionLoader.builtin("general");
        Taxonomy t = Taxonomy.builtin("default");
        String taxonomyText;
        try (var in = Taxonomy.class.getResourceAsStream("/taxonomies/default.yaml")) {
            taxonomyText = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        RunDirectory dir = RunDirectory.open(dirPath);
        Progress progress = Progress.printing(System.err);
        progress.message("phronesis demo" + (quick ? " --quick" : "") + ": the model organism, seed " + seed + ", run directory " + dirPath);
        long t0 = System.nanoTime();
        Path report = new OrganismRun(plan, c, t, taxonomyText).run(dir, progress);
        System.out.println();
        System.out.print(OrganismReport.table(report));
        System.out.printf("%nfinished in %.1f min. Report: %s (open in a browser); organism notes: %s%n",
                (System.nanoTime() - t0) / 6e10, report.resolve("report.html"), report.resolve(OrganismReport.FILE));
        return Main.OK;
    }
}
