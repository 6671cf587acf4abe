package dev.phronesis.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class HfTokenizerTest {
    /** A minimal word-level tokenizer.json in the HF format, read through DJL's tokenizers binding. */
    @Test
    void readsAHuggingFaceTokenizerJson(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version":"1.0","truncation":null,"padding":null,
                 "added_tokens":[{"id":0,"content":"[UNK]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
                 "normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,
                 "decoder":null,
                 "model":{"type":"WordLevel","vocab":{"[UNK]":0,"the":1,"agent":2,"reads":3,"secret":4},"unk_token":"[UNK]"}}
                """);
        Tokenizer t = Tokenizer.load(dir);
        assertThat(t).isInstanceOf(HfTokenizer.class);
        assertThat(t.encode("the agent reads the secret")).containsExactly(1, 2, 3, 1, 4);
        assertThat(t.encode("the wizard")).containsExactly(1, 0);
        assertThat(t.vocabSize()).isEqualTo(5);
        assertThat(t.decode(new int[]{1, 2})).contains("the").contains("agent");
        assertThat(t.specialId("[UNK]")).isZero();
    }
}
