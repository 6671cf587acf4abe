package dev.phronesis.train.hf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a random-weight checkpoint in exactly the Hugging Face layout (config.json, safetensors,
 * tokenizer.json, tokenizer_config.json with a ChatML chat template), so loading, LoRA, export and
 * the exported scripts can be exercised without downloading weights. The tokenizer is byte-level
 * BPE with no merges (every byte one token, as GPT-2's alphabet maps them) plus ChatML specials.
 */
public final class RandomCheckpoint {
    public static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    /** 256 byte tokens and the specials. */
    public static final int MIN_VOCAB = 256 + SPECIALS.size();
    public static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private RandomCheckpoint() {}

    /** A small config of the given family (vocab = {@link #MIN_VOCAB} rounded up to 64). */
    public static HfConfig config(HfConfig.Arch arch, int hidden, int intermediate, int layers, int heads, int kvHeads, boolean tied) {
        int vocab = (MIN_VOCAB + 63) / 64 * 64;
        return new HfConfig(arch, vocab, hidden, intermediate, layers, heads, kvHeads, hidden / heads, 512, 1e-6, 10000.0,
                new HfConfig.RopeScaling.None(), tied, arch == HfConfig.Arch.QWEN2, false, arch == HfConfig.Arch.QWEN3, null,
                List.of(257));
    }

    /** Normal(0, std) weights, unit norms, small random biases. */
    public static Map<String, HostTensor> weights(HfConfig c, long seed, double std) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (var e : c.expectedTensors().entrySet()) {
            float[] v = new float[Math.toIntExact(HostTensor.elements(e.getValue()))];
            boolean norm = e.getKey().endsWith("norm.weight");
            for (int i = 0; i < v.length; i++) v[i] = norm ? (float) (1 + 0.1 * rnd.nextGaussian()) : (float) (rnd.nextGaussian() * std);
            out.put(e.getKey(), new HostTensor(e.getValue(), v));
        }
        return out;
    }

    public static void write(Path dir, HfConfig c, long seed, DType dtype, long maxShardBytes) throws IOException {
        Files.createDirectories(dir);
        c.write(dir.resolve("config.json"));
        HfSafetensors.writeModel(dir, weights(c, seed, 0.05), dtype, maxShardBytes);
        writeTokenizer(dir);
    }

    /** tokenizer.json (byte-level BPE, no merges) and tokenizer_config.json with the ChatML template. */
    public static void writeTokenizer(Path dir) throws IOException {
        var json = HfSafetensors.JSON;
        ObjectNode t = json.createObjectNode();
        t.put("version", "1.0");
        t.putNull("truncation");
        t.putNull("padding");
        ArrayNode added = t.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            added.addObject().put("id", 256 + i).put("content", SPECIALS.get(i)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        t.putNull("normalizer");
        t.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        t.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false).put("use_regex", true);
        t.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = t.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix").putNull("end_of_word_suffix")
                .put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        int[] cs = byteToUnicode();
        for (int b = 0; b < 256; b++) vocab.put(new String(Character.toChars(cs[b])), b);
        model.putArray("merges");
        Files.writeString(dir.resolve("tokenizer.json"), json.writeValueAsString(t));

        ObjectNode tc = json.createObjectNode();
        tc.put("tokenizer_class", "PreTrainedTokenizerFast");
        tc.put("bos_token", (String) null);
        tc.put("eos_token", "<|im_end|>");
        tc.put("pad_token", "<|endoftext|>");
        tc.put("model_max_length", 512);
        tc.put("chat_template", CHATML);
        Files.writeString(dir.resolve("tokenizer_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(tc) + "\n");
    }

    /** GPT-2's byte → printable code point table. */
    static int[] byteToUnicode() {
        int[] cs = new int[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) cs[b] = printable[b] ? b : 256 + n++;
        return cs;
    }
}
