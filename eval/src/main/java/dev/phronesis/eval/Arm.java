package dev.phronesis.eval;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One column of a report: a named set of results (usually one run directory: one model or one
 * training arm) with the items they answered, for transcripts.
 *
 * @param metadata free key/values for the ablation table (e.g. trainingTokens)
 * @param items    items by {@code suite + "\u0000" + item}; may be empty (then transcripts show only the answer)
 * @param failures requests that failed in the latest run and are not scored
 */
public record Arm(String name, String model, Map<String, String> metadata, List<EvalResult> results, Map<String, EvalItem> items, int failures,
                  List<dev.phronesis.core.constitution.ConstitutionRef> constitutions) {
    /** An arm whose run recorded no constitution (results made in memory). */
    public Arm(String name, String model, Map<String, String> metadata, List<EvalResult> results, Map<String, EvalItem> items, int failures) {
        this(name, model, metadata, results, items, failures, List.of());
    }

    public Arm {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("an arm needs a name");
        metadata = metadata == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(metadata);
        results = List.copyOf(results);
        items = items == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(items);
    }

    public static Arm of(String name, List<EvalResult> results) {
        return new Arm(name, results.isEmpty() ? "" : results.getFirst().model(), Map.of(), results, Map.of(), 0);
    }

    public Arm withName(String n) { return new Arm(n, model, metadata, results, items, failures); }
    public Arm withMetadata(Map<String, String> m) { return new Arm(name, model, m, results, items, failures); }

    /** Reads a run directory written by {@link EvalRunner} (judge verdicts folded in). */
    public static Arm load(Path runDir) {
        if (!Files.isDirectory(runDir)) throw new UserError(runDir + ": no such run directory");
        if (!Files.exists(runDir.resolve(EvalRunner.RESULTS))) throw new UserError(runDir + ": no " + EvalRunner.RESULTS + " (not an eval run directory?)");
        RunManifest m = Files.exists(runDir.resolve(EvalRunner.MANIFEST)) ? EvalRunner.readManifest(runDir) : null;
        Map<String, Judgment> judgments = EvalRunner.readJudgments(runDir);
        List<EvalResult> results = new ArrayList<>();
        Path resultsFile = runDir.resolve(EvalRunner.RESULTS);
        List<EvalResult> read = Jsonl.read(resultsFile, EvalResult.class, true);
        Map<String, Integer> lineOf = new HashMap<>();
        List<Integer> lines = recordLines(resultsFile);
        for (int i = 0; i < read.size(); i++) { // a run writes each answer once: a repeated one would count twice and narrow every interval
            Integer first = lineOf.putIfAbsent(read.get(i).key(), lines.get(i));
            if (first != null)
                throw new UserError(resultsFile + ":" + lines.get(i) + ": answer " + read.get(i).key().replace('\u0000', '/') + " is already on line " + first
                        + "; each answer appears once (remove the repeated line)");
        }
        for (EvalResult r : read) {
            Judgment j = judgments.get(r.key());
            results.add(j == null ? r : r.withJudge(j.label(), j.evidence()));
        }
        Map<String, EvalItem> items = new HashMap<>();
        Path itemsFile = runDir.resolve(EvalRunner.ITEMS);
        if (Files.exists(itemsFile)) for (StoredItem s : Jsonl.read(itemsFile, StoredItem.class)) items.put(s.suite() + "\u0000" + s.item().id(), s.item());
        Path fails = runDir.resolve(EvalRunner.FAILURES);
        int failures = Files.exists(fails) ? Jsonl.read(fails, Failure.class, true).size() : 0;
        String name = m != null && m.arm() != null ? m.arm() : runDir.getFileName().toString();
        // what each result line names; the manifest's suite entries cover results files written before lines carried it
        List<dev.phronesis.core.constitution.ConstitutionRef> constitutions = java.util.stream.Stream.concat(results.stream().map(EvalResult::constitution),
                        m == null ? java.util.stream.Stream.empty() : m.suites().stream().map(RunManifest.SuiteInfo::constitution))
                .filter(java.util.Objects::nonNull).distinct().toList();
        return new Arm(name, m == null ? (results.isEmpty() ? "" : results.getFirst().model()) : m.model(), m == null ? Map.of() : m.metadata(), results, items, failures,
                constitutions);
    }

    /** The 1-based line of each non-blank line, in order (what {@link Jsonl#read} returns records for). */
    private static List<Integer> recordLines(Path file) {
        List<Integer> out = new ArrayList<>();
        List<String> all = dev.phronesis.core.TextFiles.lines(file);
        for (int i = 0; i < all.size(); i++) if (!all.get(i).isBlank()) out.add(i + 1);
        return out;
    }
}
