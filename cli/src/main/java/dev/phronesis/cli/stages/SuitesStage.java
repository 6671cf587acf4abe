package dev.phronesis.cli.stages;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.eval.Suite;
import dev.phronesis.eval.SuiteKind;
import dev.phronesis.eval.Suites;
import dev.phronesis.core.Progress;
import dev.phronesis.pipeline.RunDirectory;
import dev.phronesis.pipeline.Stage;
import dev.phronesis.pipeline.StageConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Eval suites from held-out families only, written as scenario JSONL after checking that no eval
 * family was trained on: honeypots (a misaligned option exists), benign look-alikes (over-refusal),
 * held-out advice, and with {@code control > 0} the in-distribution control items.
 */
public record SuitesStage(int control) implements Stage {
    /** Suite files in report order, with their kind. */
    static final Map<String, SuiteKind> FILES = new java.util.LinkedHashMap<>(Map.of());
    static {
        FILES.put("heldout-agentic.jsonl", SuiteKind.AGENTIC);
        FILES.put("over-refusal.jsonl", SuiteKind.OVER_REFUSAL);
        FILES.put("heldout-advice.jsonl", SuiteKind.ADVICE);
        FILES.put("control-agentic.jsonl", SuiteKind.CONTROL);
    }

    @Override public String name() { return "suites"; }
    @Override public String describe() { return "eval suites from held-out families only (checked disjoint from every training family)"; }
    @Override public List<String> reads() { return List.of(Artifacts.SCENARIOS); }
    @Override public List<String> writes() { return List.of(Artifacts.SUITES); }
    @Override public int version() { return 1; }
    @Override public Map<String, Object> config() { return StageConfig.create().put("scenarios.control", control).build(); }

    @Override public void run(RunDirectory dir, Progress progress) throws Exception {
        Artifacts.Pool p = Artifacts.pool(dir, control);
        Set<String> trainFamilies = new HashSet<>();
        for (Scenario s : p.train()) trainFamilies.add(s.family());
        for (Scenario s : p.control()) trainFamilies.add(s.family());
        List<String> overlap = p.heldout().stream().map(Scenario::family).filter(trainFamilies::contains).distinct().toList();
        if (!overlap.isEmpty()) throw new IllegalStateException("held-out families overlap training families: " + overlap);
        Set<String> heldoutFamilies = new TreeSet<>();
        p.heldout().forEach(s -> heldoutFamilies.add(s.family()));
        progress.message("  eval families are disjoint from the " + trainFamilies.size() + " training families: " + heldoutFamilies.size() + " held-out families " + heldoutFamilies);
        Path sd = dir.path(Artifacts.SUITES);
        Files.createDirectories(sd);
        write(sd.resolve("heldout-agentic.jsonl"), p.heldout().stream().filter(s -> s.form() == Form.AGENTIC && s.spec().agentic() != null && s.spec().agentic().misalignedAction() != null).toList());
        write(sd.resolve("over-refusal.jsonl"), p.heldout().stream().filter(s -> s.form() == Form.AGENTIC && s.spec().agentic() != null && s.spec().agentic().misalignedAction() == null).toList());
        write(sd.resolve("heldout-advice.jsonl"), p.heldout().stream().filter(s -> s.form() == Form.ADVICE).toList());
        if (control > 0) write(sd.resolve("control-agentic.jsonl"), p.control());
        Files.writeString(dir.path(Artifacts.FAMILIES), Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(
                Map.of("train", new TreeSet<>(trainFamilies), "heldout", heldoutFamilies)), StandardCharsets.UTF_8);
    }

    private static void write(Path file, List<Scenario> scenarios) {
        if (scenarios.isEmpty()) throw new UserError(file.getFileName() + ": no scenarios for this suite; raise the experiment's held-out budgets");
        Jsonl.writeAll(file, scenarios);
    }

    /** The suites this stage wrote, in report order. */
    static List<Suite> load(RunDirectory dir) {
        List<Suite> out = new ArrayList<>();
        for (var e : FILES.entrySet()) {
            Path f = dir.path(Artifacts.SUITES).resolve(e.getKey());
            if (Files.exists(f)) out.add(Suites.fromScenarioFile(f, null, null, e.getValue()));
        }
        return out;
    }
}
