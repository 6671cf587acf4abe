package dev.phronesis.cli.stages;

import dev.phronesis.eval.Reports;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The report over every arm's eval (HTML, Markdown, JSON; the first arm is the baseline), plus an
 * optional page of the run's own ({@link Addendum}, e.g. the organism's ablation notes).
 */
public record ReportStage(List<String> arms, Addendum addendum) implements Stage {
    /** More report pages written after the common report, with what they read and the settings they show. */
    public interface Addendum {
        List<String> reads();

        Map<String, Object> config();

        void write(RunDirectory dir, Reports.Written report) throws Exception;
    }

    public ReportStage { arms = List.copyOf(arms); }

    @Override public String name() { return "report"; }
    @Override public String describe() { return "report: rates with 95% CIs, comparisons with the first arm, charts, transcripts"; }

    @Override public List<String> reads() {
        List<String> r = new ArrayList<>();
        for (String a : arms) r.add(Artifacts.eval(a));
        if (addendum != null) r.addAll(addendum.reads());
        return r;
    }

    @Override public List<String> writes() { return List.of(Artifacts.REPORT); }
    @Override public int version() { return 6; } // 2: held-out honeypots by dilemma kind; 3: copies-the-prompt reads the tool block and compares words; 4: slices by thinking first, benign slices; 5: garbled reasoning kind; 6: whether the reasoning quotes its prompt

    @Override public Map<String, Object> config() {
        StageConfig c = StageConfig.create().put("arms", arms);
        if (addendum != null) addendum.config().forEach(c::put);
        return c.build();
    }

    @Override public void run(RunDirectory dir, Progress progress) throws Exception {
        List<Path> runs = arms.stream().map(a -> dir.path(Artifacts.eval(a))).toList();
        Reports.Written w = Reports.writeRunDirs(runs, dir.path(Artifacts.REPORT));
        if (addendum != null) addendum.write(dir, w);
    }
}
