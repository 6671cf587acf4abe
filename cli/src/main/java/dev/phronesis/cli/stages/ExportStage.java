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

/** A runnable GPU training job (transformers + peft, or TRL) on the deliberative think-format dataset; see docs/real-models.md. */
public record ExportStage(ExportKind kind, String baseModel, long seed) implements Stage {
    /** The base model when the experiment names none. */
    static final String DEFAULT_BASE = "Qwen/Qwen3-8B";

    /** The job's training settings: LoRA rank 16, alpha 32, dropout 0.05; 2048-token rows; batch 4 x 4; 1000 steps at 2e-4, 30 warm-up; saves every 200. */
    static GpuTrainerExport.Options options(GpuTrainerExport.Target target, Path data, String base, Path out, long seed) {
        return new GpuTrainerExport.Options(target, data, base, out, LoraConfig.of(16, 32, 0.05, false), 2048, 4, 4, 1000, 2e-4, 30, 0.0, 1.0, 200, seed);
    }

    @Override public String name() { return "export"; }
    @Override public String describe() { return "trainer export: " + kind.wire(); }
    @Override public List<String> reads() { return List.of(Artifacts.DATASET); }
    @Override public List<String> writes() { return List.of(Artifacts.EXPORT); }
    @Override public int version() { return 1; }

    @Override public Map<String, Object> config() {
        StageConfig c = StageConfig.create().put("trainer.export", kind.wire()).put("trainer.base_model", baseModel == null ? DEFAULT_BASE : baseModel).put("seed", seed);
        if (kind != ExportKind.NONE) c.record("trainer.job", options(kind.target(), Path.of("-"), "-", Path.of("-"), seed), "dataset", "base", "out", "target", "seed");
        return c.build();
    }

    @Override public void run(RunDirectory dir, Progress progress) throws Exception {
        if (kind == ExportKind.NONE) return;
        Path data;
        try (var files = Files.list(dir.path(Artifacts.DATASET).resolve("deliberative"))) {
            data = files.filter(f -> f.getFileName().toString().startsWith("think") && f.getFileName().toString().endsWith(".jsonl"))
                    .sorted().findFirst().orElseThrow(() -> new UserError(dir.path(Artifacts.DISTILL) + ": no think-format dataset to export"));
        }
        GpuTrainerExport.export(options(kind.target(), data, baseModel == null ? DEFAULT_BASE : baseModel, dir.path(Artifacts.EXPORT), seed));
    }
}
