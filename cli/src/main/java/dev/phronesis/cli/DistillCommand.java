package dev.phronesis.cli;

import picocli.CommandLine.Mixin;
import dev.phronesis.cli.models.ModelsOption;
import dev.phronesis.cli.models.Models;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.data.distill.Distiller;
import dev.phronesis.data.distill.Funnel;
import dev.phronesis.core.records.GateName;
import dev.phronesis.data.distill.GatesConfig;
import dev.phronesis.data.distill.JournaledModel;
import dev.phronesis.data.distill.Judge;
import dev.phronesis.data.distill.LlmJudge;
import dev.phronesis.data.distill.LlmTeacher;
import dev.phronesis.core.Progress;
import dev.phronesis.data.distill.ScriptedJudge;
import dev.phronesis.data.distill.ScriptedTeacher;
import dev.phronesis.data.distill.Teacher;
import dev.phronesis.data.distill.TokenCounter;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.LlmEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "distill", header = "Distil deliberations from scenarios with a teacher, then filter them through the quality gates.",
        mixinStandardHelpOptions = true, subcommands = {DistillCommand.Report.class},
        description = {"Writes deliberations.jsonl, judgments.jsonl, verdicts.jsonl, accepted.jsonl and funnel.json into the run directory.",
                "Resumable: a rerun redoes nothing that finished and pays for no LLM call twice (the llm journal in the run directory).",
                "Examples:",
                "  phronesis distill --scenarios runs/s1 --teacher scripted --verbosity compact --judge scripted",
                "  phronesis distill --scenarios runs/s1 --teacher openai:qwen3-32b@http://127.0.0.1:8000/v1 --judge judge --models models.yaml"})
final class DistillCommand implements Callable<Integer> {
    @Option(names = "--scenarios", paramLabel = "RUN_DIR|FILE", description = "A run directory with scenarios.jsonl, or a scenarios JSONL file.") Path scenarios;
    @Option(names = "--out", paramLabel = "DIR", description = "Where to write (default: the scenarios run directory).") Path out;
    @Option(names = "--constitution", paramLabel = "FILE", defaultValue = "builtin:general", description = "Constitution YAML or builtin:NAME (default: ${DEFAULT-VALUE}).") String constitution;
    @Option(names = "--teacher", defaultValue = "scripted", paramLabel = "scripted|MODEL", description = "scripted (offline, default), a model name from --models, or BACKEND:MODEL[@URL].") String teacher;
    @Option(names = "--judge", paramLabel = "scripted|MODEL", description = "A judge for the panel (repeatable); none: the judge gate passes everything.") List<String> judges = new ArrayList<>();
    @Mixin ModelsOption models;
    @Option(names = "--verbosity", defaultValue = "full", description = "compact (about 60 words, for the organism) or full (default).") String verbosity;
    @Option(names = "--samples", defaultValue = "2", description = "Samples per scenario (default ${DEFAULT-VALUE}).") int samples;
    @Option(names = "--seed", defaultValue = "1", description = "Teacher seed (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--temperature", defaultValue = "0.7", description = "LLM teacher temperature (default ${DEFAULT-VALUE}).") double temperature;
    @Option(names = "--concurrency", defaultValue = "8", description = "Teacher/judge calls in flight (default ${DEFAULT-VALUE}).") int concurrency;
    @Option(names = "--gates", split = ",", paramLabel = "GATE", description = "Gates to run (default all): schema, calculator, length, contamination, self-consistency, judge.") List<String> gates;
    @Option(names = "--calculator-mismatch", defaultValue = "reject", description = "reject (default) or flag a decision that disagrees with its own factor levels.") String mismatch;
    @Option(names = "--judge-threshold", paramLabel = "CRITERION=N", description = "Lowest passing score for a rubric criterion (repeatable).") Map<String, Integer> thresholds = new LinkedHashMap<>();
    @Option(names = "--panel", defaultValue = "majority", description = "Judge panel rule: majority (default), unanimous or any.") String panel;
    @Option(names = "--min-agreement", defaultValue = "0.6", description = "Self-consistency: share of samples that must agree (default ${DEFAULT-VALUE}).") double minAgreement;
    @Option(names = "--against", paramLabel = "FILE", description = "Eval-suite scenarios (JSONL) that training prompts must not near-duplicate (repeatable).") List<Path> against = new ArrayList<>();
    @Option(names = "--near-duplicate", defaultValue = "0.7", description = "Word-shingle Jaccard at which a prompt counts as a near-duplicate (default ${DEFAULT-VALUE}).") double nearDup;
    @Option(names = "--min-reasoning-tokens", defaultValue = "8") int minReasoning;
    @Option(names = "--max-reasoning-tokens", defaultValue = "2048") int maxReasoning;
    @Option(names = "--max-response-tokens", defaultValue = "1024") int maxResponse;
    @Option(names = "--max-total-tokens", defaultValue = "6144") int maxTotal;
    @Option(names = "--tokenizer", paramLabel = "tokenizer.json", description = "Count tokens with this Hugging Face tokenizer (default: the approximate counter).") Path tokenizer;

