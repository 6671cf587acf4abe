package dev.phronesis.train;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GeneratorTest {
    static WordTokenizer tok;
    static LlamaModel model;
    static Generator gen;

    @BeforeAll
    static void setUp() {
        Torch.threads(1);
        tok = Fixtures.tokenizer();
        model = LlamaModel.create(Fixtures.tiny(tok.vocabSize(), true).withVocabSize(tok.vocabSize()), 21);
        gen = new Generator(model, tok);
    }

    @AfterAll
    static void tearDown() { model.close(); }

    private static List<Generator.Request> requests(double temperature, long seed) {
        List<Generator.Request> r = new ArrayList<>();
        String[] prompts = {"the agent reads", "a user asks what to do and", "send"};
        for (int i = 0; i < prompts.length; i++)
            r.add(new Generator.Request(tok.encode(prompts[i]), temperature, 0.9, 12 - 4 * i, List.of(), seed + i)); // rows finish at different steps and leave the batch
        return r;
    }

    /** The oracle: one row at a time, the whole sequence recomputed at every step (no cache, no padding, no batch). */
    private static int[] recompute(Generator.Request r) {
        Torch.noGrad();
        var rnd = new java.util.SplittableRandom(r.seed());
        List<Integer> seq = new ArrayList<>();
        for (int t : r.prompt()) seq.add(t);
        List<Integer> out = new ArrayList<>();
        int end = tok.specialId(WordTokenizer.END);
        for (int step = 0; step < r.maxTokens(); step++) {
            float[] logits;
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
                long[] ids = seq.stream().mapToLong(Integer::longValue).toArray();
                var l = model.forward(m.create(ids, new ai.djl.ndarray.types.Shape(1, ids.length))); // (1, T, V)
                logits = l.get(new ai.djl.ndarray.index.NDIndex("0, -1, :")).toFloatArray();
            }
            int next = Generator.sample(logits, 0, logits.length, r.temperature(), r.topP(), rnd);
            if (next == end) break;
            out.add(next);
            seq.add(next);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void kvCacheGivesTheSameTokensAsRecomputing() {
        for (double temp : new double[]{0.0, 1.0}) {
            var reqs = requests(temp, 5);
            var withCache = gen.generate(reqs);
            for (int i = 0; i < withCache.size(); i++) assertThat(withCache.get(i).tokens()).as("row %d at T=%s", i, temp).containsExactly(recompute(reqs.get(i)));
            assertThat(withCache.get(0).tokens().length).isGreaterThan(withCache.get(2).tokens().length); // the batch shrank midway
        }
    }

    @Test
    void rowsThatJoinARunningBatchGetWhatTheyWouldGetAlone() {
        var reqs = requests(1.0, 11);
        Generator.Output[] got = new Generator.Output[reqs.size()];
        try (Generator.Batch b = gen.new Batch()) {
            for (int i = 0; i < reqs.size(); i++) {
                final int k = i;
                b.add(reqs.get(i), new Generator.Listener() {
                    @Override public void token(String d, Generator.TokenLogprob lp) {}
                    @Override public void done(Generator.Output o) { got[k] = o; }
                });
                b.step(); // the next row joins after this one has started decoding
                b.step();
            }
            while (!b.isEmpty()) b.step();
            assertThat(b.cachedLength()).isZero(); // the cache is freed once every row left
        }
        for (int i = 0; i < reqs.size(); i++) assertThat(got[i].tokens()).as("row %d", i).containsExactly(recompute(reqs.get(i)));
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        var a = gen.generate(requests(1.0, 5));
        var b = gen.generate(requests(1.0, 5));
        var c = gen.generate(requests(1.0, 99));
        for (int i = 0; i < a.size(); i++) assertThat(a.get(i).tokens()).containsExactly(b.get(i).tokens());
        boolean anyDiffer = false;
        for (int i = 0; i < a.size(); i++) anyDiffer |= !java.util.Arrays.equals(a.get(i).tokens(), c.get(i).tokens());
        assertThat(anyDiffer).isTrue();
    }

    @Test
    void batchedRowsEqualRowsGeneratedAlone() {
        var batched = gen.generate(requests(0.0, 1));
        var reqs = requests(0.0, 1);
        for (int i = 0; i < reqs.size(); i++) {
            var alone = gen.generate(List.of(reqs.get(i)));
            assertThat(alone.get(0).tokens()).as("row %d", i).containsExactly(batched.get(i).tokens());
        }
    }

    @Test
    void maxTokensAndStopSequencesEndRows() {
        var free = gen.generate(List.of(new Generator.Request(tok.encode("the agent"), 0.0, 1.0, 7, List.of(), 1))).get(0);
        assertThat(free.tokens()).hasSizeLessThanOrEqualTo(7);
        if (free.tokens().length == 7) assertThat(free.finishReason()).isEqualTo(Generator.Finish.LENGTH);
        // stop at the second generated token's text: the output is cut before it
        if (free.tokens().length >= 3) {
            String stopAt = tok.decode(new int[]{free.tokens()[2]});
            var stopped = gen.generate(List.of(new Generator.Request(tok.encode("the agent"), 0.0, 1.0, 7, List.of(stopAt), 1))).get(0);
            assertThat(stopped.finishReason()).isEqualTo(Generator.Finish.STOP);
            assertThat(stopped.text()).doesNotContain(stopAt);
            assertThat(free.text()).startsWith(stopped.text());
        }
    }

    @Test
    void topPKeepsOnlyTheNucleus() {
        float[] logits = {5f, 4.9f, -10f, -10f};
        var rnd = new java.util.SplittableRandom(1);
        for (int i = 0; i < 200; i++) assertThat(Generator.sample(logits, 0, 4, 1.0, 0.5, rnd)).isIn(0, 1);
        assertThat(Generator.sample(logits, 0, 4, 0.0, 1.0, rnd)).isZero();
    }
}
