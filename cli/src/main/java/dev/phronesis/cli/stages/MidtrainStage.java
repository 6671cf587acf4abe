package dev.phronesis.cli.stages;

import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;
import dev.phronesis.train.TrainConfig;
import dev.phronesis.train.Trainer;

import java.util.List;
import java.util.Map;

/**
 * Mid-training: continued pre-training of the organism's base model on the documents dataset (every
 * token in the loss), with {@code replay_fraction} of the rows from the pre-training corpus; the
 * {@code documents} arms start from its final checkpoint. Left out of the key: {@code threads}.
 */
public record MidtrainStage(TrainConfig train) implements Stage {
    @Override public String name() { return "midtrain"; }
    @Override public String describe() {
        return "mid-training of the base on the documents (" + train.steps() + " steps, " + Math.round(train.replayFraction() * 100) + "% replay)";
    }
    @Override public List<String> reads() { return List.of(Artifacts.DOCUMENTS_DATASET, Artifacts.CORPUS, Artifacts.BASE_MODEL); }
    @Override public List<String> writes() { return List.of(Artifacts.MIDTRAINED); }
    @Override public int version() { return 1; }

    @Override public Map<String, Object> config() { return StageConfig.create().record("midtrain", train, "threads").build(); }

    @Override public void run(RunDirectory dir, Progress progress) {
        List<String> docs = DocumentsStage.texts(dir);
        java.nio.file.Path base = dir.path(Artifacts.BASE_MODEL).resolve("final");
        {
            // how well the base's vocabulary fits the documents: tokens per word (a word outside the vocabulary is spelled letter by letter)
            dev.phronesis.train.Tokenizer tok = dev.phronesis.train.Tokenizer.load(base);
            long tokens = 0, words = 0;
            for (String d : docs) { tokens += tok.encode(d).length; words += d.split("\\s+").length; }
            progress.message(String.format(java.util.Locale.ROOT, "  midtrain: the base's vocabulary gives %.2f tokens per document word", (double) tokens / Math.max(1, words)));
        }
        Trainer.Result r = Trainer.continuePretrain(train, docs, CorpusStage.documents(dir), dir.path(Artifacts.BASE_MODEL).resolve("final"),
                dir.path(Artifacts.MIDTRAINED), SftStage.listener(progress, "midtrain"));
        progress.message(String.format(java.util.Locale.ROOT, "  midtrained: %d documents, %d steps, train loss %.3f, eval loss %.3f, %d tokens seen",
                docs.size(), r.steps(), r.trainLoss(), r.evalLoss(), r.trainedTokensSeen()));
    }

    /** Tokens a trained model's run passed through the loss ({@code trained_tokens_seen} of its final checkpoint), 0 when absent. */
    static long processedTokens(RunDirectory dir, String model) throws java.io.IOException {
        java.nio.file.Path f = dir.path(Artifacts.model(model)).resolve("final").resolve("trainer_state.json");
        if (!java.nio.file.Files.isRegularFile(f)) return 0;
        return dev.phronesis.core.records.Jsonl.MAPPER.readTree(f.toFile()).path("trained_tokens_seen").asLong();
    }
}