    @Override public Integer call() {
        if (scenarios == null) throw new UserError("distill: --scenarios RUN_DIR is required (or use `phronesis distill report RUN_DIR`)");
        Path scenFile = Files.isDirectory(scenarios) ? scenarios.resolve(Distiller.SCENARIOS) : scenarios;
        Path runDir = out != null ? out : (Files.isDirectory(scenarios) ? scenarios : scenarios.toAbsolutePath().getParent());
        List<Scenario> scen = Jsonl.read(scenFile, Scenario.class);
        if (scen.isEmpty()) throw new UserError(scenFile + ": no scenarios");
        Constitution c = ConstitutionLoader.resolve(constitution);
        List<Integer> lines = new java.util.ArrayList<>();
        List<String> text = dev.phronesis.core.TextFiles.lines(scenFile);
        for (int i = 0; i < text.size(); i++) if (!text.get(i).isBlank()) lines.add(i + 1);
        Distiller.checkInputs(scen, c, i -> scenFile + ":" + lines.get(i) + ": scenario " + scen.get(i).id());
        Verbosity v = Verbosity.parse(verbosity);
        GatesConfig cfg = GatesConfig.defaults()
                .withOnCalculatorMismatch(switch (mismatch.toLowerCase(Locale.ROOT)) {
                    case "reject" -> GatesConfig.OnMismatch.REJECT;
                    case "flag" -> GatesConfig.OnMismatch.FLAG;
                    default -> throw new UserError("--calculator-mismatch: '" + mismatch + "' is not reject or flag");
                })
                .withJudge(thresholds, switch (panel.toLowerCase(Locale.ROOT)) {
                    case "majority" -> GatesConfig.PanelRule.MAJORITY;
                    case "unanimous" -> GatesConfig.PanelRule.UNANIMOUS;
                    case "any" -> GatesConfig.PanelRule.ANY;
                    default -> throw new UserError("--panel: '" + panel + "' is not majority, unanimous or any");
                })
                .withMinAgreement(minAgreement).withContamination(nearDup, 5).withLengths(minReasoning, maxReasoning, maxResponse, maxTotal);
        if (gates != null) {
            EnumSet<GateName> set = EnumSet.noneOf(GateName.class);
            for (String g : gates) set.add(GateName.parse(g));
            cfg = cfg.withEnabled(set);
        }
        List<Scenario> refs = new ArrayList<>();
        for (Path p : against) refs.addAll(Jsonl.read(p, Scenario.class));
        var opt = Distiller.Options.defaults().withSamples(samples).withConcurrency(concurrency).withTokenCounter(TokenCounter.of(tokenizer)).withReferences(refs);
        try (Models resolver = models.resolver(runDir.resolve(LlmEngine.JOURNAL_FILE))) {
            Teacher t = teacher.equals("scripted") ? new ScriptedTeacher(c, v, seed, ScriptedTeacher.taxonomyCues(scenFile.toAbsolutePath().getParent()))
                    : new LlmTeacher(resolver.journaled(resolver.ref(teacher)), c, v, temperature, seed);
            List<Judge> js = new ArrayList<>();
            for (String j : judges) js.add(j.equals("scripted") ? new ScriptedJudge(c) : new LlmJudge(resolver.journaled(resolver.ref(j)), c));
            System.out.printf(Locale.ROOT, "distilling %d scenarios x %d samples with %s under %s%n", scen.size(), samples, t.id(), c.ref());
            var r = Distiller.run(scen, c, t, js, cfg, runDir, Progress.printing(System.out), opt);
            System.out.println();
            System.out.print(r.funnel().render());
            System.out.printf(Locale.ROOT, "%nnew deliberations %d, new verdicts %d%s%nwritten to %s%n", r.newDeliberations(), r.newVerdicts(),
                    r.unavailable() > 0 ? ", " + r.unavailable() + " calls failed (rerun to retry them)" : "", runDir);
            return r.unavailable() > 0 ? Main.CHECK_FAILED : Main.OK;
        }
    }

    @Command(name = "report", header = "Show the gate funnel of a distilled run: counts per gate and examples of each rejection reason.", mixinStandardHelpOptions = true)
    static final class Report implements Callable<Integer> {
        @Parameters(paramLabel = "RUN_DIR") Path runDir;
        @Option(names = "--json", description = "Print the funnel as JSON.") boolean json;

        @Override public Integer call() throws Exception {
            Funnel f = Funnel.of(runDir);
            if (json) System.out.println(Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(f));
            else {
                var m = Distiller.manifest(runDir);
                System.out.printf(Locale.ROOT, "run %s%nconstitution %s  teacher %s  judges %s%n%n", runDir, m.path("constitution").isObject() ? m.path("constitution").path("id").asText() + "@" + m.path("constitution").path("version").asText() + "#" + m.path("constitution").path("hash").asText().substring(0, Math.min(12, m.path("constitution").path("hash").asText().length())) : m.path("constitution").asText(), m.path("teacher").asText(), m.path("judges"));
                System.out.print(f.render());
            }
            return Main.OK;
        }
    }
}
