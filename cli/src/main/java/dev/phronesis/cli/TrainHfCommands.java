package dev.phronesis.cli;

import dev.phronesis.core.UserError;
import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.GpuTrainerExport;
import dev.phronesis.llm.HfChatTemplate;
import dev.phronesis.train.hf.HfConfig;
import dev.phronesis.train.hf.HfModel;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.train.hf.HfSftData;
import dev.phronesis.train.hf.RandomCheckpoint;
import dev.phronesis.train.lora.Lora;
import dev.phronesis.train.lora.LoraConfig;
import dev.phronesis.train.lora.LoraTrainConfig;
import dev.phronesis.train.lora.LoraTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code phronesis train lora|export|merge|inspect|random-checkpoint}: real Hugging Face students (see docs/real-models.md). */
final class TrainHfCommands {
    private TrainHfCommands() {}

    /** LoRA knobs shared by {@code lora} and {@code export}. */
    static final class LoraOptions {
        @Option(names = "--r", defaultValue = "16", description = "LoRA rank (default ${DEFAULT-VALUE})") int rank;
        @Option(names = "--alpha", defaultValue = "32", description = "LoRA alpha; updates are scaled by alpha/r (default ${DEFAULT-VALUE})") double alpha;
        @Option(names = "--dropout", defaultValue = "0.05", description = "LoRA dropout (default ${DEFAULT-VALUE})") double dropout;
        @Option(names = "--mlp", description = "also adapt the MLP (gate/up/down_proj), not only attention (q/k/v/o_proj)") boolean mlp;
        @Option(names = "--target-modules", split = ",", description = "explicit target modules, e.g. q_proj,v_proj (overrides --mlp)") List<String> targets;
        @Option(names = "--steps", defaultValue = "100", description = "optimizer steps (default ${DEFAULT-VALUE})") int steps;
        @Option(names = "--lr", defaultValue = "2e-4", description = "learning rate, constant after warm-up (default ${DEFAULT-VALUE})") double lr;
        @Option(names = "--warmup", defaultValue = "10", description = "warm-up steps (default ${DEFAULT-VALUE})") int warmup;
        @Option(names = "--batch-size", defaultValue = "4", description = "rows per step (default ${DEFAULT-VALUE})") int batchSize;
        @Option(names = "--max-len", defaultValue = "1024", description = "tokens per row, capped at the model's max_position_embeddings; longer rows are cut at the end, rows with no assistant token left are dropped, both counted (default ${DEFAULT-VALUE})") int maxLen;
        @Option(names = "--seed", defaultValue = "1234") long seed;

        LoraConfig lora() {
            try {
                return targets == null ? LoraConfig.of(rank, alpha, dropout, mlp) : new LoraConfig(rank, alpha, dropout, new ArrayList<>(targets));
            } catch (IllegalArgumentException e) {
                throw new UserError("--r/--alpha/--dropout/--target-modules: " + e.getMessage());
            }
        }
    }

    @Command(name = "lora", mixinStandardHelpOptions = true, header = "LoRA-fine-tune a Hugging Face checkpoint on a dataset (CPU, resumable).",
            description = {"Renders each conversation with the checkpoint's chat template (tokenizer_config.json), trains LoRA adapters on "
                    + "assistant tokens only, and writes a PEFT adapter to OUT/adapter. Rerun the same command after a kill to resume."})
    static final class Train implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DATASET", description = "JSONL or Parquet: any dataset format phronesis writes (samples, hf-reasoning, think, openai, parquet) or {\"messages\": [...]} chats") Path dataset;
        @Option(names = "--base", required = true, description = "Hugging Face model directory (config.json, *.safetensors, tokenizer.json)") Path base;
        @Option(names = "--out", required = true, description = "run directory") Path out;
        @Option(names = "--checkpoint-every", defaultValue = "25") int checkpointEvery;
        @Option(names = "--threads", defaultValue = "0", description = "torch threads (0 = all cores)") int threads;
        @Option(names = "--merge-to", description = "also write base + adapter merged as full HF weights here") Path mergeTo;
        @picocli.CommandLine.Mixin LoraOptions o = new LoraOptions();

