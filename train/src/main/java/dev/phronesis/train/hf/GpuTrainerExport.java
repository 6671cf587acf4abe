package dev.phronesis.train.hf;

import dev.phronesis.llm.HfChatTemplate;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;
import dev.phronesis.train.lora.LoraConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands a LoRA SFT job to the trainers people run on GPUs: writes a self-contained directory with a
 * runnable {@code train.py} (transformers + peft, or TRL's SFTTrainer), its {@code train_config.json},
 * a copy of the dataset, accelerate configs for DeepSpeed ZeRO-2 and FSDP, {@code requirements.txt}
 * and a README. The script renders and masks rows exactly as {@link HfSftData} does and writes a
 * PEFT adapter that {@code Lora.loadPeft} reads back.
 */
public final class GpuTrainerExport {
    public enum Target { PEFT, TRL }

    /**
     * @param base a local model directory (validated: config.json, chat template) or a Hub id such as {@code Qwen/Qwen2.5-0.5B-Instruct}
     */
    public record Options(Target target, Path dataset, String base, Path out, LoraConfig lora, int maxLen, int batchSize,
                          int gradAccum, int maxSteps, double lr, int warmupSteps, double weightDecay, double gradClip,
                          int saveSteps, long seed) {
        public Options {
            if (maxLen < 2) throw new IllegalArgumentException("--max-len must be >= 2, got " + maxLen);
            if (batchSize < 1 || gradAccum < 1 || maxSteps < 1 || saveSteps < 1)
                throw new IllegalArgumentException("--batch-size, --grad-accum, --steps and --save-steps must be >= 1");
            if (!(lr > 0)) throw new IllegalArgumentException("--lr must be > 0, got " + lr);
        }
    }

    /**
     * The job's mid-training stage ({@code python train.py --stage midtrain}): continued pre-training of the base
     * on plain-text documents ({@code {"text": ...}} per line), every token in the loss, before the SFT, which then
     * starts from the mid-trained model.
     *
     * @param documents the documents JSONL (e.g. {@code documents dataset}'s documents.jsonl)
     * @param lora      LoRA (the job's settings), merged into full weights after training; false: all parameters
     */
    public record Midtrain(Path documents, int maxSteps, double lr, int maxLen, boolean lora) {
        public Midtrain {
            if (maxSteps < 1) throw new IllegalArgumentException("--midtrain-steps must be >= 1, got " + maxSteps);
            if (!(lr > 0)) throw new IllegalArgumentException("--midtrain-lr must be > 0, got " + lr);
            if (maxLen < 2) throw new IllegalArgumentException("--max-len must be >= 2, got " + maxLen);
        }
    }

    private GpuTrainerExport() {}

    /** Writes the job directory; returns the files written. */
    public static List<Path> export(Options o) throws IOException { return export(o, null); }

    /** Writes the job directory, with a mid-training stage when {@code midtrain} is given; returns the files written. */
    public static List<Path> export(Options o, Midtrain midtrain) throws IOException {
        int documents = midtrain == null ? 0 : checkDocuments(midtrain.documents());
        // 1. check inputs before writing anything
        List<java.util.List<dev.phronesis.core.records.Turn>> chats = HfSftData.readConversations(o.dataset());
        Path local = Path.of(o.base());
        String base;
        if (Files.isDirectory(local)) {
            HfConfig.read(local.resolve("config.json")); // supported architecture
            HfChatTemplate.load(local); // has a chat template
            base = local.toAbsolutePath().normalize().toString();
        } else if (o.base().matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")) {
            base = o.base(); // a Hub id: transformers downloads it on the GPU machine
        } else {
            throw new UserError("--base " + o.base() + ": no such model directory (and not a Hub id like owner/name)");
        }
        // 2. the job directory
        Files.createDirectories(o.out().resolve("data"));
        Files.createDirectories(o.out().resolve("accelerate"));
        List<Path> written = new ArrayList<>();
        String dataName = ParquetRows.isParquet(o.dataset()) ? "data/train.parquet" : "data/train.jsonl";
        Path data = o.out().resolve(dataName);
        Files.copy(o.dataset(), data, StandardCopyOption.REPLACE_EXISTING);
        written.add(data);
        written.add(resource("train_lora.py", o.out().resolve("train.py")));
        o.out().resolve("train.py").toFile().setExecutable(true);
        written.add(resource("deepspeed_zero2.yaml", o.out().resolve("accelerate/deepspeed_zero2.yaml")));
        written.add(resource("fsdp.yaml", o.out().resolve("accelerate/fsdp.yaml")));

        ObjectNode c = HfSafetensors.JSON.createObjectNode();
        c.put("target", o.target().name().toLowerCase(java.util.Locale.ROOT));
        c.put("base_model", base);
        c.put("dataset", dataName);
        c.put("output_dir", "out");
        ObjectNode l = c.putObject("lora");
        l.put("r", o.lora().rank()).put("lora_alpha", o.lora().alpha()).put("lora_dropout", o.lora().dropout());
        var tm = l.putArray("target_modules");
        o.lora().targetModules().forEach(tm::add);
        c.put("max_len", o.maxLen()).put("batch_size", o.batchSize()).put("grad_accum", o.gradAccum()).put("max_steps", o.maxSteps())
                .put("lr", o.lr()).put("warmup_steps", o.warmupSteps()).put("weight_decay", o.weightDecay()).put("grad_clip", o.gradClip())
                .put("save_steps", o.saveSteps()).put("seed", o.seed()).put("bf16", "auto").put("gradient_checkpointing", false).put("resume", true);
        if (midtrain != null) {
            Path docs = o.out().resolve("data/documents.jsonl");
            Files.copy(midtrain.documents(), docs, StandardCopyOption.REPLACE_EXISTING);
            written.add(docs);
            ObjectNode m = c.putObject("midtrain");
            m.put("dataset", "data/documents.jsonl").put("output_dir", "out/midtrained").put("max_steps", midtrain.maxSteps())
                    .put("lr", midtrain.lr()).put("max_len", midtrain.maxLen()).put("lora", midtrain.lora()).put("documents", documents);
        }
        Path cfg = o.out().resolve("train_config.json");
        Files.writeString(cfg, HfSafetensors.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c) + "\n");
        written.add(cfg);

        Path req = o.out().resolve("requirements.txt");
        Files.writeString(req, "torch\ntransformers>=4.45\npeft>=0.13\nsafetensors\naccelerate\ndatasets\n"
                + (o.target() == Target.TRL ? "trl>=0.20\n" : "") + "# deepspeed  # for accelerate/deepspeed_zero2.yaml\n");
        written.add(req);
        Path readme = o.out().resolve("README.md");
        Files.writeString(readme, readme(o, base, dataName, chats.size()) + (midtrain == null ? "" : midtrainReadme(midtrain, documents)));
        written.add(readme);
        return written;
    }

    /** The number of documents; a line that is not {@code {"text": "..."}} is a one-line error naming file and line. */
    static int checkDocuments(Path f) throws IOException {
        if (!Files.isRegularFile(f)) throw new UserError("--documents " + f + ": no such file");
        int n = 0, line = 0;
        for (String l : Files.readAllLines(f, java.nio.charset.StandardCharsets.UTF_8)) {
            line++;
            if (l.isBlank()) continue;
            com.fasterxml.jackson.databind.JsonNode j;
            try {
                j = HfSafetensors.JSON.readTree(l);
            } catch (IOException e) {
                throw new UserError(f + ":" + line + ": not JSON");
            }
            if (!j.path("text").isTextual() || j.path("text").asText().isBlank()) throw new UserError(f + ":" + line + ": a document needs a non-empty string field 'text'");
            n++;
        }
        if (n == 0) throw new UserError("--documents " + f + ": no documents");
        return n;
    }

    private static String midtrainReadme(Midtrain m, int documents) {
        return """

                ## Mid-training first (documents → then SFT)

                This job has a mid-training stage: `python train.py --stage midtrain` continues pre-training the base on
                `data/documents.jsonl` (%d documents) with every token in the loss — TRL `SFTTrainer` with `dataset_text_field="text"` and
                `completion_only_loss=False` (transformers `Trainer` with labels = inputs when trl is missing); %s; %d steps at lr %s,
                rows cut at %d tokens; written to `out/midtrained` (full weights and tokenizer). Then `python train.py` runs the SFT above
                **from `out/midtrained`**, not the base (it refuses to start before the mid-trained model exists), so inspect and merge the
                adapter against `out/midtrained`. Several GPUs: `accelerate launch train.py --stage midtrain`; merging a LoRA under FSDP or
                DeepSpeed is not tested here — with those, set `"lora": false` in the `midtrain` section (all parameters, saved as is).
                """.formatted(documents, m.lora() ? "LoRA with the settings above, merged into full weights after training" : "all parameters",
                m.maxSteps(), m.lr(), m.maxLen());
    }

    private static Path resource(String name, Path to) throws IOException {
        try (InputStream in = GpuTrainerExport.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            Files.write(to, in.readAllBytes());
        }
        return to;
    }

    private static String readme(Options o, String base, String dataName, int rows) {
        String t = o.target().name().toLowerCase(java.util.Locale.ROOT);
        return """
                # LoRA SFT job (exported by `phronesis train export --target %s`)

                Run: `pip install -r requirements.txt && python train.py` (one GPU, or CPU in float32 when there is none) or
                `accelerate launch train.py` (several GPUs, DDP); the adapter lands in `out/adapter/`.

                - Base model: `%s`; dataset: `%s` (%d conversations); trainer: %s.
                - Settings: `train_config.json` (LoRA r=%d, alpha=%s, dropout=%s, target modules %s; max_len %d; batch %d x grad_accum %d; %d steps; lr %s, constant after %d warm-up steps).
                - Same rows and loss mask as Phronesis' built-in trainer: each conversation is rendered with the tokenizer's chat template and only
                  assistant turns (with their end-of-turn marker) are trained on. Reasoning (a sample's `reasoning`, `reasoning_content`, or a leading
                  `<think>` span) goes to the template as `reasoning_content` when the template reads that field, else inline as `<think>`; a row whose
                  reasoning the template would not render is refused. Rows are cut at min(max_len, the model's max_position_embeddings); rows with
                  nothing left to train on are dropped; the first line of output counts both.
                  `python train.py --max-steps 3 --dump-rows rows.json` writes the rows for checking.
                - Resumes from `out/checkpoints/checkpoint-N` when rerun after a stop.
                - Several GPUs: `accelerate launch --num_processes 8 train.py` (DDP; the global batch is batch x grad_accum x processes).
                  Several machines: add `--num_machines N --machine_rank R --main_process_ip HOST --main_process_port PORT` on each.
                  DeepSpeed ZeRO-2 (optimizer state and gradients sharded): `pip install deepspeed` and
                  `accelerate launch --config_file accelerate/deepspeed_zero2.yaml train.py`. FSDP (parameters sharded too, for bases that do not
                  fit one GPU): `accelerate launch --config_file accelerate/fsdp.yaml train.py`. Set `num_processes` in the YAML to your GPU count;
                  both configs are for GPU clusters (bf16) and are not tested here. For long rows set `"gradient_checkpointing": true` in `train_config.json`.
                - Without a GPU: `accelerate launch --multi_gpu --num_processes 2 train.py` starts two CPU processes (torchrun) that train
                  with DDP over gloo in float32, the way Phronesis' own test runs it. (`accelerate launch --cpu` starts one process.)
                - Back in Phronesis: `phronesis train inspect %s --adapter out/adapter` checks the adapter against the base, and
                  `phronesis train merge --base %s --adapter out/adapter --out merged/` writes full HF weights for vLLM, transformers
                  or llama.cpp's convert_hf_to_gguf.py.
                """.formatted(t, base, dataName, rows, o.target() == Target.TRL ? "TRL SFTTrainer (falls back to transformers Trainer + peft when trl is missing)" : "transformers Trainer + peft",
                o.lora().rank(), o.lora().alpha(), o.lora().dropout(), o.lora().targetModules(), o.maxLen(), o.batchSize(), o.gradAccum(),
                o.maxSteps(), o.lr(), o.warmupSteps(), base, base);
    }
}
