package dev.phronesis.cli.stages;

import dev.phronesis.cli.organism.Arm;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Sample;
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
 * The organism's base model, pre-trained on the corpus; the vocabulary also covers every word of the
 * arms' SFT data, so no arm's words are spelled letter by letter. Left out of the key: {@code threads}.
 */
public record PretrainStage(TrainConfig train, List<Arm> arms) implements Stage {
    public PretrainStage { arms = List.copyOf(arms); }

    @Override public String name() { return "pretrain"; }
    @Override public String describe() { return "base model pre-training (" + train.steps() + " steps)"; }
    @Override public List<String> reads() { return List.of(Artifacts.CORPUS, Artifacts.ARM_DATASETS); }
    @Override public List<String> writes() { return List.of(Artifacts.BASE_MODEL); }
    @Override public int version() { return 1; }

    @Override public Map<String, Object> config() {
        return StageConfig.create().record("pretrain", train, "threads").put("arms", arms.stream().filter(Arm::trains).map(Arm::name).toList()).build();
    }

    @Override public void run(RunDirectory dir, Progress progress) {
        List<String> vocabulary = new ArrayList<>();
        for (Arm arm : arms) {
            if (!arm.trains()) continue;
            for (Sample x : Jsonl.read(dir.path(Artifacts.ARM_DATASETS).resolve(arm.name() + ".jsonl"), Sample.class)) {
                x.messages().forEach(t -> vocabulary.add(t.content()));
                vocabulary.add(x.reasoning());
                vocabulary.add(x.response());
            }
        }
        Trainer.Result r = Trainer.pretrain(train, CorpusStage.documents(dir), vocabulary, dir.path(Artifacts.BASE_MODEL), SftStage.listener(progress, "pretrain"));
        progress.message(String.format("  base: %d steps, train loss %.3f, eval loss %.3f, %.0f tokens/s", r.steps(), r.trainLoss(), r.evalLoss(), r.tokensPerSecond()));
    }
}