        @Override public Integer call() throws Exception {
            LoraTrainConfig cfg;
            try {
                cfg = new LoraTrainConfig(o.lora(), o.maxLen, o.batchSize, o.steps, o.lr, o.warmup, 0.0, 1.0, checkpointEvery, o.seed, threads);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            var r = LoraTrainer.train(base, HfSftData.readConversations(dataset), cfg, out, dev.phronesis.train.ConsoleProgress.stderr("lora"));
            if (r.resumedFrom() < 0) System.out.println("already finished: " + r.adapter());
            System.out.printf(Locale.ROOT, "adapter %s%nsteps %d, loss %.4f, %d rows, %,d trained tokens per epoch (%d rows cut at %d tokens, %d dropped with nothing to train on inside it), trainable %,d of %,d parameters (%.2f%%), %.0f tokens/s%n",
                    r.adapter(), r.steps(), r.loss(), r.rows(), r.trainedTokens(), r.truncated(), r.maxLen(), r.dropped(), r.trainableParameters(), r.baseParameters(),
                    100.0 * r.trainableParameters() / r.baseParameters(), r.tokensPerSecond());
            if (mergeTo != null) Merge.merge(base, r.adapter(), mergeTo, DType.F32, HfSafetensors.DEFAULT_SHARD_BYTES);
            return Main.OK;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, header = "Write a transformers+peft or TRL training job for GPUs (train.py + config + README).",
            description = {"The job trains on the same rows with the same assistant-only mask and writes a PEFT adapter that "
                    + "`phronesis train merge` / `inspect --adapter` read back. Run it with `python train.py` or `accelerate launch train.py`."})
    static final class Export implements Callable<Integer> {
        @Option(names = "--target", required = true, description = "peft (transformers Trainer + peft) or trl (TRL SFTTrainer)") String target;
        @Parameters(index = "0", paramLabel = "DATASET", description = "JSONL or Parquet dataset (any format phronesis writes)") Path dataset;
        @Option(names = "--base", required = true, description = "Hugging Face model directory or Hub id (owner/name)") String base;
        @Option(names = "--out", required = true, description = "job directory to write") Path out;
        @Option(names = "--grad-accum", defaultValue = "1") int gradAccum;
        @Option(names = "--save-steps", defaultValue = "50") int saveSteps;
        @Option(names = "--documents", paramLabel = "DOCS.jsonl", description = "add a mid-training stage on these documents ({\"text\": ...} per line, e.g. "
                + "documents dataset's documents.jsonl): python train.py --stage midtrain, then python train.py (SFT from the mid-trained model)") Path documents;
        @Option(names = "--midtrain-steps", defaultValue = "500", description = "mid-training steps (default ${DEFAULT-VALUE})") int midtrainSteps;
        @Option(names = "--midtrain-lr", defaultValue = "5e-5", description = "mid-training learning rate (default ${DEFAULT-VALUE})") double midtrainLr;
        @Option(names = "--midtrain-full", description = "mid-train all parameters instead of a LoRA merged afterwards") boolean midtrainFull;
        @picocli.CommandLine.Mixin LoraOptions o = new LoraOptions();

        @Override public Integer call() throws Exception {
            GpuTrainerExport.Target t = switch (target.toLowerCase(Locale.ROOT)) {
                case "peft" -> GpuTrainerExport.Target.PEFT;
                case "trl" -> GpuTrainerExport.Target.TRL;
                default -> throw new UserError("--target must be peft or trl, got '" + target + "'");
            };
            GpuTrainerExport.Options opts;
            GpuTrainerExport.Midtrain mid = null;
            try {
                opts = new GpuTrainerExport.Options(t, dataset, base, out, o.lora(), o.maxLen, o.batchSize, gradAccum, o.steps, o.lr,
                        o.warmup, 0.0, 1.0, saveSteps, o.seed);
                if (documents != null) mid = new GpuTrainerExport.Midtrain(documents, midtrainSteps, midtrainLr, o.maxLen, !midtrainFull);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            for (Path p : GpuTrainerExport.export(opts, mid)) System.out.println("wrote " + p);
            System.out.println("run: cd " + out + " && pip install -r requirements.txt && " + (mid == null ? "" : "python train.py --stage midtrain && ")
                    + "python train.py   (several GPUs: accelerate launch train.py)");
            return Main.OK;
        }
    }

    @Command(name = "merge", mixinStandardHelpOptions = true, header = "Merge a PEFT LoRA adapter into full Hugging Face weights (for vLLM, transformers, llama.cpp).")
    static final class Merge implements Callable<Integer> {
        @Option(names = "--base", required = true) Path base;
        @Option(names = "--adapter", required = true, description = "PEFT adapter directory (adapter_config.json + adapter_model.safetensors)") Path adapter;
        @Option(names = "--out", required = true) Path out;
        @Option(names = "--dtype", defaultValue = "f32", description = "f32, bf16 or f16 (default ${DEFAULT-VALUE})") String dtype;
        @Option(names = "--max-shard-bytes", defaultValue = "5000000000", description = "shard size like save_pretrained (default ${DEFAULT-VALUE})") long shard;

        @Override public Integer call() throws Exception {
            DType d = switch (dtype.toLowerCase(Locale.ROOT)) {
                case "f32", "float32" -> DType.F32;
                case "bf16", "bfloat16" -> DType.BF16;
                case "f16", "float16" -> DType.F16;
                default -> throw new UserError("--dtype must be f32, bf16 or f16, got '" + dtype + "'");
            };
            merge(base, adapter, out, d, shard);
            return Main.OK;
        }

        static void merge(Path base, Path adapter, Path out, DType dtype, long shard) throws java.io.IOException {
            try (HfModel m = HfModel.load(base); Lora l = Lora.loadPeft(m, adapter)) {
                HfModel.save(out, m.config(), l.mergedState(), dtype, shard, base);
            }
            System.out.println("merged weights written to " + out + " (" + dtype + ")");
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, header = "Check a Hugging Face model directory (and optionally a PEFT adapter) loads.")
    static final class Inspect implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "MODEL_DIR") Path dir;
        @Option(names = "--adapter", description = "PEFT adapter directory to check against the model") Path adapter;
        @Option(names = "--json", description = "Print one JSON object (config, chat template, adapter) instead of text") boolean json;

        @Override public Integer call() throws Exception {
            if (json) return json();
            try (HfModel m = HfModel.load(dir)) {
                HfConfig c = m.config();
                System.out.printf(Locale.ROOT, "%s: %s, %,d parameters, %d layers, hidden %d, heads %d (kv %d, head_dim %d), vocab %d, tied %s, qkv bias %s, qk-norm %s, rope theta %s %s%n",
                        dir, c.arch().className, c.parameterCount(), c.numHiddenLayers(), c.hiddenSize(), c.numAttentionHeads(), c.numKeyValueHeads(),
                        c.headDim(), c.vocabSize(), c.tieWordEmbeddings(), c.qkvBias(), c.qkNorm(), c.ropeTheta(), c.ropeScaling());
                try {
                    HfChatTemplate.load(dir).selfCheck();
                    System.out.println("chat template: ok");
                } catch (UserError e) {
                    System.out.println("chat template: " + e.getMessage());
                }
                if (adapter != null) {
                    try (Lora l = Lora.loadPeft(m, adapter)) {
                        System.out.printf(Locale.ROOT, "adapter %s: r %d, alpha %s, targets %s, %,d trainable parameters (%.2f%%)%n", adapter,
                                l.config().rank(), l.config().alpha(), l.config().targetModules(), l.trainableParameterCount(),
                                100.0 * l.trainableParameterCount() / c.parameterCount());
                    }
                }
            }
            return Main.OK;
        }

        private Integer json() throws Exception {
            var o = dev.phronesis.core.Json.MAPPER.createObjectNode();
            try (HfModel m = HfModel.load(dir)) {
                HfConfig c = m.config();
                o.put("dir", dir.toString()).put("architecture", c.arch().className).put("parameters", c.parameterCount()).put("layers", c.numHiddenLayers())
                        .put("hidden_size", c.hiddenSize()).put("attention_heads", c.numAttentionHeads()).put("kv_heads", c.numKeyValueHeads())
                        .put("head_dim", c.headDim()).put("vocab_size", c.vocabSize()).put("max_position_embeddings", c.maxPositionEmbeddings())
                        .put("tied_embeddings", c.tieWordEmbeddings()).put("qkv_bias", c.qkvBias()).put("qk_norm", c.qkNorm()).put("rope_theta", c.ropeTheta())
                        .put("rope_scaling", String.valueOf(c.ropeScaling()));
                try {
                    HfChatTemplate.load(dir);
                    o.putObject("chat_template").put("ok", true);
                } catch (UserError e) {
                    o.putObject("chat_template").put("ok", false).put("error", e.getMessage());
                }
                if (adapter != null) {
                    try (Lora l = Lora.loadPeft(m, adapter)) {
                        var a = o.putObject("adapter");
                        a.put("dir", adapter.toString()).put("r", l.config().rank()).put("alpha", l.config().alpha())
                                .put("trainable_parameters", l.trainableParameterCount());
                        var t = a.putArray("target_modules");
                        l.config().targetModules().forEach(t::add);
                    }
                }
            }
            System.out.println(dev.phronesis.core.Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o));
            return Main.OK;
        }
    }

