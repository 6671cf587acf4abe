package dev.phronesis.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which of libtorch's CPU kernels this process trains with, and on what processor. ATen compiles its
 * elementwise and reduction kernels several times, for several vector widths, and picks one set when it
 * loads: the widest the processor has (AVX-512 where present) unless {@code ATEN_CPU_CAPABILITY} names
 * another. The sets round differently, so one seed trains other weights on an AVX-512 machine than on
 * an AVX2 one (measured: docs/train.md, "Same bits on another machine"). {@code ./phronesis} pins AVX2
 * on every x86-64 machine that has it ({@code bin/kernels.sh}); this record says what was in force, so a
 * checkpoint and a report can state it and a resume on other kernels can be flagged.
 *
 * <p>ATen exposes its choice to no Java API here, so {@link #current()} repeats its rule from the same
 * inputs: the environment variable when it names a set the processor supports, else the widest supported
 * (AVX-512 needs avx512f, avx512bw, avx512vl and avx512dq with fma; AVX2 needs avx2 with fma).
 *
 * @param set    the kernel set: {@code avx512}, {@code avx2}, {@code default}, or {@code unknown} off x86-64 Linux
 * @param pinned whether {@code ATEN_CPU_CAPABILITY} chose it (else the processor's widest)
 * @param mkl    {@code MKL_CBWR} as set (the matrix library's reproducibility branch), or {@code auto}
 * @param cpu    the processor's model name, as /proc/cpuinfo gives it
 */
public record Kernels(String set, boolean pinned, String mkl, String cpu) {

    /** The kernels of this process, from its environment and the processor's flags (read once: libtorch chose them at load). */
    public static Kernels current() { return Current.KERNELS; }

    private static final class Current {
        static final Kernels KERNELS = read();

        private static Kernels read() {
            String cpuinfo = "";
            try {
                cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
            } catch (IOException | RuntimeException e) {
                // not Linux, or /proc unreadable: the set stays unknown
            }
            return of(cpuinfo, System.getenv());
        }
    }

    /** ATen's choice for a processor described by {@code cpuinfo} (the text of /proc/cpuinfo) under {@code env}. */
    static Kernels of(String cpuinfo, Map<String, String> env) {
        String cpu = "unknown", flags = "";
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
            if (key.equals("model name") && cpu.equals("unknown")) cpu = value;
            if (key.equals("flags") && flags.isEmpty()) flags = value;
        }
        String mkl = env.getOrDefault("MKL_CBWR", "auto");
        if (flags.isEmpty()) return new Kernels("unknown", false, mkl, cpu);
        Set<String> has = Arrays.stream(flags.split("\\s+")).collect(Collectors.toSet());
        boolean avx2 = has.contains("avx2") && has.contains("fma");
        boolean avx512 = avx2 && has.containsAll(Set.of("avx512f", "avx512bw", "avx512vl", "avx512dq"));
        String widest = avx512 ? "avx512" : avx2 ? "avx2" : "default";
        String asked = env.getOrDefault("ATEN_CPU_CAPABILITY", "").trim().toLowerCase(Locale.ROOT);
        boolean supported = switch (asked) {
            case "default" -> true;
            case "avx2" -> avx2;
            case "avx512" -> avx512;
            default -> false;
        };
        return supported ? new Kernels(asked, true, mkl, cpu) : new Kernels(widest, false, mkl, cpu);
    }

    /** One phrase: {@code avx2 (pinned), MKL_CBWR AVX2, on AMD EPYC}. */
    public String describe() {
        return set + (pinned ? " (pinned)" : " (the processor's widest)") + ", MKL_CBWR " + mkl + ", on " + cpu;
    }
}
