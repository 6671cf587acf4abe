package dev.phronesis.data.documents;

import dev.phronesis.llm.PythonPeer;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.data.distill.TokenCounter;
import dev.phronesis.data.scenario.Taxonomy;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exported mid-training job, run by the peers it is written for: {@code datasets} loads the
 * dataset directory by its card, and TRL's SFTTrainer runs a few CPU steps of continued
 * pre-training on a tiny random Llama written by transformers' own save_pretrained.
 */
class TrlMidtrainExportTest {
    private static final String TINY = """
            import sys, json
            from tokenizers import Tokenizer, models, pre_tokenizers, trainers
            from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
            out, data = sys.argv[1], sys.argv[2]
            texts = [json.loads(l)["text"] for l in open(data)]
            tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
            tok.pre_tokenizer = pre_tokenizers.Whitespace()
            tok.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=["<unk>", "<s>", "</s>", "<pad>"]))
            fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>")
            fast.save_pretrained(out)
            cfg = LlamaConfig(vocab_size=fast.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                              num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128,
                              bos_token_id=1, eos_token_id=2, pad_token_id=3)
            LlamaForCausalLM(cfg).save_pretrained(out)
            """;
    private static final String LOAD = """
            import sys
            from datasets import load_dataset
            d = load_dataset(sys.argv[1], "documents")
            print("rows", len(d["train"]), "columns", sorted(d["train"].column_names))
            """;

    @Test
    void datasetsLoadsTheCardAndTrlMidtrainsATinyCheckpointOnCpu(@TempDir Path dir) throws Exception {
        Path py = PythonPeer.find();
        Assumptions.assumeTrue(py != null && PythonPeer.has(py, "trl", "datasets"),
                "skipped: no Python venv with trl + datasets (bin/python-peers.sh); the exported mid-training job was not run");
        Constitution c = ConstitutionLoader.resolve("builtin:general");
        Taxonomy t = Taxonomy.resolve("builtin:default");
        var r = DocumentGenerator.generate(c, t, new ScriptedDocumentWriter(c, t),
                new DocumentGenerator.Options(new DocumentPlanner.Options(12, 1, List.of(), 3), 0.8, false, 0.97, Map.of(), 1), null, dir.resolve("run"), n -> {});
        Path ds = dir.resolve("ds");
        DocumentDataset.Summary s = DocumentDataset.write(r.documents(), 4_000, TokenCounter.approximate(), ds);
        assertThat(run(py, dir, LOAD, ds.toString())).contains("rows " + s.documents() + " columns ['genre', 'id', 'text']");
        Path base = dir.resolve("tiny");
        run(py, dir, TINY, base.toString(), ds.resolve("documents.jsonl").toString());
        String out = run(py, dir, null, ds.resolve("trl-midtrain.py").toString(), "--model", base.toString(), "--max-steps", "2",
                "--batch-size", "2", "--max-length", "64", "--out", dir.resolve("mid").toString());
        assertThat(out).contains("saved");
        assertThat(dir.resolve("mid").resolve("model.safetensors")).exists();
    }

    private static String run(Path py, Path dir, String script, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(py.toString()));
        if (script != null) {
            Path f = Files.createTempFile(dir, "peer", ".py");
            Files.writeString(f, script);
            cmd.add(f.toString());
        }
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("CUDA_VISIBLE_DEVICES", "");
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("HF_DATASETS_CACHE", dir.resolve("hf-cache").toString());
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
        return text;
    }
}
