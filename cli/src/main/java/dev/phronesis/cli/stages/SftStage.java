package dev.phronesis.cli.stages;

import dev.phronesis.cli.organism.Arm;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Turn;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;
import dev.phronesis.train.TrainConfig;
import dev.phronesis.train.Trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * SFT of one arm from the organism's base model (or, for a {@code documents+} arm, from the mid-trained
 * model), on the arm's dataset with pre-training replay. Left out of the key: {@code threads}.
 */
public record SftStage(Arm arm, TrainConfig train) implements Stage {
    @Override public String name() { return "sft-" + arm.name(); }
    @Override public String describe() {
        return "SFT of '" + arm.name() + "' from the " + arm.start().model() + " (" + train.steps() + " steps, " + Math.round(train.replayFraction() * 100) + "% replay)";
    }
    @Override public List<String> reads() { return List.of(Artifacts.ARM_DATASETS + "/" + arm.name() + ".jsonl", Artifacts.CORPUS, Artifacts.model(arm.start().model())); }
    @Override public List<String> writes() { return List.of(Artifacts.model(arm.name())); }
    @Override public int version() { return 1; }

    @Override public Map<String, Object> config() { return StageConfig.create().record("sft", train, "threads").build(); }

    @Override public void run(RunDirectory dir, Progress progress) {
        List<Sample> samples = Jsonl.read(dir.path(Artifacts.ARM_DATASETS).resolve(arm.name() + ".jsonl"), Sample.class);
        Trainer.Result r = Trainer.sft(train, chats(samples), CorpusStage.documents(dir), dir.path(Artifacts.model(arm.start().model())).resolve("final"),
                dir.path(Artifacts.model(arm.name())), listener(progress, "sft " + arm.name()));
        progress.message(String.format("  %s: %d samples, %d steps, train loss %.3f, eval loss %.3f, %d trained tokens seen", arm.name(), samples.size(), r.steps(),
                r.trainLoss(), r.evalLoss(), r.trainedTokensSeen()));
    }

    static Trainer.Listener listener(Progress progress, String label) {
        return pr -> progress.update(label, pr.step(), pr.totalSteps(), String.format(java.util.Locale.ROOT, "loss %.3f  %.0f tok/s", pr.loss(), pr.tokensPerSecond()));
    }

    static List<List<ChatMessage>> chats(List<Sample> samples) {
        List<List<ChatMessage>> out = new ArrayList<>();
        for (Sample s : samples) {
            List<ChatMessage> c = new ArrayList<>();
            for (Turn t : s.messages()) c.add(ChatMessage.of(t, null));
            c.add(ChatMessage.assistant(s.response(), s.reasoning().isBlank() ? null : s.reasoning(), List.of()));
            out.add(c);
        }
        return out;
    }
}
