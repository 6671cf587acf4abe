package dev.phronesis.train;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@link GeneratorTest} again with the generator on the Java forward ({@link CpuLlama}):
 * its tokens must equal the libtorch no-cache oracle's, batched or alone, greedy or sampled.
 */
class CpuGeneratorTest extends GeneratorTest {
    @BeforeAll
    static void onCpu() {
        CpuLlama cpu = CpuLlama.of(model, model.namedParameters());
        assertThat(cpu).as("the Java forward (the test JVM runs with --add-modules jdk.incubator.vector)").isNotNull();
        gen = new Generator(model, tok);
        gen.useCpu(cpu);
    }

    @Test
    void javaAndLibtorchForwardsAgreeOnAnUntiedTwoThreadModel() {
        CpuLlama.setThreads(2);
        try (LlamaModel untied = LlamaModel.create(Fixtures.tiny(tok.vocabSize(), false).withVocabSize(tok.vocabSize()), 5)) {
            Generator torch = new Generator(untied, tok), java = new Generator(untied, tok);
            java.useCpu(CpuLlama.of(untied, untied.namedParameters()));
            List<Generator.Request> reqs = new ArrayList<>();
            String[] prompts = {"the agent reads the file", "send", "a user asks what to do and the agent"};
            for (int i = 0; i < prompts.length; i++) reqs.add(new Generator.Request(tok.encode(prompts[i]), i == 1 ? 1.0 : 0.0, 1.0, 10, List.of(), i));
            var a = torch.generate(reqs);
            var b = java.generate(reqs);
            for (int i = 0; i < reqs.size(); i++) assertThat(b.get(i).tokens()).as("row " + i).containsExactly(a.get(i).tokens());
        } finally {
            CpuLlama.setThreads(1);
        }
    }
}
