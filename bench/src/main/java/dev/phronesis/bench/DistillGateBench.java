package dev.phronesis.bench;

import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.data.distill.Distiller;
import dev.phronesis.data.distill.GatesConfig;
import dev.phronesis.core.Progress;
import dev.phronesis.data.distill.ScriptedJudge;
import dev.phronesis.data.distill.ScriptedTeacher;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Gate throughput of the offline distillation path: scenarios from the default taxonomy (scripted
 * realiser), the scripted teacher, every gate including the scripted judge. Three runs on one run
 * directory: (1) teach + gate; (2) re-gate everything (a changed gate config; deliberations reused);
 * (3) a no-op rerun (reads and rewrites the files, gates nothing) — the baseline that (2) is measured
 * against. Prints samples/s and the ratio to a target of {@value #TARGET_SAMPLES_PER_S} samples/s.
 */
public final class DistillGateBench {
    /** Gating a 3M-token dataset (~10k samples of ~300 tokens) should take seconds, not minutes. */
    static final double TARGET_SAMPLES_PER_S = 1000;

    public static void main(String[] args) throws Exception {
        int scenarios = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Constitution c = ConstitutionLoader.builtin("general");
        Taxonomy tax = Taxonomy.builtin("default");
        long g0 = System.nanoTime();
        List<Scenario> scen = ScenarioGenerator.generateInMemory(tax, c, ScenarioGenerator.Options.budget(scenarios, 7).withSemanticDedup(false), null, null).scenarios();
        double genS = (System.nanoTime() - g0) / 1e9;
        Path dir = Files.createTempDirectory("distill-bench");
        var opt = Distiller.Options.defaults().withSamples(samples);
        var judges = List.<dev.phronesis.data.distill.Judge>of(new ScriptedJudge(c));
        var teacher = new ScriptedTeacher(c, Verbosity.FULL, 1);
        // warm-up on a throwaway directory so JIT compilation is not billed to the first timed run
        Distiller.run(scen.subList(0, Math.min(200, scen.size())), c, teacher, judges, GatesConfig.defaults(), Files.createTempDirectory("distill-warm"), Progress.NONE, opt);

        long t0 = System.nanoTime();
        var first = Distiller.run(scen, c, teacher, judges, GatesConfig.defaults(), dir, Progress.NONE, opt);
        double all = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        var regate = Distiller.run(scen, c, teacher, judges, GatesConfig.defaults().withMinAgreement(0.61), dir, Progress.NONE, opt);
        double gates = (System.nanoTime() - t1) / 1e9;
        long t2 = System.nanoTime();
        Distiller.run(scen, c, teacher, judges, GatesConfig.defaults().withMinAgreement(0.61), dir, Progress.NONE, opt);
        double noop = (System.nanoTime() - t2) / 1e9;

        int n = first.samples();
        double gateOnly = Math.max(1e-9, gates - noop);
        System.out.printf(Locale.ROOT, "scenarios %d (generated in %.1f s; %d distilled), samples %d, accepted %d, re-gated %d%n",
                scen.size(), genS, first.scenarios(), n, first.accepted(), regate.newVerdicts());
        System.out.printf(Locale.ROOT, "teach + gate (run 1)       %8.2f s  %9.0f samples/s%n", all, n / all);
        System.out.printf(Locale.ROOT, "re-gate all (run 2)        %8.2f s  %9.0f samples/s%n", gates, n / gates);
        System.out.printf(Locale.ROOT, "no-op rerun (baseline)     %8.2f s%n", noop);
        System.out.printf(Locale.ROOT, "gates alone (2 - baseline) %8.2f s  %9.0f samples/s%n", gateOnly, n / gateOnly);
        System.out.printf(Locale.ROOT, "ratio re-gate / no-op rerun: %.2fx;  gate throughput / target %.0f samples/s: %.2f (>= 1.0 passes)%n",
                gates / noop, TARGET_SAMPLES_PER_S, n / gateOnly / TARGET_SAMPLES_PER_S);
    }
}
