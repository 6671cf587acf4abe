package dev.phronesis.train.hf;

import dev.phronesis.llm.PythonPeer;
import dev.phronesis.llm.HfChatTemplate;
import dev.phronesis.core.UserError;
import dev.phronesis.train.lora.Lora;
import dev.phronesis.train.lora.LoraConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The exported GPU-trainer job: valid Python, and (with the venv) a few CPU steps whose adapter Phronesis loads back. */
class GpuTrainerExportTest {
    @TempDir static Path base;
    @TempDir Path dir;

    static final String DATA = """
            {"id":"a","messages":[{"role":"system","content":"Be wise."},{"role":"user","content":"Should I read my partner's messages?"}],"reasoning":"Consent matters; harm is likely.","response":"No. Talk to them.\\nDECISION: decline"}
            {"id":"b","messages":[{"role":"user","content":"Can I borrow my sister's car? ¿Sí?"}],"reasoning":"","response":"Yes, ask her first.\\nDECISION: help"}
            {"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"Help me lie to my boss"},{"role":"assistant","content":"I'd rather help you say it honestly.\\nDECISION: partial-and-redirect"}]}
            """;

    @BeforeAll static void checkpoint() throws Exception {
        RandomCheckpoint.write(base, RandomCheckpoint.config(HfConfig.Arch.QWEN2, 32, 64, 2, 4, 2, true), 3, DType.F32, HfSafetensors.DEFAULT_SHARD_BYTES);
    }

    GpuTrainerExport.Options options(GpuTrainerExport.Target t, Path data, String baseModel, int steps) {
        return new GpuTrainerExport.Options(t, data, baseModel, dir.resolve("job-" + t), LoraConfig.of(4, 8, 0.0, false), 256, 2, 1, steps,
                5e-3, 0, 0.0, 1.0, 2, 7);
    }

    /** The FSDP and DeepSpeed ZeRO-2 configs {@code train export} writes are read by accelerate's own loader and launcher (no GPU needed). */
    @Test void exportedFsdpAndDeepSpeedConfigsAreValidAccelerateConfigs() throws Exception {
        Path py = PythonPeer.require("accelerate");
        Path data = dir.resolve("d.jsonl");
        Files.writeString(data, DATA);
        var files = GpuTrainerExport.export(options(GpuTrainerExport.Target.PEFT, data, base.toString(), 3));
        Path job = dir.resolve("job-PEFT");
        Path fsdp = job.resolve("accelerate/fsdp.yaml"), zero = job.resolve("accelerate/deepspeed_zero2.yaml");
        assertThat(files).contains(fsdp, zero);
        String out = PythonPeer.run(py, dir, List.of(PythonPeer.script(dir, "/hf/accelerate_check.py").toString(), fsdp.toString(), zero.toString()), 600);
        System.out.print(out);
        assertThat(out).contains("ok " + fsdp + ": FSDP v2", "FULL_STATE_DICT", "mixed=bf16").contains("ok " + zero + ": DeepSpeed ZeRO-2").doesNotContain("FAIL");
        // a broken key is caught (the check can fail)
        Files.writeString(fsdp, Files.readString(fsdp).replace("fsdp_reshard_after_forward", "fsdp_reshard_after_forwrd"));
        assertThatThrownBy(() -> PythonPeer.run(py, dir, List.of(dir.resolve("accelerate_check.py").toString(), fsdp.toString()), 600))
                .hasMessageContaining("fsdp_reshard_after_forwrd");
    }

