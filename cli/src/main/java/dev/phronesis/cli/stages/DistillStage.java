package dev.phronesis.cli.stages;

import dev.phronesis.cli.models.ModelRef;
import dev.phronesis.cli.models.Models;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.data.distill.Distiller;
import dev.phronesis.data.distill.GatesConfig;
import dev.phronesis.data.distill.Judge;
import dev.phronesis.data.distill.LlmJudge;
import dev.phronesis.data.distill.LlmTeacher;
import dev.phronesis.data.distill.ScriptedTeacher;
import dev.phronesis.data.distill.Teacher;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Deliberations by the teacher (scripted, or an LLM through the journal) on the training
 * scenarios, through the quality gates with the judges; every rejection is kept.
 * Left out of the key: the distiller's concurrency.
 */
public record DistillStage(Constitution constitution, ModelRef teacher, Verbosity verbosity, List<ModelRef> judges, int samplesPerScenario,
                           int control, long seed, Models models) implements Stage {
    /** Sampling temperature of an LLM teacher. */
    static final double TEACHER_TEMPERATURE = 0.7;

    public DistillStage { judges = List.copyOf(judges); }

    @Override public String name() { return "distill"; }
    @Override public String describe() {
        return "deliberations by " + teacher.text() + " through the quality gates" + (judges.isEmpty() ? "" : " with judges " + judges.stream().map(ModelRef::text).toList());
    }
    @Override public List<String> reads() { return List.of(Artifacts.SCENARIOS); }
    @Override public List<String> writes() { return List.of(Artifacts.DISTILL); }
    /** 2: the scripted teacher quotes the taxonomy's cue words; its compact reasoning names the stated factor that would change the decision. */
    @Override public int version() { return 2; }

    @Override public Map<String, Object> config() {
        StageConfig c = StageConfig.create().put("constitution", Artifacts.identity(constitution)).put("seed", seed)
                .put("teacher", models.identity(teacher)).put("teacher.verbosity", verbosity.name())
                .put("judges", judges.stream().map(models::identity).toList()).put("samples_per_scenario", samplesPerScenario)
                .put("scenarios.control", control).record("gates", GatesConfig.defaults());
        if (!(teacher instanceof ModelRef.Scripted)) c.put("teacher.temperature", TEACHER_TEMPERATURE);
        return c.build();
    }

    @Override public void run(RunDirectory dir, Progress progress) {
        Artifacts.Pool p = Artifacts.pool(dir, control);
        // the scripted teacher quotes the cue words the scenario stage wrote, as `phronesis distill` does
        Teacher t = teacher instanceof ModelRef.Scripted ? new ScriptedTeacher(constitution, verbosity, seed, ScriptedTeacher.taxonomyCues(dir.path(Artifacts.SCENARIOS)))
                : new LlmTeacher(models.journaled(teacher), constitution, verbosity, TEACHER_TEMPERATURE, seed);
        List<Judge> js = new ArrayList<>();
        for (ModelRef j : judges) js.add(new LlmJudge(models.journaled(j), constitution));
        Distiller.Options o = Distiller.Options.defaults().withSamples(samplesPerScenario).withReferences(p.heldout());
        Distiller.Result r = Distiller.run(p.train(), constitution, t, js, GatesConfig.defaults(), dir.path(Artifacts.DISTILL),
                (stage, done, total) -> progress.update("distill: " + stage, done, total), o);
        progress.message(String.format("  distill: %d scenarios, %d samples, %d accepted by the gates", r.scenarios(), r.samples(), r.accepted()));
        if (r.unavailable() > 0) {
            // nothing of a failed call was cached; the stage is left unfinished so that a rerun retries exactly those calls
            throw new UserError(String.format("distill: %d teacher/judge calls failed and were not cached (rerun to retry them), e.g. %s",
                    r.unavailable(), String.valueOf(r.firstUnavailable()).lines().findFirst().orElse("")), 1);
        }
        if (r.accepted() == 0) throw new UserError("no sample passed the gates; see " + dir.path(Artifacts.DISTILL) + " (phronesis distill report)");
    }
}
