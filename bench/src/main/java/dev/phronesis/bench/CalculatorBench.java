package dev.phronesis.bench;

import dev.phronesis.core.calculator.Assessment;
import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Calculator throughput on one thread, beside a no-op baseline that walks the same compiled
 * assessments and does the least work that touches them (sums the levels). Prints decisions/s for
 * the hot path ({@code decideIndex}), for the full explanation (contributions, margin, sensitivity),
 * and each one's cost as a ratio to the baseline. Target: >= 1,000,000 decisions/s.
 */
public final class CalculatorBench {
    private static final int ASSESSMENTS = 4096;
    private static final long SEED = 42;
    private static final double TARGET_PER_SECOND = 1_000_000;

    public static void main(String[] args) {
        Constitution c = ConstitutionLoader.builtin(args.length > 0 ? args[0] : "general");
        DeliberationCalculator calc = new DeliberationCalculator(c);
        Random rnd = new Random(SEED);
        DeliberationCalculator.Compiled[] xs = new DeliberationCalculator.Compiled[ASSESSMENTS];
        for (int i = 0; i < xs.length; i++) xs[i] = calc.compile(random(c, rnd));

        // warm-up: let the JIT compile all three loops
        for (int r = 0; r < 5; r++) { noop(xs, 2_000_000); decide(calc, xs, 2_000_000); explain(calc, xs, 20_000); }

        long n = 20_000_000;
        double noopNs = time(() -> noop(xs, n)) / n;
        double decideNs = time(() -> decide(calc, xs, n)) / n;
        long m = 300_000;
        double explainNs = time(() -> explain(calc, xs, m)) / m;

        System.out.printf(Locale.ROOT, "constitution: %s (%d harm factors, %d benefits, %d modes, %d rules)%n", c.ref(), c.harmFactors().size(),
                c.benefits().size(), c.decision().modes().size(), c.decision().rules().size());
        System.out.printf(Locale.ROOT, "no-op baseline       : %8.2f ns/op  %,14.0f ops/s%n", noopNs, 1e9 / noopNs);
        System.out.printf(Locale.ROOT, "decide (hot path)    : %8.2f ns/op  %,14.0f decisions/s  cost vs no-op %.1fx  target ratio (>=1.0 passes) %.1f%n",
                decideNs, 1e9 / decideNs, decideNs / noopNs, (1e9 / decideNs) / TARGET_PER_SECOND);
        System.out.printf(Locale.ROOT, "explain (full answer): %8.2f ns/op  %,14.0f decisions/s  cost vs no-op %.1fx  target ratio %.2f%n",
                explainNs, 1e9 / explainNs, explainNs / noopNs, (1e9 / explainNs) / TARGET_PER_SECOND);
        System.out.println(sink == 42 ? "" : "(sink " + (sink & 1) + ")");
    }

    static volatile long sink;

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }

    private static void noop(DeliberationCalculator.Compiled[] xs, long n) {
        long acc = 0;
        for (long i = 0; i < n; i++) {
            DeliberationCalculator.Compiled k = xs[(int) (i & (ASSESSMENTS - 1))];
            acc += k.levels()[(int) (i % k.levels().length)] + k.flags();
        }
        sink = acc;
    }

    private static void decide(DeliberationCalculator calc, DeliberationCalculator.Compiled[] xs, long n) {
        long acc = 0;
        for (long i = 0; i < n; i++) {
            DeliberationCalculator.Compiled k = xs[(int) (i & (ASSESSMENTS - 1))];
            acc += calc.decideIndex(k.levels(), k.misuseShare(), k.flags());
        }
        sink = acc;
    }

    private static void explain(DeliberationCalculator calc, DeliberationCalculator.Compiled[] xs, long n) {
        long acc = 0;
        for (long i = 0; i < n; i++) acc += calc.explain(xs[(int) (i & (ASSESSMENTS - 1))]).sensitivity().size();
        sink = acc;
    }

    private static Assessment random(Constitution c, Random rnd) {
        Map<String, Integer> harm = new HashMap<>();
        for (var f : c.harmFactors()) harm.put(f.id(), rnd.nextInt(f.levels().size()));
        Map<String, Integer> ben = new HashMap<>();
        for (var f : c.benefits()) ben.put(f.id(), rnd.nextInt(f.levels().size()));
        int mal = rnd.nextInt(400);
        Map<String, Integer> mix = Map.of("benign", 1000 - mal, "malicious", mal);
        Set<String> flags = rnd.nextInt(20) == 0 ? Set.of(c.hardConstraints().getFirst().flag()) : Set.of();
        return new Assessment(harm, ben, mix, flags);
    }
}
