package dev.phronesis.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libtorch's kernel set is chosen when it loads, so each case trains in a child JVM started with its own
 * {@code ATEN_CPU_CAPABILITY}. {@code default} (plain scalar loops) runs on any x86-64 processor, so the
 * comparison needs only AVX2 beside it.
 */
class KernelsTest {
    static final String AVX512_CPU = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\n"
            + "flags\t\t: fpu sse2 avx fma avx2 avx512f avx512dq avx512bw avx512vl\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9R14\n";
    static final String AVX2_CPU = "model name\t: Intel(R) Xeon(R) CPU E5-2680 v4\nflags\t\t: fpu sse2 avx fma avx2\n";

    @Test
    void readsTheSetTheWayAtenChoosesIt() {
        assertThat(Kernels.of(AVX512_CPU, Map.of())).isEqualTo(new Kernels("avx512", false, "auto", "AMD EPYC 9R14"));
        assertThat(Kernels.of(AVX512_CPU, Map.of("ATEN_CPU_CAPABILITY", "avx2", "MKL_CBWR", "AVX2")))
                .isEqualTo(new Kernels("avx2", true, "AVX2", "AMD EPYC 9R14"));
        assertThat(Kernels.of(AVX2_CPU, Map.of())).isEqualTo(new Kernels("avx2", false, "auto", "Intel(R) Xeon(R) CPU E5-2680 v4"));
        // a set the processor lacks, or a name ATen does not know, is ignored: the widest supported runs
        assertThat(Kernels.of(AVX2_CPU, Map.of("ATEN_CPU_CAPABILITY", "avx512")).set()).isEqualTo("avx2");
        assertThat(Kernels.of(AVX2_CPU, Map.of("ATEN_CPU_CAPABILITY", "AVX2 ")).pinned()).isTrue();
        assertThat(Kernels.of(AVX512_CPU, Map.of("ATEN_CPU_CAPABILITY", "sse4")).set()).isEqualTo("avx512");
        assertThat(Kernels.of(AVX2_CPU, Map.of("ATEN_CPU_CAPABILITY", "default")).set()).isEqualTo("default");
        assertThat(Kernels.of("", Map.of()).set()).isEqualTo("unknown");
        assertThat(Kernels.of(AVX512_CPU, Map.of()).describe()).isEqualTo("avx512 (the processor's widest), MKL_CBWR auto, on AMD EPYC 9R14");
    }

    /** The child: {@code out steps [killAtStep]}; pre-trains on one thread, dying at killAtStep. */
    public static void main(String[] args) throws Exception {
        int steps = Integer.parseInt(args[1]), kill = args.length > 2 ? Integer.parseInt(args[2]) : -1;
        Trainer.pretrain(ResumeDeterminismTest.config().withSteps(steps).withThreads(1), ResumeDeterminismTest.docs(), Path.of(args[0]), p -> {
            if (p.step() == kill) Runtime.getRuntime().halt(3);
        });
    }

    static String train(Path out, String kernels, int steps, int... killAt) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of(out.toString(), Integer.toString(steps)));
        for (int k : killAt) args.add(Integer.toString(k));
        ProcessBuilder pb = ResumeDeterminismTest.childJvm(KernelsTest.class, args);
        pb.environment().put("ATEN_CPU_CAPABILITY", kernels);
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return log;
    }

    static byte[] weights(Path run) throws IOException { return Files.readAllBytes(run.resolve("final").resolve(Checkpoint.WEIGHTS)); }

    static String recorded(Path run) throws IOException {
        var st = Json.MAPPER.readTree(run.resolve("final").resolve("trainer_state.json").toFile());
        return st.path("kernels").asText() + (st.path("kernels_pinned").asBoolean() ? " pinned" : "");
    }

    @Test
    void aSeedTrainsOtherWeightsOnAnotherKernelSetAndTheCheckpointSaysWhich(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Kernels.current().set().startsWith("avx"), "the processor has no AVX2: one kernel set only, nothing to compare");
        train(dir.resolve("scalar"), "default", 12);
        train(dir.resolve("avx2"), "avx2", 12);
        train(dir.resolve("avx2-again"), "avx2", 12);
        assertThat(recorded(dir.resolve("scalar"))).isEqualTo("default pinned");
        assertThat(recorded(dir.resolve("avx2"))).isEqualTo("avx2 pinned");
        assertThat(weights(dir.resolve("avx2-again"))).as("same kernels, same bytes").isEqualTo(weights(dir.resolve("avx2")));
        assertThat(weights(dir.resolve("scalar"))).as("other kernels, other bytes").isNotEqualTo(weights(dir.resolve("avx2")));
    }

    @Test
    void aResumeOnAnotherKernelSetIsFlagged(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Kernels.current().set().startsWith("avx"), "the processor has no AVX2: one kernel set only, nothing to resume across");
        Path run = dir.resolve("run");
        train(run, "default", 12, 10);
        assertThat(run.resolve("final")).doesNotExist();
        String log = train(run, "avx2", 12);
        assertThat(log).contains("was trained with libtorch's default kernels and this process runs avx2")
                .contains("will not retrace the bytes of an uninterrupted one");
        Path same = dir.resolve("same");
        train(same, "avx2", 12, 10);
        assertThat(train(same, "avx2", 12)).doesNotContain("will not retrace");
    }
}
