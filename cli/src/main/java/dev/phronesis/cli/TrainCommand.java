package dev.phronesis.cli;

import dev.phronesis.core.UserError;
import dev.phronesis.train.ConsoleProgress;
import dev.phronesis.train.Corpus;
import dev.phronesis.train.ModelConfig;
import dev.phronesis.train.TrainConfig;
import dev.phronesis.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        header = "Pre-train or fine-tune the embedded student (DJL, CPU); resumable.",
        description = "Writes checkpoints, loss.csv and loss.svg into --out. Rerunning the same command after a kill resumes from the last checkpoint; after completion it does nothing.",
        subcommands = {TrainCommand.Pretrain.class, TrainCommand.Sft.class,
                TrainHfCommands.Train.class, TrainHfCommands.Export.class, TrainHfCommands.Merge.class, TrainHfCommands.Inspect.class, TrainHfCommands.Random.class})
public final class TrainCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    static abstract class Common {
        @Option(names = "--config", description = "training config JSON (see docs/train.md); defaults when absent") Path config;
        @Option(names = "--data", required = true, description = "training data file or directory") Path data;
        @Option(names = "--out", required = true, description = "run directory (checkpoints, loss curve)") Path out;
        @Option(names = "--steps", description = "override the config's steps") Integer steps;
        @Option(names = "--threads", description = "override the config's torch threads (0 = all cores)") Integer threads;

        TrainConfig config() {
            TrainConfig c = config == null ? TrainConfig.defaults() : TrainConfig.read(config);
            if (steps != null) c = c.withSteps(steps);
            if (threads != null) c = c.withThreads(threads);
            return c;
        }

        static void report(Trainer.Result r) {
            if (r.resumedFrom() < 0) System.out.println("already finished: " + r.checkpoint());
            System.out.printf(Locale.ROOT, "checkpoint %s%nsteps %d, train loss %.4f, eval loss %.4f, %d tokens trained, %.0f tokens/s%n",
                    r.checkpoint(), r.steps(), r.trainLoss(), r.evalLoss(), r.trainedTokensSeen(), r.tokensPerSecond());
        }
    }

    @Command(name = "pretrain", mixinStandardHelpOptions = true, header = "Pre-train a fresh student on plain text (vocabulary built from it).")
    static final class Pretrain extends Common implements Callable<Integer> {
        @Option(names = "--base", description = "continue pre-training this checkpoint (mid-training on documents) instead of starting fresh") Path base;
        @Option(names = "--replay", description = "with --base: plain-text documents of the original corpus mixed in at the config's replay_fraction") Path replay;

        @Override public Integer call() {
            TrainConfig c = config();
            List<String> docs = Corpus.documents(data);
            if (base != null) {
                if (c.model() != null) throw new UserError((config == null ? "config" : config.toString()) + ": --base gives the architecture; remove 'model'");
                List<String> replayDocs = replay == null ? List.of() : Corpus.documents(replay);
                report(Trainer.continuePretrain(c, docs, replayDocs, base, out, ConsoleProgress.stderr("midtrain")));
                return Main.OK;
            }
            if (replay != null) throw new UserError("--replay is only used with --base (continued pre-training)");
            if (c.model() == null) c = c.withModel(ModelConfig.organism(c.maxVocab()));
            dev.phronesis.train.ModelMemory.requireFits(c.model(), dev.phronesis.train.ModelMemory.Use.TRAINING,
                    (config == null ? "training config" : config.toString()) + ": model");
            report(Trainer.pretrain(c, docs, out, ConsoleProgress.stderr("pretrain")));
            return Main.OK;
        }
    }

    @Command(name = "sft", mixinStandardHelpOptions = true, header = "Fine-tune a checkpoint on chats, loss on assistant tokens only.")
    static final class Sft extends Common implements Callable<Integer> {
        @Option(names = "--base", required = true, description = "base checkpoint or run directory") Path base;
        @Option(names = "--replay", description = "plain-text documents mixed in at the config's replay_fraction") Path replay;

        @Override public Integer call() {
            TrainConfig c = config();
            if (c.model() != null) throw new UserError((config == null ? "config" : config.toString()) + ": SFT takes its architecture from --base; remove 'model'");
            List<String> replayDocs = replay == null ? List.of() : Corpus.documents(replay);
            if (c.replayFraction() > 0 && replay == null) throw new UserError("replay_fraction > 0 needs --replay DOCS");
            report(Trainer.sft(c, Corpus.chats(data), replayDocs, base, out, ConsoleProgress.stderr("sft")));
            return Main.OK;
        }
    }
}
