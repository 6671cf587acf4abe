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

import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.data.documents.DocumentPlanner;
import dev.phronesis.data.documents.DocumentSpec;
import dev.phronesis.data.documents.DocumentWriter;
import dev.phronesis.data.documents.ScriptedDocumentWriter;
import dev.phronesis.data.scenario.Taxonomy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The organism's base model, pre-trained on the corpus; the vocabulary also covers every word of the
 * arms' SFT data, so no arm's words are spelled letter by letter, and, when an arm mid-trains on the
 * synthetic documents, the words of a fixed reference set of scripted documents over the same
 * constitution and taxonomy ({@link #VOCABULARY_DOCUMENTS}): the words the scripted writer can use,
 * whatever the run's documents settings, so changing those reruns the documents arms only, not the
 * base (the documents stage's own texts are not read here). Left out of the key: {@code threads}.
 */
public record PretrainStage(TrainConfig train, List<Arm> arms, Constitution constitution, Taxonomy taxonomy) implements Stage {
    /** The reference documents whose words join the vocabulary: planned with these options, written by the scripted writer. */
    public static final DocumentPlanner.Options VOCABULARY_DOCUMENTS = new DocumentPlanner.Options(600, 5, List.of(), 0);

    public PretrainStage { arms = List.copyOf(arms); }

    public PretrainStage(TrainConfig train, List<Arm> arms) { this(train, arms, null, null); }

    boolean documentsVocabulary() { return constitution != null && arms.stream().anyMatch(Arm::midtrains); }

    @Override public String name() { return "pretrain"; }
    @Override public String describe() { return "base model pre-training (" + train.steps() + " steps)"; }
    @Override public List<String> reads() { return List.of(Artifacts.CORPUS, Artifacts.ARM_DATASETS); }
    @Override public List<String> writes() { return List.of(Artifacts.BASE_MODEL); }
    @Override public int version() { return 1; }

    @Override public Map<String, Object> config() {
        StageConfig c = StageConfig.create().record("pretrain", train, "threads").put("arms", arms.stream().filter(Arm::trains).map(Arm::name).toList());
        // the constitution and taxonomy are in the corpus stage's key, which this key includes
        if (documentsVocabulary()) c.record("vocabulary.documents", VOCABULARY_DOCUMENTS).put("vocabulary.documents.writer", "scripted:v1");
        return c.build();
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
        if (documentsVocabulary()) {
            ScriptedDocumentWriter w = new ScriptedDocumentWriter(constitution, taxonomy);
            for (DocumentSpec spec : DocumentPlanner.plan(constitution, taxonomy, VOCABULARY_DOCUMENTS))
                if (w.write(spec) instanceof DocumentWriter.Written.Text t) { vocabulary.add(t.title()); vocabulary.add(t.text()); }
        }
        Trainer.Result r = Trainer.pretrain(train, CorpusStage.documents(dir), vocabulary, dir.path(Artifacts.BASE_MODEL), SftStage.listener(progress, "pretrain"));
        progress.message(String.format("  base: %d steps, train loss %.3f, eval loss %.3f, %.0f tokens/s", r.steps(), r.trainLoss(), r.evalLoss(), r.tokensPerSecond()));
    }
}
