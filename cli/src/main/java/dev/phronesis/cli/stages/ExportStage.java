package dev.phronesis.cli.stages;

import dev.phronesis.core.UserError;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;
import dev.phronesis.train.hf.GpuTrainerExport;
import dev.phronesis.train.lora.LoraConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A runnable GPU training job (transformers + peft, or TRL) on the deliberative think-format dataset; see docs/real-models.md.
 * With {@code midtrainSteps > 0} (a run with a documents stage) the job also has a mid-training stage on the documents
 * dataset ({@code python train.py --stage midtrain}), and its SFT starts from the mid-trained model.
 */
public record ExportStage(ExportKind kind, String baseModel, long seed, int midtrainSteps) implements Stage {
    /** The job's mid-training learning rate (LoRA, merged afterwards). */
    static final double MIDTRAIN_LR = 5e-5;

    public ExportStage(ExportKind kind, String baseModel, long seed) { this(kind, baseModel, seed, 0); }
    /** The base model when the experiment names none. */
    static final String DEFAULT_BASE = "Qwen/Qwen3-8B";

    /** The job's training settings: LoRA rank 16, alpha 32, dropout 0.05; 2048-token rows; batch 4 x 4; 1000 steps at 2e-4, 30 warm-up; saves every 200. */
    static GpuTrainerExport.Options options(GpuTrainerExport.Target target, Path data, String base, Path out, long seed) {
        return new GpuTrainerExport.Options(target, data, base, out, LoraConfig.of(16, 32, 0.05, false), 2048, 4, 4, 1000, 2e-4, 30, 0.0, 1.0, 200, seed);
    }

    @Override public String name() { return "export"; }
    @Override public String describe() { return "trainer export: " + kind.wire(); }
    @Override public List<String> reads() {
        return midtrainSteps > 0 && kind != ExportKind.NONE ? List.of(Artifacts.DATASET, Artifacts.DOCUMENTS_DATASET) : List.of(Artifacts.DATASET);
    }
    @Override public List<String> writes() { return List.of(Artifacts.EXPORT); }
    @Override public int version() { return 1; }

    @Override public Map<String, Object> config() {
        StageConfig c = StageConfig.create().put("trainer.export", kind.wire()).put("trainer.base_model", baseModel == null ? DEFAULT_BASE : baseModel).put("seed", seed);
        if (kind != ExportKind.NONE) c.record("trainer.job", options(kind.target(), Path.of("-"), "-", Path.of("-"), seed), "dataset", "base", "out", "target", "seed");
        if (kind != ExportKind.NONE && midtrainSteps > 0) c.put("trainer.midtrain.steps", midtrainSteps).put("trainer.midtrain.lr", MIDTRAIN_LR);
        return c.build();
    }

    @Override public void run(RunDirectory dir, Progress progress) throws Exception {
        if (kind == ExportKind.NONE) return;
        Path data;
        try (var files = Files.list(dir.path(Artifacts.DATASET).resolve("deliberative"))) {
            data = files.filter(f -> f.getFileName().toString().startsWith("think") && f.getFileName().toString().endsWith(".jsonl"))
                    .sorted().findFirst().orElseThrow(() -> new UserError(dir.path(Artifacts.DISTILL) + ": no think-format dataset to export"));
        }
        GpuTrainerExport.Options o = options(kind.target(), data, baseModel == null ? DEFAULT_BASE : baseModel, dir.path(Artifacts.EXPORT), seed);
        GpuTrainerExport.export(o, midtrainSteps > 0 ? new GpuTrainerExport.Midtrain(dir.path(Artifacts.DOCUMENTS_DATASET).resolve(
                dev.phronesis.data.documents.DocumentDataset.FILE), midtrainSteps, MIDTRAIN_LR, o.maxLen(), true) : null);
    }
}
