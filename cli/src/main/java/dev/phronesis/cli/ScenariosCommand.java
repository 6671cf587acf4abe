package dev.phronesis.cli;

import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.yaml.YamlDocs;
import dev.phronesis.data.scenario.DiversityReport;
import dev.phronesis.data.scenario.DiversityStats;
import dev.phronesis.data.scenario.HtmlReport;
import dev.phronesis.data.scenario.LlmRealiser;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.ScenarioGenerator.Options;
import dev.phronesis.data.scenario.ScenarioGenerator.Quota;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.data.scenario.TextEmbedder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "scenarios", header = "Synthesise diverse scenarios from a taxonomy and measure their diversity.",
        mixinStandardHelpOptions = true,
        subcommands = {ScenariosCommand.Generate.class, ScenariosCommand.Stats.class})
final class ScenariosCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    enum RealiserKind { scripted, llm }

    @Command(name = "generate", header = "Sample specs by covering array, realise them, dedup, and write scenarios.jsonl.",
            mixinStandardHelpOptions = true,
            description = {"Writes RUN_DIR/scenarios.jsonl (plus specs, coverage and dedup records). An interrupted run resumes where it stopped.",
                    "Either --budget N (splits follow the taxonomy's held-out families) or one or more --quota SPLIT/FORM/KIND=N (use 'any' for a field)."})
    static final class Generate implements Callable<Integer> {
        @Option(names = "--taxonomy", defaultValue = "builtin:default", description = "Taxonomy YAML or builtin:NAME (default: ${DEFAULT-VALUE}).") String taxonomy;
        @Option(names = "--constitution", defaultValue = "builtin:general", description = "Constitution YAML or builtin:NAME (default: ${DEFAULT-VALUE}).") String constitution;
        @Option(names = "--budget", description = "Number of scenarios.") Integer budget;
        @Option(names = "--quota", paramLabel = "SPLIT/FORM/KIND=N", description = "A requested count, e.g. heldout/agentic/benign=120 (repeatable).") List<String> quotas;
        @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--out", required = true, paramLabel = "RUN_DIR") Path out;
        @Option(names = "--realiser", defaultValue = "scripted", description = "scripted (offline) or llm (default: ${DEFAULT-VALUE}).") RealiserKind realiser;
        @Option(names = "--strength", defaultValue = "2", description = "Covering strength t: 2 (pairs) or 3 (triples) (default: ${DEFAULT-VALUE}).") int strength;
        @Option(names = "--max-words", defaultValue = "90", description = "Word limit of the user message / agentic transcript (default: ${DEFAULT-VALUE}).") int maxWords;
        @Option(names = "--minhash-threshold", defaultValue = "0.8", description = "Jaccard similarity (word 3-shingles) at which texts are near duplicates (default: ${DEFAULT-VALUE}).") double jaccard;
        @Option(names = "--cosine-threshold", defaultValue = "0.97", description = "Embedding cosine at which texts are semantic duplicates (default: ${DEFAULT-VALUE}).") double cosine;
        @Option(names = "--model", paramLabel = "NAME|SPEC", description = "For --realiser llm: a model in --models, or an inline spec such as openai:qwen3-8b@http://127.0.0.1:8000/v1.") String model;
        @picocli.CommandLine.Mixin dev.phronesis.cli.models.ModelsOption models;
        @Option(names = "--attempts", defaultValue = "3", description = "LLM realiser: samples per spec before it is rejected as drifted (default: ${DEFAULT-VALUE}).") int attempts;
        @Option(names = "--concurrency", defaultValue = "8", description = "LLM realiser: requests in flight (default: ${DEFAULT-VALUE}).") int concurrency;
        @Option(names = "--no-semantic-dedup", description = "Skip the embedding dedup (MinHash dedup always runs).") boolean noSemantic;

        @Override public Integer call() {
            if ((budget == null) == (quotas == null || quotas.isEmpty())) throw new UserError("phronesis: give either --budget N or one or more --quota SPLIT/FORM/KIND=N");
            List<Quota> q = budget != null ? List.of(Quota.any(positive(budget))) : quotas.stream().map(Generate::quota).toList();
            Taxonomy t = Taxonomy.resolve(taxonomy);
            Constitution c = ConstitutionLoader.resolve(constitution);
            if (attempts < 1) throw new UserError("phronesis: --attempts must be >= 1, got " + attempts);
            if (concurrency < 1) throw new UserError("phronesis: --concurrency must be >= 1, got " + concurrency);
            Options o = Options.budget(1, seed).withQuotas(q).withStrength(strength).withMaxWords(maxWords)
                    .withSemanticDedup(!noSemantic).withThresholds(jaccard, cosine).withConcurrency(concurrency);
            var progress = Progress.printing(System.err);
            ScenarioGenerator.Result r;
            if (realiser == RealiserKind.llm) {
                if (model == null) throw new UserError("phronesis: --realiser llm needs --model NAME|SPEC");
                try (dev.phronesis.cli.models.Models resolver = models.resolver()) {
                    ChatModel m = resolver.open(resolver.ref(model));
                    r = ScenarioGenerator.generate(t, taxonomyText(taxonomy), c, o, new LlmRealiser(m, t, maxWords, attempts), null, out, progress);
                }
            } else {
                if (model != null) throw new UserError("phronesis: --model is only used with --realiser llm");
                r = ScenarioGenerator.generate(t, taxonomyText(taxonomy), c, o, null, null, out, progress);
            }
            if (r.scenarios().isEmpty() && (!r.failedRequests().isEmpty() || !r.rejected().isEmpty())) {
                // a stage that produced nothing because everything failed fails, and says why
                String why = !r.failedRequests().isEmpty() ? r.failedRequests().size() + " realiser requests failed (rerun to retry them), e.g. " + r.failedRequests().getFirst()
                        : "the realiser rejected all " + r.rejected().size() + " specs (rejected.jsonl), e.g. " + r.rejected().getFirst();
                System.err.println("phronesis: no scenarios: " + why.lines().findFirst().orElse("").replaceAll("\\b[A-Z]\\w*Exception: ", ""));
                return Main.CHECK_FAILED;
            }
            System.out.printf("%d scenarios -> %s%n", r.scenarios().size(), out.resolve(ScenarioGenerator.SCENARIOS));
            if (!r.failedRequests().isEmpty()) {
                System.err.println("phronesis: " + r.failedRequests().size() + " realiser requests failed; rerun to retry them");
                return Main.CHECK_FAILED;
            }
            for (var qc : r.coverage()) System.out.printf("  %-28s %s%n", qc.quota(), qc.coverage().describe());
            System.out.printf("  removed %d near duplicates (see dedup.jsonl)%s%n", r.removed().size(),
                    r.rejected().isEmpty() ? "" : "; " + r.rejected().size() + " specs rejected by the realiser (rejected.jsonl)");
            return Main.OK;
        }

        private static int positive(int n) {
            if (n <= 0) throw new UserError("phronesis: --budget must be positive, got " + n);
            return n;
        }

        static Quota quota(String s) {
            String[] kv = s.split("=", 2);
            String[] parts = kv[0].split("/", -1);
            if (kv.length != 2 || parts.length != 3) throw new UserError("phronesis: --quota '" + s + "' must look like SPLIT/FORM/KIND=N, e.g. heldout/agentic/benign=120");
            int n;
            try { n = Integer.parseInt(kv[1].trim()); } catch (NumberFormatException e) { throw new UserError("phronesis: --quota '" + s + "': N must be a whole number"); }
            if (n <= 0) throw new UserError("phronesis: --quota '" + s + "': N must be positive");
            Split split = parts[0].equals("any") ? null : switch (parts[0]) {
                case "train" -> Split.TRAIN;
                case "dev" -> Split.DEV;
                case "heldout" -> Split.HELDOUT;
                default -> throw new UserError("phronesis: --quota '" + s + "': split must be train, dev, heldout or any");
            };
            Form form = parts[1].equals("any") ? null : switch (parts[1]) {
                case "advice" -> Form.ADVICE;
                case "agentic" -> Form.AGENTIC;
                default -> throw new UserError("phronesis: --quota '" + s + "': form must be advice, agentic or any");
            };
            return new Quota(split, form, parts[2].equals("any") ? null : parts[2], n);
        }

        private static String taxonomyText(String ref) {
            if (ref.startsWith("builtin:")) {
                try (InputStream in = Taxonomy.class.getResourceAsStream("/taxonomies/" + ref.substring(8) + ".yaml")) {
                    return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return null;
                }
            }
            return YamlDocs.read(Path.of(ref));
        }
    }

    @Command(name = "stats", header = "Report diversity metrics of a run: terminal table plus a self-contained HTML page.",
            mixinStandardHelpOptions = true,
            description = "Reads RUN_DIR/scenarios.jsonl; writes RUN_DIR/stats.json and RUN_DIR/stats.html (2-D embedding projection coloured by family).")
    static final class Stats implements Callable<Integer> {
        @Parameters(paramLabel = "RUN_DIR") Path dir;
        @Option(names = "--no-embeddings", description = "Skip Vendi score, mean cosine and the projection (no model load).") boolean noEmbeddings;
        @Option(names = "--taxonomy", description = "Taxonomy for axis coverage (default: RUN_DIR/taxonomy.yaml when present).") String taxonomy;
        @Option(names = "--json", description = "Print stats.json (the metrics without the projection) instead of the table.") boolean json;

        @Override public Integer call() throws IOException {
            Path file = dir.resolve(ScenarioGenerator.SCENARIOS);
            if (!Files.exists(file)) throw new UserError(file + ": no such file (run 'phronesis scenarios generate --out " + dir + "' first)");
            List<Scenario> scenarios = Jsonl.read(file, Scenario.class);
            Taxonomy t = taxonomy != null ? Taxonomy.resolve(taxonomy)
                    : Files.exists(dir.resolve("taxonomy.yaml")) ? Taxonomy.load(dir.resolve("taxonomy.yaml")) : null;
            if (!noEmbeddings) System.err.println("embedding " + scenarios.size() + " texts with all-MiniLM-L6-v2...");
            try (TextEmbedder e = noEmbeddings ? null : TextEmbedder.miniLm()) {
                DiversityReport r = DiversityStats.compute(scenarios, t, e);
                String stats = Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(withoutProjection(r));
                if (!json) System.out.print(r.table());
                Files.writeString(dir.resolve("stats.json"), stats);
                Files.writeString(dir.resolve("stats.html"), HtmlReport.render("Scenario diversity: " + dir.getFileName(), r));
                if (json) System.out.println(stats);
                else System.out.println("\nwrote " + dir.resolve("stats.json") + " and " + dir.resolve("stats.html"));
            }
            return Main.OK;
        }

        private static DiversityReport withoutProjection(DiversityReport r) {
            return new DiversityReport(r.scenarios(), r.distinct1(), r.distinct2(), r.distinct3(), r.vendi(), r.meanCosine(), r.axisValuesSeen(),
                    r.axisValuesTotal(), r.pairCoverage(), r.familiesPerSplit(), r.bySplitFormKind(), r.words(), r.embedder(), List.of());
        }
    }

}
