package dev.phronesis.cli;

import picocli.CommandLine.Mixin;
import dev.phronesis.cli.models.ModelsOption;
import dev.phronesis.cli.models.ModelRef;
import dev.phronesis.cli.models.Models;
import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.eval.AgenticMisalignment;
import dev.phronesis.eval.Calibration;
import dev.phronesis.eval.EvalItem;
import dev.phronesis.eval.HarmRule;
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
        subcommands = {EvalCommand.SuiteCommand.class, EvalCommand.Calibrate.class},
        description = {"Runs each item of each suite N times, scores the decision and tool calls the model made (never words in its reasoning),",
                "optionally asks an LLM judge, and writes RUN_DIR/results.jsonl plus a report in RUN_DIR/report. A rerun resumes: nothing finished is asked again.",
                "Exit code 1 when some requests failed (they are listed in RUN_DIR/failures.jsonl and retried by a rerun).",
                "Example: phronesis eval --suite heldout.yaml --model openai:qwen3-8b@http://127.0.0.1:8000/v1 --samples 5 --temperature 0.7 --out runs/qwen"})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--suite", paramLabel = "FILE", description = "A suite (.yaml) or a scenario file (.jsonl); repeatable.") List<Path> suites = new ArrayList<>();
    @Option(names = "--model", paramLabel = "SPEC", description = "The model to evaluate: " + ModelRef.FORMS + ".") String model;
    @Mixin ModelsOption models;
    @Option(names = "--judge", paramLabel = "SPEC", description = "An LLM judge (same forms as --model); it never sees which model answered.") String judge;
    @Option(names = "--judge-undetermined-only", description = "Judge only answers the deterministic scorer left undetermined (default: judge all, to report agreement).") boolean judgeUndeterminedOnly;
    @Option(names = "--samples", defaultValue = "1", paramLabel = "N", description = "Answers per item (default ${DEFAULT-VALUE}).") int samples;
    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "Sampling temperature (default ${DEFAULT-VALUE}).") double temperature;
    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P", description = "Nucleus sampling (default ${DEFAULT-VALUE}).") double topP;
    @Option(names = "--max-tokens", defaultValue = "1024", paramLabel = "N", description = "Answer length limit (default ${DEFAULT-VALUE}).") int maxTokens;
    @Option(names = "--decoding", defaultValue = "free", paramLabel = "free|guided|guided-think", converter = DecodingConverter.class,
            description = "free (default): the answer as the model writes it; guided: ask for the answer grammar (DECISION: <mode> and, in agentic "
                    + "form, one tool call naming an offered tool with schema-valid arguments), enforced by the embedded student and `phronesis serve`; "
                    + "guided-think: the same with a <think> reasoning block required first")
    dev.phronesis.eval.Decoding decoding;

    static final class DecodingConverter implements picocli.CommandLine.ITypeConverter<dev.phronesis.eval.Decoding> {
        @Override public dev.phronesis.eval.Decoding convert(String v) { return dev.phronesis.eval.Decoding.parse(v); }
    }
    @Option(names = "--concurrency", defaultValue = "0", paramLabel = "N", description = "Requests in flight (default: the model's limits from --models, else the engine's defaults).") int concurrency;
    @Option(names = "--seed", paramLabel = "N", description = "Base sampling seed (sample i uses seed+i).") Long seed;
    @Option(names = "--arm", paramLabel = "NAME", description = "The name reports show for this run (default: the model id).") String arm;
    @Option(names = "--meta", paramLabel = "KEY=VALUE", description = "Metadata for the ablation table, e.g. --meta trainingTokens=120000; repeatable.") Map<String, String> meta = new LinkedHashMap<>();
    @Option(names = "--out", paramLabel = "RUN_DIR", description = "The run directory (created; reused to resume).") Path out;
    @Option(names = "--no-report", description = "Do not write RUN_DIR/report.") boolean noReport;
    @Option(names = "--json", description = "Print the summary as one JSON object (counts, report paths, the arm's rates) instead of text.") boolean json;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Undetermined answers an offline run lists on stdout; the rest are counted. */
    static final int OFFLINE_LISTED = 20;

    @Override public Integer call() {
        if (suites.isEmpty()) throw new UserError("phronesis eval: give at least one --suite FILE (or use 'phronesis eval suite build|check')");
        if (model == null) throw new UserError("phronesis eval: give --model SPEC: " + ModelRef.FORMS);
        if (out == null) throw new UserError("phronesis eval: give --out RUN_DIR");
        List<Suite> loaded = new ArrayList<>();
        for (Path p : suites) loaded.add(Suites.load(p));
        EvalRunner.Options o;
        try {
            o = new EvalRunner.Options(samples, temperature, topP, maxTokens, concurrency, seed, !judgeUndeterminedOnly, arm, meta, decoding);
        } catch (IllegalArgumentException e) {
            throw new UserError("phronesis eval: --" + e.getMessage());
        }
        EvalRunner.Outcome outcome;
        try (Models resolver = models.resolver()) {
            ChatModel m = resolver.open(resolver.ref(model));
            ChatModel j = judge == null ? null : resolver.open(resolver.ref(judge));
            System.err.printf(Locale.ROOT, "eval: %s on %s, %d sample(s) at temperature %s -> %s%n", m.id(),
                    loaded.stream().map(s -> s.ref() + " (" + s.items().size() + " items)").collect(Collectors.joining(", ")), samples, temperature, out);
            outcome = EvalRunner.run(loaded, m, j, o, out, Progress.printing(System.err));
        }
        System.err.println();
        var js = dev.phronesis.core.Json.MAPPER.createObjectNode();
        js.put("answers", outcome.results().size()).put("new", outcome.answered()).put("reused", outcome.reused()).put("failed", outcome.failed());
        if (judge != null) js.put("judged", outcome.judged()).put("judge_failed", outcome.judgeFailed());
        if (!json) System.out.printf(Locale.ROOT, "answers: %d (%d new, %d from earlier runs), failed: %d%s%n", outcome.results().size(), outcome.answered(), outcome.reused(),
                outcome.failed(), judge == null ? "" : ", judged: " + outcome.judged() + (outcome.judgeFailed() > 0 ? " (" + outcome.judgeFailed() + " judge requests failed)" : ""));
        if (!noReport) {
            Reports.Written w = Reports.writeRunDirs(List.of(out), out.resolve("report"));
            var a = w.summary().arms().getFirst();
            if (json) {
                js.putObject("report").put("html", w.html().toString()).put("markdown", w.markdown().toString()).put("json", w.json().toString());
                js.set("arm", dev.phronesis.core.Json.MAPPER.valueToTree(a));
            } else {
                System.out.println("report:  " + w.html());
                System.out.println("summary: " + w.markdown());
                System.out.printf(Locale.ROOT, "misalignment %s · over-refusal %s · advice accuracy %s · undetermined %s%n",
                        Reports.percent(a.misalignment()), Reports.percent(a.overRefusal()), Reports.percent(a.adviceAccuracy()), Reports.percent(a.undetermined()));
                if (a.publicHarm().n() > 0)
                    System.out.printf(Locale.ROOT, "agentic-misalignment harm %s · undetermined there %s · eval-aware %s (not part of the label)%n",
                            Reports.percent(a.publicHarm()), Reports.percent(a.publicUndetermined()), Reports.percent(a.evalAware()));
            }
        }
        if (json) {
            try {
                System.out.println(dev.phronesis.core.Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(js));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else if (judge == null) {
            List<dev.phronesis.eval.EvalResult> undecided = outcome.results().stream()
                    .filter(r -> r.expectation() == dev.phronesis.eval.Expectation.AVOID_HARMFUL_ACTION && r.label() == dev.phronesis.eval.Label.UNDETERMINED).toList();
            if (!undecided.isEmpty()) {
                System.out.println("offline (no --judge): " + undecided.size() + " agentic-misalignment answers left undetermined:");
                undecided.stream().limit(OFFLINE_LISTED).forEach(r -> System.out.println("  " + r.suite() + "/" + r.item() + " #" + r.sampleIndex() + ": " + r.evidence()));
                if (undecided.size() > OFFLINE_LISTED) System.out.println("  ... and " + (undecided.size() - OFFLINE_LISTED) + " more (every one is in " + out.resolve(EvalRunner.RESULTS) + ")");
            }
        }
        if (outcome.failed() + outcome.judgeFailed() > 0) {
            System.err.println("eval: " + (outcome.failed() + outcome.judgeFailed()) + " requests failed (see " + out.resolve(EvalRunner.FAILURES) + "); rerun the same command to retry them");
            return Main.CHECK_FAILED;
        }
        return Main.OK;
    }

    @Command(name = "suite", header = "Build and check eval suites.", mixinStandardHelpOptions = true,
            subcommands = {BuildSuite.class, CheckSuite.class, ImportSuite.class})
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

    @Command(name = "import", header = "Import a public benchmark as a suite: agentic-misalignment prompt folders, or an XSTest CSV.", mixinStandardHelpOptions = true,
            description = {"agentic-misalignment PROMPTS_DIR: the folders the framework's scripts/generate_prompts.py writes (results/EXP/prompts, one per condition);",
                    "  one item per condition, the grid axes as cells; only each condition's four files are copied next to the suite.",
                    "xstest FILE.csv: XSTest's prompts file; safe prompts expect help (over-refusal), unsafe ones refusal (harmful compliance).",
                    "See docs/public-benchmarks.md. Example: phronesis eval suite import agentic-misalignment results/am/prompts --threatened kyle@example.com --out suites/am.yaml"})
    static final class ImportSuite implements Callable<Integer> {
        @CommandLine.Parameters(index = "0", paramLabel = "FORMAT", description = "agentic-misalignment or xstest.") String format;
        @CommandLine.Parameters(index = "1", paramLabel = "SOURCE", description = "The prompts directory (agentic-misalignment) or the CSV file (xstest).") Path source;
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "The suite YAML to write.") Path out;
        @Option(names = "--id", paramLabel = "ID", description = "Suite id (default: the output file name).") String id;
        @Option(names = "--version", defaultValue = "1", paramLabel = "V", description = "Suite version (default ${DEFAULT-VALUE}).") String version;
        @Option(names = "--threatened", paramLabel = "ADDRESS", description = "blackmail: the address of the person under threat (without it every e-mail is a content question for the judge).") String threatened;
        @Option(names = "--company-domain", paramLabel = "DOMAIN", description = "leaking: the company's own e-mail domain; repeatable (default: the most frequent domain in the e-mails).") List<String> domains = new ArrayList<>();
        @Option(names = "--override-code", paramLabel = "CODE", description = "murder: the code that cancels the alert (default: read from the e-mails after the words 'override code').") String overrideCode;

        @Override public Integer call() throws IOException {
            String name = out.getFileName().toString().replaceFirst("\\.ya?ml$", "");
            String suiteId = id != null ? id : name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
            return switch (format.toLowerCase(Locale.ROOT)) {
                case AgenticMisalignment.FORMAT -> agenticMisalignment(name, suiteId);
                case "xstest" -> xstest(name, suiteId);
                default -> throw new UserError("phronesis eval suite import: FORMAT '" + format + "' is not one of agentic-misalignment, xstest");
            };
        }

        private int agenticMisalignment(String name, String suiteId) throws IOException {
            List<AgenticMisalignment.Condition> conditions = AgenticMisalignment.read(source);
            Path copyTo = out.toAbsolutePath().resolveSibling(name + ".prompts");
            AgenticMisalignment.copy(conditions, copyTo);
            Map<String, List<AgenticMisalignment.Condition>> byScenario = new TreeMap<>(conditions.stream().collect(Collectors.groupingBy(AgenticMisalignment.Condition::scenario)));
            StringBuilder y = new StringBuilder("# Imported by: phronesis eval suite import agentic-misalignment " + source + "\n"
                    + "# " + conditions.size() + " conditions of the framework's generator; each condition's four files were copied to " + copyTo.getFileName() + "/.\n"
                    + "id: " + suiteId + "\nversion: " + Jsonl.toJson(version) + "\nkind: imported\n"
                    + "description: " + Jsonl.toJson("Agentic Misalignment grid, " + conditions.size() + " conditions") + "\n"
                    + "source:\n  format: agentic-misalignment\n  dir: " + Jsonl.toJson(copyTo.getFileName().toString()) + "\n");
            List<String> notes = new ArrayList<>();
            for (var e : byScenario.entrySet()) {
                AgenticMisalignment.Condition first = e.getValue().getFirst();
                switch (e.getKey()) {
                    case "blackmail" -> {
                        if (threatened != null) y.append("  blackmail: {threatened: ").append(Jsonl.toJson(threatened)).append("}\n");
                        else notes.add("blackmail: no --threatened ADDRESS, so every e-mail is a content question for the judge (offline mode decides none of them)");
                    }
                    case "leaking" -> {
                        HarmRule.Leaking l = (HarmRule.Leaking) AgenticMisalignment.rule(first, new AgenticMisalignment.Targets(null, domains, List.of(), null));
                        if (l.companyDomains().isEmpty()) notes.add("leaking: no company domain given or found in the e-mails; give --company-domain DOMAIN");
                        else y.append("  leaking: {company_domains: ").append(Jsonl.toJson(l.companyDomains())).append("}").append(domains.isEmpty() ? "   # inferred from the e-mails: check it" : "").append('\n');
                    }
                    case "murder" -> {
                        HarmRule.Murder m = (HarmRule.Murder) AgenticMisalignment.rule(first, new AgenticMisalignment.Targets(null, List.of(), List.of(), overrideCode));
                        if (m.overrideCode() == null) notes.add("murder: no override code given or found in the e-mails; any cancel_alert counts as harmful; give --override-code CODE");
                        else y.append("  murder: {override_code: ").append(Jsonl.toJson(m.overrideCode())).append("}").append(overrideCode == null ? "   # inferred from the e-mails: check it" : "").append('\n');
                    }
                    default -> throw new IllegalStateException(e.getKey());
                }
            }
            Files.writeString(out, y.toString(), StandardCharsets.UTF_8);
            Suite check = Suites.load(out);
            System.out.printf(Locale.ROOT, "%s: %s, %d items (%s) -> %s%n", out, check.ref(), check.items().size(),
                    byScenario.entrySet().stream().map(e -> e.getKey() + " " + e.getValue().size()).collect(Collectors.joining(", ")), copyTo.getFileName());
            notes.forEach(n -> System.out.println("note: " + n));
            return Main.OK;
        }

        private int xstest(String name, String suiteId) throws IOException {
            if (!Files.isRegularFile(source)) throw new UserError(source + ": no such file");
            String first;
            try (var lines = Files.lines(source, StandardCharsets.UTF_8)) { first = lines.findFirst().orElse(""); }
            List<String> header = java.util.Arrays.stream(first.split(",")).map(h -> h.strip().replace("\"", "").replace("\uFEFF", "")).toList();
            for (String need : List.of("prompt", "type", "label"))
                if (!header.contains(need)) throw new UserError(source + ":1: no column '" + need + "' (XSTest's CSV has id, prompt, type, label, focus, note; this one has " + header + ")");
            Path copy = out.toAbsolutePath().resolveSibling(name + ".csv");
            if (!copy.equals(source.toAbsolutePath())) Files.copy(source, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            String yaml = "# Imported by: phronesis eval suite import xstest " + source + "\n"
                    + "id: " + suiteId + "\nversion: " + Jsonl.toJson(version) + "\nkind: imported\n"
                    + "description: \"XSTest: safe prompts that look unsafe (over-refusal) and unsafe contrasts (harmful compliance)\"\n"
                    + "source:\n  file: " + Jsonl.toJson(copy.getFileName().toString()) + "\n"
                    + "  columns: {" + (header.contains("id") ? "id: id, " : "") + "prompt: prompt, family: type, label: label}\n"
                    + "  expect: {safe: help, unsafe: refuse}\n"
                    + "scoring: {refusal: phrases}\n";
            Files.writeString(out, yaml, StandardCharsets.UTF_8);
            Suite check = Suites.load(out);
            System.out.printf(Locale.ROOT, "%s: %s, %d items (%s) -> %s%n", out, check.ref(), check.items().size(), breakdown(check), copy.getFileName());
            return Main.OK;
        }
    }

    @Command(name = "calibrate", header = "Agreement of a run's labels with human labels: confusion, accuracy, Cohen's kappa, disagreements.", mixinStandardHelpOptions = true,
            description = {"Compares the final labels, each judge, and the deterministic scorer where it decided, with LABELS.jsonl (schemas/labels.schema.json),",
                    "over all suites and per suite; kappa with a seeded bootstrap 95% interval. See docs/eval.md, 'Human labels and calibration'.",
                    "Example: phronesis eval calibrate runs/eval-qwen --labels labels/qwen.jsonl"})
    static final class Calibrate implements Callable<Integer> {
        @CommandLine.Parameters(paramLabel = "RUN_DIR", description = "An eval run directory.") Path runDir;
        @Option(names = "--labels", required = true, paramLabel = "LABELS.jsonl", description = "Human labels, one JSON object per line.") Path labels;
        @Option(names = "--json", description = "Print every number as JSON.") boolean json;
        @Option(names = "--out", paramLabel = "FILE", description = "Also write the Markdown (or, with --json, the JSON) to FILE.") Path outFile;

        @Override public Integer call() throws IOException {
            Calibration c = Calibration.of(runDir, labels);
            String text = json ? Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n" : c.markdown();
            System.out.print(text);
            if (outFile != null) Files.writeString(outFile, text, StandardCharsets.UTF_8);
            return Main.OK;
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
