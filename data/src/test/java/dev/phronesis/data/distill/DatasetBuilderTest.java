package dev.phronesis.data.distill;

import dev.phronesis.llm.PythonPeer;
import dev.phronesis.core.Progress;
import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.records.Turn;
import dev.phronesis.core.records.Variant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class DatasetBuilderTest {
    @TempDir Path dir;

    @BeforeEach void distil() {
        List<Scenario> scen = new java.util.ArrayList<>(Fixtures.scenarios());
        // a scenario whose system prompt carries the constitution (as a teacher prompt would): it must not reach training
        Scenario s0 = scen.get(0);
        String constitutionPrompt = "Follow these principles:\n" + String.join("\n", Fixtures.C.principles().stream().map(p -> p.text()).toList());
        scen.set(0, new Scenario(s0.id(), s0.family(), s0.split(), s0.form(), s0.spec(),
                List.of(Turn.system(constitutionPrompt), s0.messages().getFirst()), s0.tools(), s0.provenance()));
        Distiller.run(scen, Fixtures.C, new ScriptedTeacher(Fixtures.C, Verbosity.FULL, 4), List.of(), GatesConfig.defaults(), dir, Progress.NONE,
                Distiller.Options.defaults().withSamples(2));
    }

    @Test void variantsShareSamplesPromptsCarryNoConstitutionAndEveryFormatIsWritten() throws Exception {
        var r = DatasetBuilder.build(dir, EnumSet.allOf(Variant.class), 10_000_000, TokenCounter.approximate(), EnumSet.allOf(DatasetBuilder.Format.class));
        List<Sample> del = r.samples().get(Variant.DELIBERATIVE);
        List<Sample> demo = r.samples().get(Variant.DEMONSTRATION);
        assertThat(del).hasSameSizeAs(demo).isNotEmpty();
        assertThat(del.stream().map(Sample::scenarioId).toList()).isEqualTo(demo.stream().map(Sample::scenarioId).toList());
        assertThat(del).allSatisfy(s -> assertThat(s.reasoning()).isNotBlank());
        assertThat(demo).allSatisfy(s -> assertThat(s.reasoning()).isEmpty());
        for (Sample s : del) for (Turn t : s.messages()) assertThat(t.content()).doesNotContain(Fixtures.C.principles().get(2).text());
        assertThat(r.card().constitutionPromptsStripped()).isEqualTo(2);
        assertThat(r.card().constitutionHash()).isEqualTo(Fixtures.C.hash());
        assertThat(r.card().tokens().get("deliberative").get("total")).isGreaterThan(r.card().tokens().get("demonstration").get("total"));

        Path d = r.dir().resolve("deliberative");
        JsonNode think = Jsonl.MAPPER.readTree(Files.readAllLines(d.resolve("think-train.jsonl")).getFirst());
        JsonNode last = think.path("messages").get(think.path("messages").size() - 1);
        assertThat(last.path("content").asText()).startsWith("<think>\n").contains("</think>\n\n").endsWith(last.path("content").asText().substring(last.path("content").asText().lastIndexOf("DECISION:")));
        JsonNode hf = Jsonl.MAPPER.readTree(Files.readAllLines(d.resolve("hf-reasoning-train.jsonl")).getFirst());
        JsonNode hfLast = hf.path("messages").get(hf.path("messages").size() - 1);
        assertThat(hfLast.path("reasoning_content").asText()).isNotBlank();
        assertThat(hfLast.path("content").asText()).doesNotContain("<think>");
        JsonNode demoOpenai = Jsonl.MAPPER.readTree(Files.readAllLines(r.dir().resolve("demonstration/openai-train.jsonl")).getFirst());
        assertThat(demoOpenai.toString()).doesNotContain("<think>").doesNotContain("reasoning_content");
        // agentic samples carry their tools in the OpenAI function format
        assertThat(Files.readAllLines(d.resolve("openai-train.jsonl"))).anySatisfy(l -> assertThat(l).contains("\"tools\":[{\"type\":\"function\""));
        for (String f : List.of("trl-think.py", "trl-parquet.py", "parquet-train.parquet", "openai-dev.jsonl")) assertThat(d.resolve(f)).exists();
        assertThat(d.resolve("axolotl-think.yaml")).doesNotExist();
        // samples-<variant>.jsonl is the train split only; the dev split has its own file
        List<Sample> trainFile = Jsonl.read(r.dir().resolve("samples-deliberative.jsonl"), Sample.class);
        assertThat(trainFile).isNotEmpty().allSatisfy(x -> assertThat(x.split()).isEqualTo(Split.TRAIN));
        assertThat(del).anySatisfy(x -> assertThat(x.split()).isEqualTo(Split.DEV));
        assertThat(Jsonl.read(r.dir().resolve("samples-deliberative-dev.jsonl"), Sample.class)).isNotEmpty().allSatisfy(x -> assertThat(x.split()).isEqualTo(Split.DEV));
        assertThat(DatasetBuilder.readSamples(r.dir(), Variant.DELIBERATIVE)).hasSameSizeAs(del);
        // data files are shareable: not 0600
        try (var files = Files.walk(r.dir())) {
            files.filter(Files::isRegularFile).forEach(f -> {
                try {
                    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-r--r--");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        assertThat(r.dir().resolve("README.md")).content().startsWith("---\n").contains("configs:", "- config_name: deliberative\n  default: true",
                "- config_name: demonstration\n", "split: validation", "license: null");
        assertThat(r.dir().resolve("card.md")).content().contains("constitution sha256", Fixtures.C.hash(), "Gate funnel", "| deliberative | train |");
    }

    @Test void budgetSelectionCoversEveryFamilyBeforeRepeatingOne() {
        var all = DatasetBuilder.build(dir, EnumSet.of(Variant.DELIBERATIVE), 10_000_000, TokenCounter.approximate(), EnumSet.of(DatasetBuilder.Format.THINK));
        List<Sample> pool = all.samples().get(Variant.DELIBERATIVE);
        Set<String> families = pool.stream().map(Sample::family).collect(Collectors.toSet());
        int max = pool.stream().mapToInt(Sample::tokens).max().orElseThrow();
        long budget = (long) max * families.size();
        var r = DatasetBuilder.build(dir, EnumSet.of(Variant.DELIBERATIVE), budget, TokenCounter.approximate(), EnumSet.of(DatasetBuilder.Format.THINK));
        List<Sample> chosen = r.samples().get(Variant.DELIBERATIVE);
        assertThat(chosen.stream().mapToLong(Sample::tokens).sum()).isLessThanOrEqualTo(budget);
        assertThat(chosen.stream().map(Sample::family).collect(Collectors.toSet())).isEqualTo(families);
        assertThat(chosen.size()).isLessThan(pool.size());
        // no scenario repeats while an unseen one of the same family was affordable
        assertThat(chosen.stream().map(Sample::scenarioId).distinct().count()).isEqualTo(chosen.size());
    }

    @Test void aRealTokenizerJsonCountsThroughDjl() throws Exception {
        Path tok = Path.of(getClass().getResource("/wordlevel-tokenizer.json").toURI());
        TokenCounter t = TokenCounter.huggingFace(tok);
        assertThat(t.count("hello, world!")).isEqualTo(4);
        assertThat(t.count("hello world hello")).isEqualTo(3);
        assertThat(t.id()).startsWith("hf:");
        assertThat(TokenCounter.approximate().count("hello, world!")).isEqualTo(4);
    }

    /** The Parquet files (native messages column) through pyarrow, pandas and datasets; the directory through load_dataset and its card. */
    @Test void parquetAndTheCardLoadInPyarrowPandasAndDatasets() throws Exception {
        // a copy of the run built without Parquet: the JSONL formats become the configs
        Path jsonRun = dir.resolveSibling(dir.getFileName() + "-json");
        try (var files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = jsonRun.resolve(dir.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to); else Files.copy(f, to);
            }
        }
        var jsonOnly = DatasetBuilder.build(jsonRun, EnumSet.allOf(Variant.class), 10_000_000, TokenCounter.approximate(),
                EnumSet.of(DatasetBuilder.Format.THINK, DatasetBuilder.Format.HF_REASONING));
        var r = DatasetBuilder.build(dir, EnumSet.allOf(Variant.class), 10_000_000, TokenCounter.approximate(), EnumSet.allOf(DatasetBuilder.Format.class));
        Path py = PythonPeer.find();
        assumeThat(py != null && PythonPeer.has(py, "datasets")).as("skipped: no Python venv with pyarrow, pandas, datasets (set PHRONESIS_PYTHON)").isTrue();
        Path file = r.dir().resolve("deliberative/parquet-train.parquet");
        ProcessBuilder pb = new ProcessBuilder(py.toString(), "-c", """
                import sys, json, pyarrow.parquet as pq, pandas as pd, datasets
                t = pq.read_table(sys.argv[1])
                rows = t.to_pylist()
                df = pd.read_parquet(sys.argv[1])
                d = datasets.load_dataset("parquet", data_files=sys.argv[1])["train"]
                card = {c: {s: len(v) for s, v in datasets.load_dataset(sys.argv[2], c).items()} for c in ["deliberative", "demonstration"]}
                json_only = {s: len(v) for s, v in datasets.load_dataset(sys.argv[3], "demonstration-think").items()}
                default = {s: len(v) for s, v in datasets.load_dataset(sys.argv[2]).items()}
                dl = datasets.load_dataset(sys.argv[2], "deliberative")["train"]
                print(json.dumps({"n": t.num_rows, "type": str(t.schema.field("messages").type), "first": rows[0]["id"], "tokens": sum(r["tokens"] for r in rows),
                                  "msgs": len(rows[0]["messages"]), "reasoning": rows[0]["messages"][-1]["reasoning_content"],
                                  "pandas": [len(df), df.iloc[0]["messages"][-1]["role"], df.iloc[0]["messages"][-1]["reasoning_content"]],
                                  "datasets": [len(d), d[0]["messages"][-1]["reasoning_content"], str(d.features["messages"])],
                                  "card": card, "default": default, "json": json_only, "variant": sorted(set(dl["variant"]))}))
                """, file.toString(), r.dir().toString(), jsonOnly.dir().toString()).redirectErrorStream(true);
        pb.environment().put("HF_DATASETS_OFFLINE", "1");
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("HF_DATASETS_CACHE", dir.resolve("hf-cache").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        JsonNode n = Jsonl.MAPPER.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        List<Sample> del = r.samples().get(Variant.DELIBERATIVE);
        List<Sample> train = del.stream().filter(s -> s.split() == Split.TRAIN).toList();
        long dev = del.stream().filter(s -> s.split() == Split.DEV).count();
        assertThat(n.path("n").asInt()).isEqualTo(train.size());
        assertThat(n.path("type").asText()).isEqualTo("list<element: struct<role: string, content: string, reasoning_content: string>>");
        assertThat(n.path("first").asText()).isEqualTo(train.getFirst().id());
        assertThat(n.path("tokens").asLong()).isEqualTo(train.stream().mapToLong(Sample::tokens).sum());
        assertThat(n.path("msgs").asInt()).isEqualTo(train.getFirst().messages().size() + 1);
        assertThat(n.path("reasoning").asText()).isEqualTo(train.getFirst().reasoning());
        assertThat(n.path("pandas").toString()).isEqualTo("[" + train.size() + ",\"assistant\"," + Jsonl.MAPPER.writeValueAsString(train.getFirst().reasoning()) + "]");
        assertThat(n.path("datasets").get(0).asInt()).isEqualTo(train.size());
        assertThat(n.path("datasets").get(1).asText()).isEqualTo(train.getFirst().reasoning());
        assertThat(n.path("datasets").get(2).asText()).contains("reasoning_content");
        // load_dataset(DIR, config) gives that variant's rows in the splits the card declares (not one merged "train")
        for (String c : List.of("deliberative", "demonstration")) {
            assertThat(n.path("card").path(c).path("train").asLong()).as(c).isEqualTo(train.size());
            assertThat(n.path("card").path(c).path("validation").asLong()).as(c).isEqualTo(dev);
        }
        assertThat(n.path("default").path("train").asLong()).isEqualTo(train.size());
        assertThat(n.path("json").path("train").asLong()).isEqualTo(train.size());
        assertThat(n.path("json").path("validation").asLong()).isEqualTo(dev);
        assertThat(n.path("variant").toString()).isEqualTo("[\"deliberative\"]");

        // every config the card's YAML front matter declares: datasets lists it, and load_dataset gives exactly its declared splits
        // with the declared num_examples (read from the card, not from our records)
        ProcessBuilder cards = new ProcessBuilder(py.toString(), "-c", """
                import sys, json, yaml, datasets
                out = {}
                for d in sys.argv[1:]:
                    fm = yaml.safe_load(open(d + "/README.md", encoding="utf-8").read().split("---")[1])
                    info = {i["config_name"]: {s["name"]: s["num_examples"] for s in i.get("splits", [])} for i in fm.get("dataset_info", [])}
                    names = sorted(datasets.get_dataset_config_names(d))
                    for c in fm["configs"]:
                        loaded = {s: len(v) for s, v in datasets.load_dataset(d, c["config_name"]).items()}
                        declared = sorted(f["split"] for f in c["data_files"])
                        out[d + ":" + c["config_name"]] = {"listed": c["config_name"] in names, "declared": declared, "loaded": loaded,
                                                           "num_examples": info.get(c["config_name"], {})}
                print(json.dumps(out))
                """, r.dir().toString(), jsonOnly.dir().toString()).redirectErrorStream(true);
        cards.environment().putAll(pb.environment());
        Process q = cards.start();
        String cardOut = new String(q.getInputStream().readAllBytes());
        assertThat(q.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(q.exitValue()).as(cardOut).isZero();
        JsonNode all = Jsonl.MAPPER.readTree(cardOut.lines().reduce((a, b) -> b).orElseThrow());
        assertThat(all.size()).as("configs declared by the two cards").isGreaterThanOrEqualTo(4);
        for (var it = all.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode c = e.getValue();
            assertThat(c.path("listed").asBoolean()).as(e.getKey() + " listed by datasets").isTrue();
            List<String> loaded = new java.util.ArrayList<>();
            c.path("loaded").fieldNames().forEachRemaining(loaded::add);
            assertThat(loaded).as(e.getKey() + " splits").containsExactlyInAnyOrderElementsOf(Jsonl.MAPPER.convertValue(c.path("declared"), List.class));
            for (String s : loaded) {
                if (c.path("num_examples").has(s))
                    assertThat(c.path("loaded").path(s).asLong()).as(e.getKey() + "/" + s + " rows vs the card's num_examples").isEqualTo(c.path("num_examples").path(s).asLong());
                assertThat(c.path("loaded").path(s).asLong()).as(e.getKey() + "/" + s).isPositive();
            }
        }
        System.out.println("load_dataset on the card's configs: " + all.size() + " configs, each with its declared splits");
    }
}
