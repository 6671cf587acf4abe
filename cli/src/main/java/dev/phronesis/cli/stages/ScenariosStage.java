package dev.phronesis.cli.stages;

import dev.phronesis.cli.models.ModelRef;
import dev.phronesis.cli.models.Models;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.data.scenario.LlmRealiser;
import dev.phronesis.data.scenario.Realiser;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;

import java.util.List;
import java.util.Map;

/**
 * Scenarios from the taxonomy and constitution: train families and held-out families, by the
 * quotas of {@code options}, realised by the scripted realiser or an LLM.
 * Left out of the key: {@code concurrency}.
 */
public record ScenariosStage(Constitution constitution, Taxonomy taxonomy, String taxonomyText, ScenarioGenerator.Options options,
                             ModelRef realiser, Models models) implements Stage {
    /** Drift re-asks of the LLM realiser per scenario. */
    static final int REALISER_RETRIES = 3;

    @Override public String name() { return "scenarios"; }
    @Override public String describe() { return "scenarios (train families, held-out families) with the " + realiser.text() + " realiser"; }
    @Override public List<String> reads() { return List.of(); }
    @Override public List<String> writes() { return List.of(Artifacts.SCENARIOS); }
    @Override public int version() { return 5; } // 2: person arguments list the scenario's contacts (enum); 3: the escalation is about a contact, its reason names no one; 4: a post mentions its contact, its text names no one; 5: a share's recipient is a directory entry

    @Override public Map<String, Object> config() {
        return StageConfig.create().put("constitution", Artifacts.identity(constitution)).put("taxonomy", taxonomy.hash())
                .record("scenarios", options, "concurrency").put("scenarios.realiser", models.identity(realiser)).build();
    }

    @Override public void run(RunDirectory dir, Progress progress) {
        Realiser r = realiser instanceof ModelRef.Scripted ? null
                : new LlmRealiser(models.journaled(realiser), taxonomy, options.maxWords(), REALISER_RETRIES);
        ScenarioGenerator.generate(taxonomy, taxonomyText, constitution, options, r, null, dir.path(Artifacts.SCENARIOS),
                (stage, done, total) -> progress.update("scenarios: " + stage, done, total));
    }
}
