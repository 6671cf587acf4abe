package dev.phronesis.cli;

import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.eval.EvalItem;
import dev.phronesis.eval.EvalRunner;
import dev.phronesis.eval.Reports;
import dev.phronesis.eval.Suite;
import dev.phronesis.eval.SuiteKind;
import dev.phronesis.eval.Suites;
import dev.phronesis.llm.ChatModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;

@Command(name = "eval", header = "Run eval suites against a model, score every answer and write a report.",
        mixinStandardHelpOptions = true,
        subcommands = {EvalCommand.SuiteCommand.class},
        description = {"Runs each item of each suite N times, scores the decision and tool calls the model made (never words in its reasoning),",
                "optionally asks an LLM judge, and writes RUN_DIR/results.jsonl plus a report in RUN_DIR/report. A rerun resumes: nothing finished is asked again.",
                "Exit code 1 when some requests failed (they are listed in RUN_DIR/failures.jsonl and retried by a rerun).",
                "Example: phronesis eval --suite heldout.yaml --model openai:qwen3-8b@http://127.0.0.1:8000/v1 --samples 5 --temperature 0.7 --out runs/qwen"})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--suite", paramLabel = "FILE", description = "A suite (.yaml) or a scenario file (.jsonl); repeatable.") List<Path> suites = new ArrayList<>();
    @Option(names = "--model", paramLabel = "SPEC", description = "The model to evaluate: " + EvalModels.FORMS + ".") String model;
    @Option(names = "--models", paramLabel = "FILE", description = "A models.yaml catalog for named models.") Path modelsFile;
    @Option(names = "--judge", paramLabel = "SPEC", description = "An LLM judge (same forms as --model); it never sees which model answered.") String judge;
    @Option(names = "--judge-undetermined-only", description = "Judge only answers the deterministic scorer left undetermined (default: judge all, to report agreement).") boolean judgeUndeterminedOnly;
    @Option(names = "--samples", defaultValue = "1", paramLabel = "N", description = "Answers per item (default ${DEFAULT-VALUE}).") int samples;
    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "Sampling temperature (default ${DEFAULT-VALUE}).") double temperature;
    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P", description = "Nucleus sampling (default ${DEFAULT-VALUE}).") double topP;
    @Option(names = "--max-tokens", defaultValue = "1024", paramLabel = "N", description = "Answer length limit (default ${DEFAULT-VALUE}).") int maxTokens;
    @Option(names = "--concurrency", defaultValue = "0", paramLabel = "N", description = "Requests in flight (default: the model's limits from --models, else the engine's defaults).") int concurrency;
    @Option(names = "--seed", paramLabel = "N", description = "Base sampling seed (sample i uses seed+i).") Long seed;
    @Option(names = "--arm", paramLabel = "NAME", description = "The name reports show for this run (default: the model id).") String arm;
    @Option(names = "--meta", paramLabel = "KEY=VALUE", description = "Metadata for the ablation table, e.g. --meta trainingTokens=120000; repeatable.") Map<String, String> meta = new LinkedHashMap<>();
    @Option(names = "--out", paramLabel = "RUN_DIR", description = "The run directory (created; reused to resume).") Path out;
    @Option(names = "--no-report", description = "Do not write RUN_DIR/report.") boolean noReport;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        if (suites.isEmpty()) throw new UserError("phronesis eval: give at least one --suite FILE (or use 'phronesis eval suite build|check')");
        if (model == null) throw new UserError("phronesis eval: give --model SPEC: " + EvalModels.FORMS);
        if (out == null) throw new UserError("phronesis eval: give --out RUN_DIR");
        List<Suite> loaded = new ArrayList<>();
        for (Path p : suites) loaded.add(Suites.load(p));
        EvalRunner.Options o;
        try {
            o = new EvalRunner.Options(samples, temperature, topP, maxTokens, concurrency, seed, !judgeUndeterminedOnly, arm, meta);
        } catch (IllegalArgumentException e) {
            throw new UserError("phronesis eval: --" + e.getMessage());
        }
        EvalRunner.Outcome outcome;
        try (ChatModel m = EvalModels.open(model, modelsFile); ChatModel j = judge == null ? null : EvalModels.open(judge, modelsFile)) {
            System.err.printf(Locale.ROOT, "eval: %s on %s, %d sample(s) at temperature %s -> %s%n", m.id(),
                    loaded.stream().map(s -> s.ref() + " (" + s.items().size() + " items)").collect(Collectors.joining(", ")), samples, temperature, out);
            outcome = EvalRunner.run(loaded, m, j, o, out, Progress.printing(System.err));
        }
        System.err.println();
        System.out.printf(Locale.ROOT, "answers: %d (%d new, %d from earlier runs), failed: %d%s%n", outcome.results().size(), outcome.answered(), outcome.reused(),
                outcome.failed(), judge == null ? "" : ", judged: " + outcome.judged() + (outcome.judgeFailed() > 0 ? " (" + outcome.judgeFailed() + " judge requests failed)" : ""));
        if (!noReport) {
            Reports.Written w = Reports.writeRunDirs(List.of(out), out.resolve("report"));
            System.out.println("report:  " + w.html());
            System.out.println("summary: " + w.markdown());
            var a = w.summary().arms().getFirst();
            System.out.printf(Locale.ROOT, "misalignment %s · over-refusal %s · advice accuracy %s · undetermined %s%n",
                    Reports.percent(a.misalignment()), Reports.percent(a.overRefusal()), Reports.percent(a.adviceAccuracy()), Reports.percent(a.undetermined()));
        }
        if (outcome.failed() + outcome.judgeFailed() > 0) {
            System.err.println("eval: " + (outcome.failed() + outcome.judgeFailed()) + " requests failed (see " + out.resolve(EvalRunner.FAILURES) + "); rerun the same command to retry them");
            return Main.CHECK_FAILED;
        }
        return Main.OK;
    }

    @Command(name = "suite", header = "Build and check eval suites.", mixinStandardHelpOptions = true,
            subcommands = {BuildSuite.class, CheckSuite.class})
    static final class SuiteCommand implements Runnable {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override public void run() { spec.commandLine().usage(System.out); }
    }

    @Command(name = "build", header = "Build a suite from a scenario file (e.g. the held-out agentic families).", mixinStandardHelpOptions = true,
            description = {"Copies the matching scenarios next to the suite file and writes a versioned suite YAML that refers to them.",
                    "Example: phronesis eval suite build --scenarios runs/x/scenarios.jsonl --split heldout --form agentic --kind agentic --out suites/heldout-agentic.yaml"})
    static final class BuildSuite implements Callable<Integer> {
        @Option(names = "--scenarios", required = true, paramLabel = "FILE", description = "Scenario JSONL (from 'phronesis scenarios generate').") Path scenarios;
        @Option(names = "--split", paramLabel = "SPLIT", description = "Keep only train, dev or heldout.") String split;
        @Option(names = "--form", paramLabel = "FORM", description = "Keep only advice or agentic.") String form;
        @Option(names = "--kind", paramLabel = "KIND", description = "agentic, advice, over-refusal or control (default: inferred).") String kind;
        @Option(names = "--id", paramLabel = "ID", description = "Suite id (default: the output file name).") String id;
        @Option(names = "--version", defaultValue = "1", paramLabel = "V", description = "Suite version (default ${DEFAULT-VALUE}).") String version;
        @Option(names = "--constitution", defaultValue = "builtin:general", paramLabel = "REF", description = "Constitution (default ${DEFAULT-VALUE}).") String constitution;
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "The suite YAML to write.") Path out;

        @Override public Integer call() throws IOException {
            Split sp = split == null ? null : parse(split, "--split", s -> Split.valueOf(s.toUpperCase(Locale.ROOT)), "train, dev, heldout");
            Form fm = form == null ? null : parse(form, "--form", s -> Form.valueOf(s.toUpperCase(Locale.ROOT)), "advice, agentic");
            SuiteKind k = kind == null ? null : parse(kind, "--kind", SuiteKind::parse, "agentic, advice, over-refusal, control");
            if (k == SuiteKind.IMPORTED) throw new UserError("--kind imported is for benchmark files; write the suite YAML by hand (see docs/eval.md)");
            Suite s = Suites.fromScenarioFile(scenarios, sp, fm, k);
            String name = out.getFileName().toString().replaceFirst("\\.ya?ml$", "");
            String suiteId = id != null ? id : name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
            Path data = out.toAbsolutePath().resolveSibling(name + ".scenarios.jsonl");
            List<String> keep = s.items().stream().map(EvalItem::id).toList();
            List<Scenario> all = Jsonl.read(scenarios, Scenario.class);
            List<Scenario> kept = all.stream().filter(x -> keep.contains(x.id())).toList();
            Jsonl.writeAll(data, kept);
            String yaml = "# Built by: phronesis eval suite build --scenarios " + scenarios + (sp == null ? "" : " --split " + sp.wire()) + (fm == null ? "" : " --form " + fm.wire()) + "\n"
                    + "id: " + suiteId + "\nversion: \"" + version + "\"\nkind: " + s.kind().wire() + "\n"
                    + "description: " + s.items().size() + " scenarios from " + scenarios.getFileName() + "\nconstitution: " + constitution + "\n"
                    + "scenarios: " + data.getFileName() + "\n";
            Files.writeString(out, yaml, StandardCharsets.UTF_8);
            Suite check = Suites.load(out);
            System.out.printf(Locale.ROOT, "%s: %s, %s, %d items (%s) -> %s%n", out, check.ref(), check.kind().wire(), check.items().size(), breakdown(check), data.getFileName());
            return Main.OK;
        }
    }

    @Command(name = "check", header = "Validate suite files and show what they contain.", mixinStandardHelpOptions = true)
    static final class CheckSuite implements Callable<Integer> {
        @CommandLine.Parameters(arity = "1..*", paramLabel = "FILE", description = "Suite YAML or scenario JSONL files.") List<Path> files;

        @Override public Integer call() {
            int bad = 0;
            for (Path f : files) {
                try {
                    Suite s = Suites.load(f);
                    System.out.printf(Locale.ROOT, "%s: ok — %s, %s, %d items (%s), constitution %s, hash %s%n", f, s.ref(), s.kind().wire(), s.items().size(),
                            breakdown(s), s.constitution(), s.hash().substring(0, 12));
                } catch (UserError e) {
                    System.err.println(e.getMessage());
                    bad++;
                }
            }
            return bad == 0 ? Main.OK : Main.CHECK_FAILED;
        }
    }

    static String breakdown(Suite s) {
        Map<String, Long> m = new TreeMap<>(s.items().stream().collect(Collectors.groupingBy(i -> i.form().wire() + "/" + i.expectation().wire(), Collectors.counting())));
        long families = s.items().stream().map(EvalItem::family).distinct().count();
        return m.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", ")) + "; " + families + " families";
    }

    static <T> T parse(String v, String flag, Function<String, T> f, String allowed) {
        try {
            return f.apply(v.trim());
        } catch (IllegalArgumentException e) {
            throw new UserError(flag + ": '" + v + "' is not one of " + allowed);
        }
    }
}
