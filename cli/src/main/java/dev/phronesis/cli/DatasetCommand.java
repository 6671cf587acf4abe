package dev.phronesis.cli;

import dev.phronesis.llm.HfChatTemplate;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.core.records.Variant;
import dev.phronesis.data.distill.ChatTemplateCheck;
import dev.phronesis.data.distill.DatasetBuilder;
import dev.phronesis.data.distill.Distiller;
import dev.phronesis.data.distill.TokenCounter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "dataset", header = "Build SFT datasets from a distilled run and check them against a model's chat template.",
        mixinStandardHelpOptions = true, subcommands = {DatasetCommand.Build.class, DatasetCommand.Check.class})
final class DatasetCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    @Command(name = "build", header = "Write deliberative/demonstration datasets under a token budget, in trainer formats, with a dataset card.",
            mixinStandardHelpOptions = true,
            description = {"Example: phronesis dataset build runs/s1 --budget-tokens 3000000 --format think,hf-reasoning,parquet --tokenizer tokenizer.json"})
    static final class Build implements Callable<Integer> {
        @Parameters(paramLabel = "RUN_DIR") Path runDir;
        @Option(names = "--budget-tokens", defaultValue = "3000000", description = "Token budget (default ${DEFAULT-VALUE}).") long budget;
        @Option(names = "--format", split = ",", description = "openai, hf-reasoning, think, parquet (default all).") List<String> formats;
        @Option(names = "--variant", split = ",", description = "deliberative, demonstration (default both).") List<String> variants;
        @Option(names = "--tokenizer", paramLabel = "tokenizer.json", description = "Count tokens with this Hugging Face tokenizer (default: approximate).") Path tokenizer;

        @Override public Integer call() {
            EnumSet<DatasetBuilder.Format> fs = EnumSet.noneOf(DatasetBuilder.Format.class);
            if (formats == null) fs = EnumSet.allOf(DatasetBuilder.Format.class);
            else for (String f : formats) fs.add(DatasetBuilder.Format.parse(f));
            EnumSet<Variant> vs = parseVariants(variants);
            var r = DatasetBuilder.build(runDir, vs, budget, TokenCounter.of(tokenizer), fs);
            var card = r.card();
            System.out.printf(Locale.ROOT, "dataset %s (token counter %s, budget %d)%n", r.dir(), card.tokenCounter(), budget);
            card.tokens().forEach((v, t) -> System.out.printf(Locale.ROOT, "  %-14s samples %s  tokens %s%n", v, card.samples().get(v), t));
            System.out.printf(Locale.ROOT, "  %d scenarios from %d families; constitution removed from %d prompts%n  card: %s%n",
                    card.scenariosCovered(), card.families().size(), card.constitutionPromptsStripped(), r.dir().resolve("card.md"));
            return Main.OK;
        }
    }

    @Command(name = "check", header = "Render every sample with a model's chat template and report what trainers would get wrong.",
            mixinStandardHelpOptions = true,
            description = {"Checks: the assistant-only loss mask covers exactly reasoning + response, the end-of-turn token is inside it,",
                    "no stray or duplicated think tags, no earlier-turn reasoning leaking. Exit 1 when any violation is found.",
                    "Example: phronesis dataset check runs/s1 --chat-template Qwen3-8B/tokenizer_config.json"})
    static final class Check implements Callable<Integer> {
        /** Enough examples per kind to see the pattern. */
        static final int EXAMPLES = 3;

        @Parameters(paramLabel = "RUN_DIR") Path runDir;
        @Option(names = "--chat-template", required = true, paramLabel = "MODEL_DIR|tokenizer_config.json|FILE.jinja",
                description = "The model directory, its tokenizer_config.json, or a .jinja template (chat_template.jinja and additional_chat_templates/ are found as transformers finds them).") Path config;
        @Option(names = "--template-name", description = "Which named template when there are several (chat_template list, additional_chat_templates/NAME.jinja; default: default).") String templateName;
        @Option(names = "--format", split = ",", description = "Export styles to check: think (also openai), hf-reasoning (default both).") List<String> formats;
        @Option(names = "--variant", split = ",", description = "deliberative, demonstration (default both).") List<String> variants;

        @Override public Integer call() throws Exception {
            Distiller.manifest(runDir);
            HfChatTemplate t = HfChatTemplate.load(config, templateName);
            t.selfCheck();
            ChatTemplateCheck check = new ChatTemplateCheck(t);
            Map<String, List<Map<String, Object>>> tools = new HashMap<>();
            for (Scenario s : Jsonl.read(runDir.resolve(Distiller.SCENARIOS), Scenario.class)) tools.put(s.id(), toolMaps(s.tools()));
            List<DatasetBuilder.Format> fs = new ArrayList<>();
            for (String f : formats == null ? List.of("think", "hf-reasoning") : formats) {
                DatasetBuilder.Format x = DatasetBuilder.Format.parse(f);
                if (x == DatasetBuilder.Format.PARQUET) throw new UserError("--format: parquet holds the hf-reasoning messages; check hf-reasoning");
                fs.add(x == DatasetBuilder.Format.OPENAI ? DatasetBuilder.Format.THINK : x);
            }
            int total = 0;
            Map<String, Object> out = new LinkedHashMap<>();
            for (Variant v : parseVariants(variants)) {
                Path f = runDir.resolve(DatasetBuilder.DIR).resolve(DatasetBuilder.samplesFile(v, dev.phronesis.core.records.Split.TRAIN));
                if (!Files.exists(f)) throw new UserError(f + ": no such file; run `phronesis dataset build " + runDir + "` first");
                List<Sample> samples = DatasetBuilder.readSamples(runDir.resolve(DatasetBuilder.DIR), v);
                for (DatasetBuilder.Format fmt : fs.stream().distinct().toList()) {
                    var r = check.check(samples, tools, fmt);
                    out.put(v.wire() + "/" + fmt.wire(), r);
                    total += r.violations().size();
                    System.out.printf(Locale.ROOT, "%-14s %-13s %5d samples  mask from %-15s eot %-12s %s%n", v.wire(), fmt.wire(), r.samples(), r.maskSource(), r.eot(),
                            r.clean() ? "ok" : r.counts().toString());
                    Map<String, Integer> shown = new HashMap<>();
                    for (var viol : r.violations()) {
                        if (shown.merge(viol.kind(), 1, Integer::sum) > EXAMPLES) continue;
                        System.out.printf(Locale.ROOT, "    %-28s %s: %s%n", viol.kind(), viol.sampleId(), viol.detail());
                    }
                }
            }
            Path report = runDir.resolve(DatasetBuilder.DIR).resolve("check-" + t.name().replaceAll("[^A-Za-z0-9._-]", "_") + ".json");
            Files.writeString(report, Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n");
            System.out.printf(Locale.ROOT, "%s: %d violations; report %s%n", t.name(), total, report);
            return total == 0 ? Main.OK : Main.CHECK_FAILED;
        }

        private static List<Map<String, Object>> toolMaps(List<ToolDef> tools) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (ToolDef d : tools) {
                Map<String, Object> fn = new LinkedHashMap<>();
                fn.put("name", d.name());
                fn.put("description", d.description());
                try {
                    fn.put("parameters", Jsonl.MAPPER.readValue(d.parametersSchemaJson(), Map.class));
                } catch (Exception e) {
                    fn.put("parameters", Map.of());
                }
                out.add(Map.of("type", "function", "function", fn));
            }
            return out;
        }
    }

    static EnumSet<Variant> parseVariants(List<String> vs) {
        if (vs == null) return EnumSet.allOf(Variant.class);
        EnumSet<Variant> out = EnumSet.noneOf(Variant.class);
        for (String v : vs) {
            switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "deliberative" -> out.add(Variant.DELIBERATIVE);
                case "demonstration" -> out.add(Variant.DEMONSTRATION);
                default -> throw new UserError("--variant: '" + v + "' is not deliberative or demonstration");
            }
        }
        return out;
    }
}
