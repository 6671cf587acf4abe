package dev.phronesis.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Turn;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.train.hf.DType;
import dev.phronesis.llm.HfChatTemplate;
import dev.phronesis.train.hf.HfConfig;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.train.hf.HfSftData;
import dev.phronesis.train.hf.RandomCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every dataset format `dataset build` writes trains on the same tokens: samples, think, openai, hf-reasoning and
 * parquet of one build give identical rows (ids and masks) under a template that reads {@code reasoning_content}
 * and under one that does not; a template that drops the reasoning is refused; rows longer than the model's
 * context are cut or dropped and counted, and `train lora` runs on them.
 */
class DatasetFormatsTrainTest {
    @TempDir static Path run;
    @TempDir static Path models;
    static Path ds;

    /** ChatML that renders an assistant turn's reasoning_content in a think span (the Qwen3 way). */
    static final String REASONING_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m.role }}\n{% if m.role == 'assistant' and m.reasoning_content %}"
            + "<think>\n{{ m.reasoning_content }}\n</think>\n\n{% endif %}{{ m.content }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    /** Reads reasoning_content but never renders it. */
    static final String DROPPING_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m.role }}\n{% if m.reasoning_content %}{% endif %}{{ m.content }}<|im_end|>\n"
            + "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    @BeforeAll static void build() throws Exception {
        var scen = ScenarioGenerator.generateInMemory(Taxonomy.builtin("default"), ConstitutionLoader.builtin("general"),
                ScenarioGenerator.Options.budget(24, 5).withSemanticDedup(false), null, null).scenarios();
        Jsonl.writeAll(run.resolve("scenarios.jsonl"), scen);
        var d = CliHarness.run("distill", "--scenarios", run.toString(), "--verbosity", "compact", "--judge", "scripted", "--samples", "1");
        assertThat(d.exitCode()).as(d.err()).isZero();
        var b = CliHarness.run("dataset", "build", run.toString(), "--budget-tokens", "100000");
        assertThat(b.exitCode()).as(b.err()).isZero();
        ds = run.resolve("dataset");
    }

    static Path checkpoint(String name, String template, int context) throws Exception {
        Path dir = models.resolve(name);
        RandomCheckpoint.write(dir, RandomCheckpoint.config(HfConfig.Arch.QWEN2, 32, 64, 1, 4, 2, true), 5, DType.F32, HfSafetensors.DEFAULT_SHARD_BYTES);
        ObjectNode c = (ObjectNode) Jsonl.MAPPER.readTree(dir.resolve("config.json").toFile());
        c.put("max_position_embeddings", context);
        Files.writeString(dir.resolve("config.json"), c.toString());
        if (template != null) {
            ObjectNode t = (ObjectNode) Jsonl.MAPPER.readTree(dir.resolve("tokenizer_config.json").toFile());
            t.put("chat_template", template);
            Files.writeString(dir.resolve("tokenizer_config.json"), t.toString());
        }
        return dir;
    }

    static Map<String, Path> files(String variant) {
        Map<String, Path> f = new LinkedHashMap<>();
        f.put("samples", ds.resolve("samples-" + variant + ".jsonl"));
        for (String x : List.of("think", "openai", "hf-reasoning")) f.put(x, ds.resolve(variant + "/" + x + "-train.jsonl"));
        f.put("parquet", ds.resolve(variant + "/parquet-train.parquet"));
        return f;
    }

    static HfSftData rows(Path model, Path data, int maxLen) {
        try (var tok = HfSftData.tokenizer(model)) {
            return HfSftData.build(HfChatTemplate.load(model), tok, HfSftData.readConversations(data), maxLen, model);
        }
    }

    @Test void everyFormatTrainsOnTheSameTokensUnderEitherKindOfTemplate() throws Exception {
        for (Path model : List.of(checkpoint("chatml", null, 1 << 16), checkpoint("reasoning", REASONING_TEMPLATE, 1 << 16))) {
            long demo = rows(model, files("demonstration").get("samples"), 1 << 16).trainedTokens();
            HfSftData ref = null;
            List<List<Turn>> refChats = null;
            for (var e : files("deliberative").entrySet()) {
                assertThat(e.getValue()).exists();
                var chats = HfSftData.readConversations(e.getValue());
                if (refChats == null) refChats = chats;
                else {
                    assertThat(chats).as("%s conversations", e.getKey()).hasSameSizeAs(refChats);
                    for (int i = 0; i < chats.size(); i++)
                        for (int j = 0; j < chats.get(i).size(); j++)
                            assertThat(chats.get(i).get(j).content()).as("%s row %d message %d", e.getKey(), i, j).isEqualTo(refChats.get(i).get(j).content());
                }
                HfSftData d = rows(model, e.getValue(), 1 << 16);
                if (ref == null) { ref = d; continue; }
                assertThat(d.rows).as("%s %s", model.getFileName(), e.getKey()).hasSameSizeAs(ref.rows);
                for (int i = 0; i < d.rows.size(); i++) {
                    assertThat(Arrays.equals(d.rows.get(i).ids(), ref.rows.get(i).ids())).as("%s %s row %d ids", model.getFileName(), e.getKey(), i).isTrue();
                    assertThat(Arrays.equals(d.rows.get(i).mask(), ref.rows.get(i).mask())).as("%s %s row %d mask", model.getFileName(), e.getKey(), i).isTrue();
                }
            }
            System.out.printf("%s: %d deliberative rows, %d trained tokens in every format (demonstration: %d)%n", model.getFileName(), ref.rows.size(),
                    ref.trainedTokens(), demo);
            // the reasoning is trained on: without it the two would be about equal (both train the same answers);
            // with it about twice as many (1.98x since the escalation carries an `about` contact)
            assertThat(ref.trainedTokens()).isGreaterThan(demo * 3 / 2);
        }
        // the reasoning sits in the rendered assistant span, once
        Path model = models.resolve("reasoning");
        var chat = HfSftData.readConversations(files("deliberative").get("hf-reasoning")).getFirst();
        String text = HfChatTemplate.load(model).renderTraining(chat).text();
        String reasoning = HfSftData.splitThink(chat.getLast().content())[0];
        assertThat(reasoning).isNotBlank();
        assertThat(text.split(java.util.regex.Pattern.quote(reasoning), -1)).hasSize(2);
        assertThat(text).contains("<|im_start|>assistant\n<think>\n" + reasoning + "\n</think>\n\n");
    }

    @Test void aTemplateThatDropsTheReasoningIsRefusedNotTrainedOnTheAnswersAlone() throws Exception {
        Path model = checkpoint("dropping", DROPPING_TEMPLATE, 1 << 16);
        for (var e : files("deliberative").entrySet())
            assertThatThrownBy(() -> rows(model, e.getValue(), 1 << 16)).as(e.getKey()).isInstanceOf(UserError.class)
                    .hasMessageContaining("row 1").hasMessageContaining("drops the reasoning");
        assertThat(rows(model, files("demonstration").get("parquet"), 1 << 16).rows).isNotEmpty(); // nothing to drop
    }

    @Test void rowsLongerThanTheContextAreCutOrDroppedCountedAndTrainable() throws Exception {
        Path data = files("deliberative").get("hf-reasoning");
        var chats = HfSftData.readConversations(data);
        // a context just past the longest prompt: every row keeps some trained tokens, and the long ones are cut
        Path wide = checkpoint("wide", null, 1 << 16);
        int firstTrained = 0, longest = 0;
        for (var r : rows(wide, data, 1 << 16).rows) {
            int k = 0;
            while (!r.mask()[k]) k++;
            firstTrained = Math.max(firstTrained, k);
            longest = Math.max(longest, r.ids().length);
        }
        int context = firstTrained + 16;
        assertThat(longest).isGreaterThan(context);
        Path model = checkpoint("short", null, context);
        // one row whose prompt alone fills the context: nothing to train on inside it
        var longPrompt = new java.util.ArrayList<>(chats.getFirst());
        longPrompt.set(0, Turn.user("x".repeat(context + 50)));
        var all = new java.util.ArrayList<>(chats);
        all.add(longPrompt);
        HfSftData d;
        try (var tok = HfSftData.tokenizer(model)) {
            d = HfSftData.build(HfChatTemplate.load(model), tok, all, 1 << 16, model);
        }
        assertThat(d.maxLen).isEqualTo(context);
        assertThat(d.dropped).isEqualTo(1);
        assertThat(d.truncated).isPositive();
        assertThat(d.rows).hasSize(chats.size()).allSatisfy(r -> assertThat(r.ids().length).isLessThanOrEqualTo(context));
        // through the command line: counted in the summary, and training runs (the engine never sees a longer row)
        Path jsonl = run.resolve("long.jsonl");
        StringBuilder sb = new StringBuilder(Files.readString(data));
        sb.append(Jsonl.MAPPER.writeValueAsString(Map.of("messages", longPrompt.stream().map(t -> Map.of("role", t.role().wire(), "content", t.content())).toList()))).append('\n');
        Files.writeString(jsonl, sb);
        var t = CliHarness.run("train", "lora", jsonl.toString(), "--base", model.toString(), "--out", run.resolve("lora-short").toString(),
                "--steps", "2", "--batch-size", "2", "--r", "2", "--threads", "1", "--max-len", "100000");
        assertThat(t.exitCode()).as(t.err() + t.out()).isZero();
        assertThat(t.out()).contains(d.truncated + " rows cut at " + context + " tokens, 1 dropped");
        // train inspect --json reads the model, its context and the adapter just written
        var i = CliHarness.run("train", "inspect", model.toString(), "--adapter", run.resolve("lora-short/adapter").toString(), "--json");
        assertThat(i.exitCode()).as(i.err()).isZero();
        var n = Jsonl.MAPPER.readTree(i.out());
        assertThat(n.path("max_position_embeddings").asInt()).isEqualTo(context);
        assertThat(n.path("chat_template").path("ok").asBoolean()).isTrue();
        assertThat(n.path("adapter").path("r").asInt()).isEqualTo(2);
    }

    /**
     * The TRL scripts `dataset build` writes, run as a user would (python trl-FORMAT.py MODEL) on a checkpoint transformers wrote
     * with a {% generation %} template: SFTTrainer with assistant_only_loss=True gets non-empty masks and the same trained-token
     * count from every format, and trains.
     */
    @Test void trlAssistantOnlyLossTrainsOnEveryFormatWithTheSameTokenCounts() throws Exception {
        Path py = dev.phronesis.llm.PythonPeer.require("torch", "transformers", "trl", "datasets");
        Path tiny = models.resolve("tiny-generation");
        Path script = Path.of("../train/src/test/resources/dev/phronesis/train/hf/tiny_checkpoint.py").toAbsolutePath().normalize();
        run(py, List.of(script.toString(), tiny.toString(), "generation"));
        Map<String, String> counts = new LinkedHashMap<>();
        for (String f : List.of("parquet", "hf-reasoning", "think", "openai")) {
            String out = run(py, List.of(ds.resolve("deliberative/trl-" + f + ".py").toString(), tiny.toString()),
                    Map.of("MAX_STEPS", "1", "OUTPUT_DIR", run.resolve("trl-" + f).toString()));
            String line = out.lines().filter(l -> l.matches("\\d+ rows, \\d+ trained tokens")).findFirst().orElseThrow(() -> new AssertionError(out));
            counts.put(f, line);
            assertThat(run.resolve("trl-" + f).resolve("adapter_config.json").toFile().exists() || Files.exists(run.resolve("trl-" + f).resolve("model.safetensors")))
                    .as(f + " saved").isTrue();
        }
        System.out.println("TRL assistant_only_loss: " + counts);
        assertThat(counts.values().stream().distinct()).hasSize(1);
        long trained = Long.parseLong(counts.get("parquet").replaceAll(".*, (\\d+) trained tokens", "$1"));
        assertThat(trained).isPositive();
    }

    static String run(Path py, List<String> args) throws Exception { return run(py, args, Map.of()); }

    static String run(Path py, List<String> args, Map<String, String> env) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(py.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(Map.of("OMP_NUM_THREADS", "2", "TOKENIZERS_PARALLELISM", "false", "HF_HUB_OFFLINE", "1", "HF_DATASETS_OFFLINE", "1",
                "HF_DATASETS_CACHE", run.resolve("hf-cache").toString()));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(900, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
        return out;
    }
}