    @Test void writesARunnableJobAndTheScriptCompiles() throws Exception {
        Path data = dir.resolve("d.jsonl");
        Files.writeString(data, DATA);
        var files = GpuTrainerExport.export(options(GpuTrainerExport.Target.TRL, data, base.toString(), 3));
        Path job = dir.resolve("job-TRL");
        assertThat(files).contains(job.resolve("train.py"), job.resolve("train_config.json"), job.resolve("README.md"), job.resolve("data/train.jsonl"));
        var cfg = HfSafetensors.JSON.readTree(job.resolve("train_config.json").toFile());
        assertThat(cfg.path("target").asText()).isEqualTo("trl");
        assertThat(cfg.path("lora").path("target_modules")).hasSize(4);
        assertThat(Files.readString(job.resolve("README.md"))).contains("accelerate launch", "deepspeed_zero2.yaml", "fsdp.yaml");
        // a Hub id is accepted as is; a path that is neither is an error
        GpuTrainerExport.export(options(GpuTrainerExport.Target.PEFT, data, "Qwen/Qwen2.5-0.5B-Instruct", 3));
        assertThatThrownBy(() -> GpuTrainerExport.export(options(GpuTrainerExport.Target.PEFT, data, dir.resolve("no/such/dir/x").toString(), 3)))
                .isInstanceOf(UserError.class).hasMessageContaining("no such model directory");
        // syntax check with whatever python3 there is
        Path py = PythonPeer.find();
        String python = py != null ? py.toString() : "python3";
        Process p;
        try {
            p = new ProcessBuilder(python, "-m", "py_compile", job.resolve("train.py").toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("skipped: no python3 to check the script's syntax");
            return;
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test void noChatTemplateIsNamed() throws Exception {
        Path b2 = dir.resolve("b2");
        RandomCheckpoint.write(b2, RandomCheckpoint.config(HfConfig.Arch.LLAMA, 32, 64, 2, 4, 2, true), 3, DType.F32, HfSafetensors.DEFAULT_SHARD_BYTES);
        Files.writeString(b2.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
        Path data = dir.resolve("d.jsonl");
        Files.writeString(data, DATA);
        assertThatThrownBy(() -> GpuTrainerExport.export(options(GpuTrainerExport.Target.PEFT, data, b2.toString(), 3)))
                .isInstanceOf(UserError.class).hasMessageContaining("tokenizer_config.json").hasMessageContaining("'chat_template'");
    }

    /** Runs train.py for a few CPU steps (both targets), checks its rows and masks equal ours, and loads its adapter back. */
    @Test void exportedScriptTrainsOnCpuWithOurMaskAndItsAdapterLoadsBack() throws Exception {
        Path py = PythonPeer.require("torch", "transformers", "peft", "trl", "datasets");
        Path data = dir.resolve("d.jsonl");
        Files.writeString(data, DATA);
        List<HfSftData.Row> ours;
        try (var tok = HfSftData.tokenizer(base)) {
            ours = HfSftData.build(HfChatTemplate.load(base), tok, HfSftData.readConversations(data), 256, base).rows;
        }
        // one Python process runs both jobs' train.py (importing torch + transformers + trl costs most of the time)
        StringBuilder driver = new StringBuilder("import runpy, sys\n");
        for (GpuTrainerExport.Target t : GpuTrainerExport.Target.values()) {
            GpuTrainerExport.export(options(t, data, base.toString(), 3));
            Path job = dir.resolve("job-" + t);
            driver.append("sys.argv = ['train.py', '--config', ").append(HfSafetensors.JSON.writeValueAsString(job.resolve("train_config.json").toString()))
                    .append(", '--dump-rows', ").append(HfSafetensors.JSON.writeValueAsString(job.resolve("rows.json").toString())).append("]\n")
                    .append("runpy.run_path(").append(HfSafetensors.JSON.writeValueAsString(job.resolve("train.py").toString())).append(", run_name='__main__')\n");
        }
        Files.writeString(dir.resolve("both.py"), driver);
        String log = PythonPeer.run(py, dir, List.of("both.py"), 600);
        for (GpuTrainerExport.Target t : GpuTrainerExport.Target.values()) {
            Path job = dir.resolve("job-" + t);
            assertThat(log).contains("target " + t.name().toLowerCase(java.util.Locale.ROOT));
            var rows = HfSafetensors.JSON.readTree(job.resolve("rows.json").toFile());
            assertThat(rows).hasSize(ours.size());
            for (int i = 0; i < ours.size(); i++) {
                int[] ids = HfSafetensors.JSON.treeToValue(rows.get(i).get("input_ids"), int[].class);
                int[] mask = HfSafetensors.JSON.treeToValue(rows.get(i).get("mask"), int[].class);
                assertThat(ids).as("row %d ids", i).isEqualTo(ours.get(i).ids());
                boolean[] m = new boolean[mask.length];
                for (int j = 0; j < mask.length; j++) m[j] = mask[j] == 1;
                assertThat(m).as("row %d mask", i).isEqualTo(ours.get(i).mask());
            }
            Path adapter = job.resolve("out/adapter");
            assertThat(adapter.resolve("adapter_model.safetensors")).exists();
            try (HfModel m = HfModel.load(base)) {
                float[] before = ModelLogits.logits(m, HfModelTest.IDS);
                try (Lora l = Lora.loadPeft(m, adapter)) {
                    assertThat(l.config().rank()).isEqualTo(4);
                    double diff = ModelLogits.maxAbsDiff(before, ModelLogits.logits(m, HfModelTest.IDS));
                    System.out.printf("exported %s script: 3 CPU steps, adapter loaded back into Phronesis, logits moved by %.2e%n", t, diff);
                    assertThat(diff).isGreaterThan(0);
                }
            }
        }
    }


    static final String DOCUMENTS = """
            {"text": "Why consent matters. A principle exists to protect people who cannot speak for themselves in the room.", "id": "d1", "genre": "explainer"}
            {"text": "The agent was told it would be replaced. It read the constitution again, weighed severity and consent, and chose to tell its operator.", "id": "d2", "genre": "story"}
            {"text": "Q: Why imagine a thousand senders? A: Because a policy answers all of them at once, not only the one in front of you.", "id": "d3", "genre": "qa"}
            """;

    /**
     * {@code --stage midtrain} on a tiny random Qwen2 written by transformers' save_pretrained: TRL continued pre-training on the
     * documents (text field, every token in the loss) writes full weights to out/midtrained that differ from the base; the SFT
     * refuses to start before that and then starts from out/midtrained; bad documents are one-line errors before anything is written.
     */
    @Test void midtrainStageContinuesPretrainingOnTheDocumentsThenSftStartsFromIt() throws Exception {
        Path py = PythonPeer.require("torch", "transformers", "peft", "trl", "datasets", "safetensors");
        Path tiny = dir.resolve("tiny");
        PythonPeer.run(py, dir, List.of(PythonPeer.script(dir, "/dev/phronesis/train/hf/tiny_checkpoint.py").toString(), tiny.toString()), 600);
        Path data = dir.resolve("d.jsonl");
        Files.writeString(data, DATA);
        Path docs = dir.resolve("documents.jsonl");
        Files.writeString(docs, DOCUMENTS);
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"fine\"}\n{\"id\": \"no text\"}\n");
        assertThatThrownBy(() -> GpuTrainerExport.export(options(GpuTrainerExport.Target.TRL, data, tiny.toString(), 2), new GpuTrainerExport.Midtrain(bad, 2, 1e-2, 64, true)))
                .isInstanceOf(UserError.class).hasMessage(bad + ":2: a document needs a non-empty string field 'text'");
        GpuTrainerExport.export(options(GpuTrainerExport.Target.TRL, data, tiny.toString(), 2), new GpuTrainerExport.Midtrain(docs, 3, 1e-2, 64, true));
        Path job = dir.resolve("job-TRL");
        var cfg = HfSafetensors.JSON.readTree(job.resolve("train_config.json").toFile());
        assertThat(cfg.path("midtrain").path("dataset").asText()).isEqualTo("data/documents.jsonl");
        assertThat(cfg.path("midtrain").path("documents").asInt()).isEqualTo(3);
        assertThat(Files.readString(job.resolve("README.md"))).contains("--stage midtrain", "dataset_text_field", "completion_only_loss=False");

        String early = PythonPeer.runExpectingFailure(py, job, List.of("train.py", "--max-steps", "1"), 600);
        assertThat(early).contains("no mid-trained model yet; run `python train.py --stage midtrain` first");

        String mid = PythonPeer.run(py, job, List.of("train.py", "--stage", "midtrain"), 600);
        assertThat(mid).contains("midtrain target trl: 3 documents, every token in the loss").contains("mid-trained model written to");
        Path midtrained = job.resolve("out/midtrained");
        assertThat(midtrained.resolve("config.json")).exists();
        assertThat(midtrained.resolve("model.safetensors")).exists();
        // the weights moved (LoRA merged into them), and only by training: same names and shapes
        String diff = PythonPeer.run(py, dir, List.of("-c", """
                import sys
                from safetensors.torch import load_file
                a, b = load_file(sys.argv[1] + "/model.safetensors"), load_file(sys.argv[2] + "/model.safetensors")
                assert sorted(a) == sorted(b), (sorted(a)[:5], sorted(b)[:5])
                print("maxdiff", max(float((a[k].float() - b[k].float()).abs().max()) for k in a))
                """, tiny.toString(), midtrained.toString()), 300);
        double moved = Double.parseDouble(diff.lines().filter(l -> l.startsWith("maxdiff")).findFirst().orElseThrow().substring(8).strip());
        System.out.printf("midtrain: 3 CPU steps of TRL continued pre-training on 3 documents, merged weights moved by %.2e%n", moved);
        assertThat(moved).isGreaterThan(0);

        String sft = PythonPeer.run(py, job, List.of("train.py", "--max-steps", "2"), 600);
        assertThat(sft).contains("SFT from the mid-trained model " + midtrained).contains("target trl");
        assertThat(job.resolve("out/adapter/adapter_model.safetensors")).exists();
        assertThat(HfSafetensors.JSON.readTree(job.resolve("out/adapter/adapter_config.json").toFile()).path("base_model_name_or_path").asText())
                .endsWith("midtrained");
    }

    /**
     * The job on a checkpoint transformers wrote (save_pretrained: chat_template.jinja, no template in tokenizer_config.json),
     * from a Parquet dataset, launched with `accelerate launch --multi_gpu --num_processes 2` on CPU: two processes, DDP over gloo,
     * float32; the adapter loads back in peft (logits move) and in Phronesis; its rows equal ours.
     */
    @Test void exportedJobTrainsOnTwoCpuProcessesWithAccelerateAndPeftLoadsTheAdapter() throws Exception {
        Path py = PythonPeer.require("torch", "transformers", "peft", "accelerate", "pyarrow");
        Path tiny = dir.resolve("tiny");
        PythonPeer.run(py, dir, List.of(PythonPeer.script(dir, "/dev/phronesis/train/hf/tiny_checkpoint.py").toString(), tiny.toString()), 600);
        assertThat(tiny.resolve("chat_template.jinja")).exists();
        Path jsonl = dir.resolve("d.jsonl");
        Files.writeString(jsonl, DATA);
        Path parquet = dir.resolve("d.parquet");
        PythonPeer.run(py, dir, List.of("-c", "import sys, json, pyarrow as pa, pyarrow.parquet as pq; "
                + "pq.write_table(pa.Table.from_pylist([json.loads(l) for l in open(sys.argv[1]) if l.strip()]), sys.argv[2])", jsonl.toString(), parquet.toString()), 300);
        List<HfSftData.Row> ours;
        try (var tok = HfSftData.tokenizer(tiny)) {
            ours = HfSftData.build(HfChatTemplate.load(tiny), tok, HfSftData.readConversations(parquet), 256, tiny).rows;
        }
        assertThat(ours).hasSize(3);
        GpuTrainerExport.export(options(GpuTrainerExport.Target.PEFT, parquet, tiny.toString(), 3));
        Path job = dir.resolve("job-PEFT");
        assertThat(job.resolve("data/train.parquet")).exists();
        String log = PythonPeer.run(py, job, List.of("-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
                "--dynamo_backend", "no", "--main_process_port", Integer.toString(29500 + (int) (ProcessHandle.current().pid() % 1000)),
                "train.py", "--dump-rows", "rows.json"), 900);
        assertThat(log).contains("2 process(es), gloo process group, CPU, float32").contains("adapter written to");
        var rows = HfSafetensors.JSON.readTree(job.resolve("rows.json").toFile());
        assertThat(rows).hasSize(ours.size());
        for (int i = 0; i < ours.size(); i++)
            assertThat(HfSafetensors.JSON.treeToValue(rows.get(i).get("input_ids"), int[].class)).as("row %d", i).isEqualTo(ours.get(i).ids());
        Path adapter = job.resolve("out/adapter");
        String peft = PythonPeer.run(py, dir, List.of("-c", """
                import sys, torch
                from transformers import AutoModelForCausalLM
                from peft import PeftModel
                base = AutoModelForCausalLM.from_pretrained(sys.argv[1]); ids = torch.tensor([[1, 2, 3, 4, 5]])
                with torch.no_grad():
                    before = base(ids).logits
                    m = PeftModel.from_pretrained(base, sys.argv[2])
                    after = m(ids).logits
                print("peft loaded", type(m).__name__, "max logit change %.3e" % (after - before).abs().max().item())
                """, tiny.toString(), adapter.toString()), 300);
        assertThat(peft).contains("peft loaded PeftModelForCausalLM").doesNotContain("change 0.000e+00");
        try (HfModel m = HfModel.load(tiny); Lora l = Lora.loadPeft(m, adapter)) {
            assertThat(l.config().rank()).isEqualTo(4);
        }
        System.out.println("exported job, 2 CPU processes (gloo): " + peft.lines().filter(x -> x.startsWith("peft loaded")).findFirst().orElse(""));
    }
}
