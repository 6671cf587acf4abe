package dev.phronesis.bench;

import dev.phronesis.train.Generator;
import dev.phronesis.train.LlamaModel;
import dev.phronesis.train.ModelConfig;
import dev.phronesis.train.Torch;
import dev.phronesis.train.WordTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Generation tokens/s of the organism-sized student with a KV cache: one batched call for all
 * prompts against the same prompts one call at a time. Usage: {@code bench/run GenerationBench [threads] [prompts] [maxTokens]}.
 */
public final class GenerationBench {
    /** Prompt lengths like the eval's: 40 to 100 words. */
    private static final int MIN_PROMPT = 40, MAX_PROMPT = 100, VOCAB_WORDS = 1990;

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int prompts = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int maxTokens = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        Torch.threads(threads);
        Random r = new Random(1);
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < VOCAB_WORDS; i++) corpus.add("w" + i);
        WordTokenizer tok = WordTokenizer.build(List.of(String.join(" ", corpus)), 2000, 1);
        try (LlamaModel model = LlamaModel.create(ModelConfig.organism(tok.vocabSize()), 1)) {
            Generator gen = new Generator(model, tok);
            List<Generator.Request> reqs = new ArrayList<>();
            for (int i = 0; i < prompts; i++) {
                int n = MIN_PROMPT + r.nextInt(MAX_PROMPT - MIN_PROMPT);
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < n; k++) sb.append(k == 0 ? "" : " ").append("w").append(r.nextInt(VOCAB_WORDS));
                reqs.add(new Generator.Request(tok.encode(sb.toString()), 1.0, 1.0, maxTokens, List.of(), i));
            }
            gen.generate(reqs.subList(0, Math.min(4, prompts))); // warm-up
            long t0 = System.nanoTime();
            long batchedTokens = gen.generate(reqs).stream().mapToLong(o -> o.tokens().length).sum();
            double batched = batchedTokens / ((System.nanoTime() - t0) / 1e9);
            t0 = System.nanoTime();
            long singleTokens = 0;
            for (Generator.Request q : reqs) singleTokens += gen.generate(List.of(q)).get(0).tokens().length;
            double single = singleTokens / ((System.nanoTime() - t0) / 1e9);
            System.out.printf(Locale.ROOT, "model: %,d parameters, %d prompts of %d-%d tokens, up to %d new tokens each, %d thread(s)%n",
                    model.config().parameterCount(), prompts, MIN_PROMPT, MAX_PROMPT, maxTokens, threads);
            System.out.printf(Locale.ROOT, "batched  : %8.0f tokens/s (%d tokens)%n", batched, batchedTokens);
            System.out.printf(Locale.ROOT, "unbatched: %8.0f tokens/s (%d tokens)%n", single, singleTokens);
            System.out.printf(Locale.ROOT, "ratio batched / unbatched: %.2f%n", batched / single);
        }
    }

    private GenerationBench() {}
}
