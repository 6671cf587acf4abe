package dev.phronesis.cli.stages;

import dev.phronesis.cli.organism.Arm;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Variant;
import dev.phronesis.data.distill.DatasetBuilder;
import dev.phronesis.data.distill.TokenCounter;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Datasets from the accepted deliberations (deliberative and demonstration variants, the
 * constitution removed from the prompt), selected under a token budget, in the given formats;
 * with {@code arms}, also one dataset per training arm ({@code datasets/ARM.jsonl}, a fixed prefix
 * of one ordering so smaller data shares are subsets of larger ones) and their token counts.
 */
public record DatasetsStage(long budgetTokens, Set<DatasetBuilder.Format> formats, List<Arm> arms, long seed) implements Stage {
    public DatasetsStage {
        formats = formats.isEmpty() ? EnumSet.noneOf(DatasetBuilder.Format.class) : EnumSet.copyOf(formats);
        arms = List.copyOf(arms);
    }

    @Override public String name() { return "datasets"; }
    @Override public String describe() {
        return "datasets " + formats.stream().map(f -> f.name().toLowerCase(java.util.Locale.ROOT)).toList()
                + (budgetTokens >= Long.MAX_VALUE / 4 ? " (no token budget)" : " under " + budgetTokens + " tokens")
                + (arms.isEmpty() ? "" : ", one per arm (context distilled: no constitution in the prompt)");
    }
    @Override public List<String> reads() { return arms.isEmpty() ? List.of(Artifacts.DISTILL) : List.of(Artifacts.DISTILL, Artifacts.SCENARIOS); }
    @Override public List<String> writes() { return arms.isEmpty() ? List.of(Artifacts.DATASET) : List.of(Artifacts.DATASET, Artifacts.ARM_DATASETS); }
    @Override public int version() { return 2; } // 2: arm rows carry the scenario's offered tools; narrow/diverse ablation arms

    @Override public Map<String, Object> config() {
        return StageConfig.create().put("dataset.budget_tokens", budgetTokens).put("dataset.formats", formats.stream().map(Enum::name).sorted().toList())
                .put("arms", arms.stream().filter(Arm::trains).map(Arm::name).toList()).put("seed", arms.isEmpty() ? null : seed).build();
    }

    @Override public void run(RunDirectory dir, Progress progress) throws Exception {
        DatasetBuilder.Result r = DatasetBuilder.build(dir.path(Artifacts.DISTILL), EnumSet.of(Variant.DELIBERATIVE, Variant.DEMONSTRATION), budgetTokens,
                TokenCounter.approximate(), formats);
        if (arms.isEmpty()) return;
        Map<String, dev.phronesis.core.records.Scenario> byId = new LinkedHashMap<>();
        for (var x : Artifacts.scenarios(dir)) byId.put(x.id(), x);
        Map<String, List<Sample>> chosen = new LinkedHashMap<>();
        for (Arm arm : arms) {
            if (!arm.trains()) continue;
            List<Sample> all = new ArrayList<>(r.samples().get(arm.kind().variant()).stream().filter(s -> s.form() == arm.kind().form())
                    .sorted(Comparator.comparing(Sample::scenarioId)).toList());
            if (all.isEmpty()) throw new UserError("arm " + arm.name() + ": no accepted samples of form " + arm.kind().form().wire()
                    + " — the gates rejected them all; see " + dir.path(Artifacts.DISTILL));
            List<Sample> samples = dev.phronesis.cli.organism.ArmData.armSamples(arm, all, byId, seed);
            Jsonl.writeAll(dir.path(Artifacts.ARM_DATASETS).resolve(arm.name() + ".jsonl"), samples);
            chosen.put(arm.name(), samples);
        }
        Map<String, Object> tokens = dev.phronesis.cli.organism.ArmData.tokensJson(chosen);
        Files.createDirectories(dir.path(Artifacts.ARM_DATASETS)); // a base-only run trains no arm but still records (empty) arm tokens
        Files.writeString(dir.path(Artifacts.ARM_TOKENS), Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tokens), StandardCharsets.UTF_8);
    }

    /** The unique SFT tokens of an arm's dataset (0 for the base model). */
    static long armTokens(RunDirectory dir, Arm arm) throws java.io.IOException {
        if (!arm.trains()) return 0;
        return Jsonl.MAPPER.readTree(dir.path(Artifacts.ARM_TOKENS).toFile()).path(arm.name()).path("uniqueTokens").asLong();
    }
}
