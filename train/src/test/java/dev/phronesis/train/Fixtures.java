package dev.phronesis.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small corpora, configs and the python finder shared by the tests. */
final class Fixtures {
    private Fixtures() {}

    static final List<String> WORDS = List.of("the", "agent", "reads", "a", "secret", "and", "decides", "to", "help",
            "decline", "user", "asks", "what", "do", "consent", "none", "high", "severity", "email", "send");

    /** Sentences over {@link #WORDS}, seeded. */
    static List<String> corpus(int docs, long seed) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            StringBuilder sb = new StringBuilder();
            int n = 5 + r.nextInt(12);
            for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : " ").append(WORDS.get(r.nextInt(WORDS.size())));
            sb.append(r.nextBoolean() ? "." : "?");
            out.add(sb.toString());
        }
        return out;
    }

    static WordTokenizer tokenizer() {
        List<String> c = new ArrayList<>(corpus(200, 7));
        c.add("DECISION: decline\nsend_email(to=\"x\")");
        return WordTokenizer.build(c, 200, 1);
    }

    /** A random tiny organism checkpoint (tied head, seed 4) written to {@code dir}. */
    static Path organismCheckpoint(Path dir) throws IOException {
        Torch.threads(1);
        WordTokenizer tok = tokenizer();
        try (LlamaModel m = LlamaModel.create(tiny(tok.vocabSize(), true), 4)) {
            Checkpoint.save(dir, m, tok);
        }
        return dir;
    }

    static ModelConfig tiny(int vocab, boolean tied) {
        return ModelConfig.of(vocab, 32, 48, 2, 4, 2, 64, tied);
    }

    /** The reference script extracted to a temp file. */
    static Path referenceScript(Path dir) throws IOException {
        Path f = dir.resolve("llama_ref.py");
        try (var in = Fixtures.class.getResourceAsStream("/dev/phronesis/train/llama_ref.py")) {
            Files.write(f, in.readAllBytes());
        }
        return f;
    }
}
