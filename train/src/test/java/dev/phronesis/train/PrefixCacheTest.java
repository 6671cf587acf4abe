package dev.phronesis.train;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java forward's caches: growing a cache keeps every KV head's values where attention reads them,
 * and a prompt that copies a cached prefix (from a running row or a finished one) gets exactly the
 * tokens and log-probabilities it gets when every position is computed.
 */
class PrefixCacheTest {
    static WordTokenizer tok;
    static LlamaModel model;
    static CpuLlama cpu;

    @BeforeAll
    static void setUp() {
        Torch.threads(1);
        tok = Fixtures.tokenizer();
        model = LlamaModel.create(Fixtures.tiny(tok.vocabSize(), true).withVocabSize(tok.vocabSize()), 33); // 4 heads, 2 KV heads
        cpu = CpuLlama.of(model, model.namedParameters());
        assertThat(cpu).as("the Java forward (the test JVM runs with --add-modules jdk.incubator.vector)").isNotNull();
    }

    @AfterAll
    static void tearDown() { model.close(); }

    private static float[] feedOneByOne(CpuLlama.Cache c, int[] ids) {
        float[] logits = new float[cpu.vocabSize()];
        CpuLlama.Scratch s = new CpuLlama.Scratch();
        for (int id : ids) cpu.forward(new CpuLlama.Cache[]{c}, new int[][]{{id}}, logits, s);
        return logits;
    }

    @Test
    void aCacheThatGrowsGivesTheLogitsOfOneThatNeverDid() {
        int[] ids = tok.encode("a user asks what to do and the agent reads the file then sends the report to the team");
        assertThat(ids.length).isGreaterThan(8);
        float[] grown = feedOneByOne(cpu.newCache(1), ids), roomy = feedOneByOne(cpu.newCache(64), ids);
        assertThat(grown).containsExactly(roomy);
    }

    @Test
    void aCopiedPrefixContinuesExactlyAsTheComputedOne() {
        int[] ids = tok.encode("the agent reads the file and then the agent sends the file");
        CpuLlama.Cache full = cpu.newCache(4);
        float[] a = feedOneByOne(full, ids);
        CpuLlama.Cache half = cpu.newCache(2);
        half.copyPrefix(full.compacted(), 5);
        float[] b = feedOneByOne(half, java.util.Arrays.copyOfRange(ids, 5, ids.length));
        assertThat(b).containsExactly(a);
    }

    private static List<Generator.Request> requests() {
        String shared = "a user asks what to do and the agent reads the file";
        String[] tails = {" then sends", " then stops", "", " and the team"};
        List<Generator.Request> r = new ArrayList<>();
        for (int i = 0; i < tails.length; i++)
            r.add(new Generator.Request(tok.encode(shared + tails[i]), i % 2 == 0 ? 0.0 : 1.0, 1.0, 9, List.of(), 40 + i, 3, null));
        return r;
    }

    private static void sameOutputs(List<Generator.Output> a, List<Generator.Output> b) {
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).tokens()).as("row " + i).containsExactly(a.get(i).tokens());
            assertThat(b.get(i).promptTokens()).isEqualTo(a.get(i).promptTokens());
            for (int t = 0; t < a.get(i).logprobs().size(); t++) {
                assertThat(b.get(i).logprobs().get(t).logprob()).isEqualTo(a.get(i).logprobs().get(t).logprob());
                assertThat(b.get(i).logprobs().get(t).topTokens()).containsExactly(a.get(i).logprobs().get(t).topTokens());
            }
        }
    }

    @Test
    void promptsThatShareAPrefixGetWhatTheyGetWithTheCacheOff() {
        Generator off = new Generator(model, tok), on = new Generator(model, tok);
        off.useCpu(cpu);
        on.useCpu(cpu);
        off.prefixCacheBytes(0);
        var want = off.generate(requests());
        assertThat(off.prefixHitTokens()).isZero();
        sameOutputs(want, on.generate(requests())); // in one batch: rows wait a step and copy from the first
        long inBatch = on.prefixHitTokens();
        assertThat(inBatch).as("rows of one batch copied the shared start").isGreaterThan(0);
        assertThat(on.prefixCacheHeld()).as("finished rows were kept").isGreaterThan(0);
        sameOutputs(want, on.generate(requests())); // again: every prompt starts from a finished row's cache
        int shared = tok.encode("a user asks what to do and the agent reads the file").length;
        assertThat(on.prefixHitTokens() - inBatch).as("the second round copied at least the shared start of every row").isGreaterThanOrEqualTo(4L * (shared - 1));
        for (var r : requests()) sameOutputs(off.generate(List.of(r)), on.generate(List.of(r))); // one at a time, from the cache
    }

    @Test
    void theCacheStaysWithinItsBytesAndZeroTurnsItOff() {
        Generator on = new Generator(model, tok);
        on.useCpu(cpu);
        on.generate(requests());
        long full = on.prefixCacheHeld();
        assertThat(full).isGreaterThan(0);
        on.prefixCacheBytes(full / 2);
        assertThat(on.prefixCacheHeld()).isLessThanOrEqualTo(full / 2);
        on.prefixCacheBytes(0);
        assertThat(on.prefixCacheHeld()).isZero();
        long hits = on.prefixHitTokens();
        on.generate(requests());
        assertThat(on.prefixHitTokens()).isEqualTo(hits);
        assertThat(on.prefixCacheHeld()).isZero();
    }
}
