package dev.phronesis.train;

import java.nio.file.Path;

/** Text ↔ token ids. Implementations are immutable and thread-safe. */
public interface Tokenizer {
    int[] encode(String text);

    String decode(int[] ids);

    int vocabSize();

    /** The id of a special token such as {@code <|end|>}, or -1 when this vocabulary has none. */
    int specialId(String token);

    /** Writes the vocabulary beside a checkpoint. */
    void save(Path checkpointDir) throws java.io.IOException;

    /** The tokenizer saved in a checkpoint directory: the organism's word-level vocabulary, or an HF {@code tokenizer.json}. */
    static Tokenizer load(Path checkpointDir) {
        if (java.nio.file.Files.exists(checkpointDir.resolve(WordTokenizer.FILE))) return WordTokenizer.read(checkpointDir.resolve(WordTokenizer.FILE));
        if (java.nio.file.Files.exists(checkpointDir.resolve("tokenizer.json"))) return HfTokenizer.load(checkpointDir.resolve("tokenizer.json"));
        throw new dev.phronesis.core.UserError(checkpointDir + ": no tokenizer (" + WordTokenizer.FILE + " or tokenizer.json)");
    }
}