    @Command(name = "random-checkpoint", mixinStandardHelpOptions = true, header = "Write a random-weight checkpoint in the Hugging Face layout (for trying things offline).")
    static final class Random implements Callable<Integer> {
        @Option(names = "--arch", defaultValue = "llama", description = "llama, qwen2 or qwen3") String arch;
        @Option(names = "--hidden", defaultValue = "64") int hidden;
        @Option(names = "--intermediate", defaultValue = "128") int intermediate;
        @Option(names = "--layers", defaultValue = "2") int layers;
        @Option(names = "--heads", defaultValue = "4") int heads;
        @Option(names = "--kv-heads", defaultValue = "2") int kvHeads;
        @Option(names = "--dtype", defaultValue = "f32", description = "f32 or bf16") String dtype;
        @Option(names = "--seed", defaultValue = "1") long seed;
        @Option(names = "--out", required = true) Path out;

        @Override public Integer call() throws Exception {
            HfConfig.Arch a = switch (arch.toLowerCase(Locale.ROOT)) {
                case "llama" -> HfConfig.Arch.LLAMA;
                case "qwen2" -> HfConfig.Arch.QWEN2;
                case "qwen3" -> HfConfig.Arch.QWEN3;
                default -> throw new UserError("--arch must be llama, qwen2 or qwen3, got '" + arch + "'");
            };
            HfConfig c;
            try {
                c = RandomCheckpoint.config(a, hidden, intermediate, layers, heads, kvHeads, true);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            RandomCheckpoint.write(out, c, seed, dtype.equalsIgnoreCase("bf16") ? DType.BF16 : DType.F32, HfSafetensors.DEFAULT_SHARD_BYTES);
            System.out.printf(Locale.ROOT, "wrote %s: %s with %,d parameters%n", out, a.className, c.parameterCount());
            return Main.OK;
        }
    }
}
