package dev.phronesis.data.distill;

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
        for (String f : List.of("trl-think.py", "axolotl-think.yaml", "trl-parquet.py", "parquet-train.parquet", "openai-dev.jsonl")) assertThat(d.resolve(f)).exists();
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

    @Test void parquetIsReadableByPyarrow() throws Exception {
        var r = DatasetBuilder.build(dir, EnumSet.allOf(Variant.class), 10_000_000, TokenCounter.approximate(), EnumSet.of(DatasetBuilder.Format.PARQUET));
        Path py = PythonVenv.find();
        assumeThat(py).as("skipped: no Python venv with pyarrow (set PHRONESIS_PYTHON or create .venv)").isNotNull();
        Path file = r.dir().resolve("deliberative/parquet-train.parquet");
        Process p = new ProcessBuilder(py.toString(), "-c", """
                import sys, json, pyarrow.parquet as pq
                t = pq.read_table(sys.argv[1])
                rows = t.to_pylist()
                print(json.dumps({"n": t.num_rows, "cols": t.column_names, "first": rows[0]["id"], "tokens": sum(r["tokens"] for r in rows),
                                  "msgs": len(json.loads(rows[0]["messages_json"]))}))
                """, file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        JsonNode n = Jsonl.MAPPER.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        List<Sample> train = r.samples().get(Variant.DELIBERATIVE).stream().filter(s -> s.split() == Split.TRAIN).toList();
        assertThat(n.path("n").asInt()).isEqualTo(train.size());
        assertThat(n.path("first").asText()).isEqualTo(train.getFirst().id());
        assertThat(n.path("tokens").asLong()).isEqualTo(train.stream().mapToLong(Sample::tokens).sum());
        assertThat(n.path("msgs").asInt()).isEqualTo(train.getFirst().messages().size() + 1);
        assertThat(n.path("cols").toString()).contains("reasoning", "response", "messages_json");
    }
}
