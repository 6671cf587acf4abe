package dev.phronesis.train;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.phronesis.core.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** A Hugging Face {@code tokenizer.json} (real checkpoints) through DJL's tokenizers binding. Adds no special tokens on its own. */
public final class HfTokenizer implements Tokenizer {
    private final Path source;
    private final HuggingFaceTokenizer tok;
    private final int vocabSize;

    private HfTokenizer(Path source, HuggingFaceTokenizer tok, int vocabSize) {
        this.source = source;
        this.tok = tok;
        this.vocabSize = vocabSize;
    }

    public static HfTokenizer load(Path tokenizerJson) {
        try {
            var t = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("addSpecialTokens", "false"));
            int vocab = Json.MAPPER.readTree(tokenizerJson.toFile()).path("model").path("vocab").size();
            var added = Json.MAPPER.readTree(tokenizerJson.toFile()).path("added_tokens");
            for (var a : added) vocab = Math.max(vocab, a.path("id").asInt() + 1);
            return new HfTokenizer(tokenizerJson, t, vocab);
        } catch (IOException | RuntimeException e) {
            throw new UserError(tokenizerJson + ": cannot load tokenizer: " + Json.oneLine(e instanceof Exception x ? x : new RuntimeException(e)));
        }
    }

    @Override public int[] encode(String text) {
        Encoding e = tok.encode(text, false, false);
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return tok.decode(l, false);
    }

    @Override public int vocabSize() { return vocabSize; }

    @Override public int specialId(String token) {
        Encoding e = tok.encode(token, false, false);
        return e.getIds().length == 1 ? Math.toIntExact(e.getIds()[0]) : -1;
    }

    @Override public void save(Path checkpointDir) throws IOException {
        Path target = checkpointDir.resolve("tokenizer.json");
        if (!Files.exists(target) || !Files.isSameFile(source, target)) Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
    }
}
