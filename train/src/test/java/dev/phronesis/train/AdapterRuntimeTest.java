package dev.phronesis.train;

import dev.phronesis.llm.ChatMessage;
import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.HfConfig;
import dev.phronesis.train.hf.HfModel;
import dev.phronesis.train.hf.HostTensor;
import dev.phronesis.train.hf.RandomCheckpoint;
import dev.phronesis.train.lora.Lora;
import dev.phronesis.train.lora.LoraConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checkpoints we write load back into the one runtime (a random HF checkpoint, a merged one), and
 * a PEFT adapter served next to its base without merging gives what the merged weights give.
 */
class AdapterRuntimeTest {
    @TempDir static Path dir;

    @BeforeAll
    static void write() throws Exception {
        Torch.threads(1);
        HfConfig cfg = RandomCheckpoint.config(HfConfig.Arch.QWEN2, 64, 128, 2, 4, 2, false);
        RandomCheckpoint.write(dir.resolve("base"), cfg, 7, DType.BF16, 40_000); // sharded, BF16: what a user downloads
        try (HfModel m = HfModel.load(dir.resolve("base")); Lora l = Lora.attach(m, LoraConfig.of(4, 8, 0.0, true), 3)) {
            SplittableRandom rnd = new SplittableRandom(5);
            Map<String, HostTensor> state = l.state();
            for (var e : state.entrySet()) { // a trained-looking adapter: B no longer zero
                float[] v = e.getValue().data();
                for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.2);
            }
            l.load(state, "test");
            l.savePeft(dir.resolve("adapter"), dir.resolve("base").toString());
            HfModel.save(dir.resolve("merged"), cfg, l.mergedState(), DType.F32, Long.MAX_VALUE, dir.resolve("base"));
        }
    }

    private static int[] greedy(ModelRuntime rt, String adapter) {
        rt.activate(adapter);
        int[] prompt = rt.chatPrompt(List.of(ChatMessage.user("the agent reads the file")), List.of(), false);
        return rt.generator().generate(List.of(new Generator.Request(prompt, 0.0, 1.0, 16, List.of(), 0))).get(0).tokens();
    }

    @Test
    void anAdapterServedUnmergedMatchesTheMergedCheckpoint() {
        int[] merged, base;
        try (ModelRuntime m = ModelRuntime.load(dir.resolve("merged"))) { merged = greedy(m, null); }
        try (ModelRuntime b = ModelRuntime.load(dir.resolve("base"))) { base = greedy(b, null); }
        try (ModelRuntime rt = ModelRuntime.load(dir.resolve("base"), Map.of("a", dir.resolve("adapter"), "b", dir.resolve("adapter")))) {
            assertThat(rt.format()).isInstanceOf(ModelRuntime.PromptFormat.Jinja.class); // RandomCheckpoint's ChatML template, not the organism's
            assertThat(greedy(rt, "a")).containsExactly(merged);
            assertThat(greedy(rt, null)).containsExactly(base);
            assertThat(greedy(rt, "b")).containsExactly(merged);
        }
        assertThat(merged).isNotEqualTo(base);
    }

    @Test
    void requestsForDifferentAdaptersRunSideBySide() throws Exception {
        try (EmbeddedStudent s = EmbeddedStudent.load(dir.resolve("base"), Map.of("a", dir.resolve("adapter")), EmbeddedStudent.Options.defaults())) {
            int[] prompt = s.runtime().chatPrompt(List.of(ChatMessage.user("the agent reads the file")), List.of(), false);
            List<CompletableFuture<Generator.Output>> outs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                CompletableFuture<Generator.Output> f = new CompletableFuture<>();
                outs.add(f);
                s.submit(new EmbeddedStudent.Job("c" + i, i % 2 == 0 ? null : "a", new Generator.Request(prompt, 0.0, 1.0, 16, List.of(), 0),
                        new Generator.Listener() {
                            @Override public void token(String d, Generator.TokenLogprob lp) {}
                            @Override public void done(Generator.Output o) { f.complete(o); }
                        }));
            }
            int[] merged;
            try (ModelRuntime m = ModelRuntime.load(dir.resolve("merged"))) { merged = greedy(m, null); }
            for (int i = 1; i < 6; i += 2) assertThat(outs.get(i).get().tokens()).containsExactly(merged);
            for (int i = 2; i < 6; i += 2) assertThat(outs.get(i).get().tokens()).containsExactly(outs.get(0).get().tokens());
            assertThat(s.stats().runningRows()).isZero();
        }
    }
}
