package dev.phronesis.cli;

import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.cli.models.Rehearsal;
import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 soak (the reliability suite): `phronesis run` in a child JVM, SIGKILLed at a random offset
 * inside a stage, rerun — for a chain of kill points — and the finished run directory compared file by
 * file with an uninterrupted run of the same experiment in the same place (see {@link Soak} for what
 * byte-identical means). For the real-model path the LLM test server, in this JVM, plays every model; its
 * request log must show no finished call (one in the run's journal when the kill came) asked again.
 *
 * <p>The normal build kills inside pre-training (after a checkpoint, so the rerun resumes from it) and
 * inside distillation; {@code -Dphronesis.thorough=true} kills inside every stage, twice for pre-training.
 */
class KillNineSoakTest {
    static final boolean THOROUGH = Boolean.getBoolean("phronesis.thorough");
    static final long STAGE_TIMEOUT_S = 900;
    @TempDir Path dir;

    static final String ORGANISM = """
            kind: organism
            name: soak
            size: quick
            arms: [none, honeypot-deliberation]
            scenarios: {train_advice: 16, train_agentic: 16, heldout_agentic: 8, heldout_benign: 4, heldout_advice: 4, control: 4}
            student: {hidden_size: 32, layers: 1, seq_len: 128, pretrain_steps: 100, sft_steps: 10, batch_size: 4}
            world: {copies: 2}
            """;

    static final String REAL = """
            kind: real
            name: soak-real
            models: models.yaml
            scenarios: {train: 12, heldout_agentic: 6, heldout_benign: 4, heldout_advice: 4}
            teacher: teacher
            judges: [judge]
            dataset: {budget_tokens: 100000, formats: [openai]}
            students: {base: base, tuned: tuned}
            eval: {samples: 1, temperature: 0.0, judge: judge}
            """;

    /** A kill point: a stage, and whether to wait for a fresh training checkpoint in it before killing. */
    record Target(String stage, boolean afterCheckpoint) {
        @Override public String toString() { return stage + (afterCheckpoint ? "@checkpoint" : ""); }
    }

    /** What a soak did: per kill point, the stage the kill landed in (from stages.json). */
    record Outcome(List<String> tried, List<String> landed, Soak.Diff diff, long repeatedFinishedCalls, long paidButLost) {}

    @Test void organismRunKilledInsideStagesResumesToTheSameBytes() throws Exception {
        Path exp = dir.resolve("soak.yaml");
        Files.writeString(exp, ORGANISM);
        List<Target> targets = THOROUGH
                ? List.of(t("scenarios"), t("corpus"), t("distill"), t("datasets"), t("pretrain"), new Target("pretrain", true),
                        t("sft-honeypot-deliberation"), t("suites"), t("eval-none"), t("eval-honeypot-deliberation"), t("report"))
                : List.of(new Target("pretrain", true));
        Outcome o = soak(exp, targets, null, 1);
        report("organism", o);
        assertThat(o.diff().problems()).as("resumed run vs uninterrupted run").isEmpty();
        assertThat(o.landed()).as("a kill landed inside pre-training").contains("pretrain");
    }

    @Test void realRunKilledInsideDistillAndEvalPaysNoFinishedCallTwiceAndEndsIdentical() throws Exception {
        Path runDir = dir.resolve("run");
        try (Rehearsal stand = Rehearsal.start(ConstitutionLoader.builtin("general"), runDir, 1)) {
            LlmTestServer server = stand.server().latency(java.time.Duration.ofMillis(THOROUGH ? 40 : 60));
            Files.writeString(dir.resolve("models.yaml"), """
                    models:
                      - {name: teacher, backend: openai, model: teacher-model, base_url: %1$s, limits: {max_in_flight: 4}}
                      - {name: judge, backend: openai, model: judge-model, base_url: %1$s, limits: {max_in_flight: 4}}
                      - {name: base, backend: openai, model: base-model, base_url: %1$s, limits: {max_in_flight: 4}}
                      - {name: tuned, backend: openai, model: tuned-model, base_url: %1$s, limits: {max_in_flight: 4}}
                    """.formatted(server.baseUrl()));
            Path exp = dir.resolve("real.yaml");
            Files.writeString(exp, REAL);
            List<Target> targets = THOROUGH
                    ? List.of(t("scenarios"), t("distill"), t("datasets"), t("export"), t("suites"), t("eval-base"), t("eval-tuned"), t("report"))
                    : List.of(t("distill"));
            Outcome o = soak(exp, targets, server, 2);
            report("real (llm test server)", o);
            assertThat(o.diff().problems()).as("resumed run vs uninterrupted run").isEmpty();
            assertThat(o.repeatedFinishedCalls()).as("finished calls asked again after a kill").isZero();
            assertThat(o.landed()).contains("distill");
        }
    }

    private static Target t(String s) { return new Target(s, false); }

    /**
     * Runs {@code exp} uninterrupted into {@code dir/run}, moves it to {@code dir/ref}, then runs it again
     * into {@code dir/run} with a SIGKILL inside each target stage in turn (each rerun resumes what the
     * previous one left), finishes it, and compares.
     */
    private Outcome soak(Path exp, List<Target> targets, LlmTestServer server, long seed) throws Exception {
        Path run = dir.resolve("run"), ref = dir.resolve("ref");
        String[] args = {"run", exp.toString(), "--out", run.toString()};
        Map<String, Long> durations = new HashMap<>();
        try (Soak.Child c = new Soak.Child(dir.resolve("ref.log"), args)) {
            int code = c.finish(STAGE_TIMEOUT_S * 4);
            assertThat(code).as("uninterrupted run:\n%s", c.tail()).isZero();
            List<Map.Entry<String, Long>> starts = new ArrayList<>(c.starts.entrySet());
            long end = System.nanoTime();
            for (int i = 0; i < starts.size(); i++) {
                long next = i + 1 < starts.size() ? starts.get(i + 1).getValue() : end;
                durations.put(starts.get(i).getKey(), TimeUnit.NANOSECONDS.toMillis(next - starts.get(i).getValue()));
            }
        }
        Map<String, Integer> refCalls = server == null ? Map.of() : Soak.finishedCalls(run);
        Soak.moveTree(run, ref);
        if (server != null) server.resetCounters();

        Random rnd = new Random(seed);
        List<String> tried = new ArrayList<>(), landed = new ArrayList<>();
        List<Map<String, Integer>> finishedAtKill = new ArrayList<>();
        List<Integer> logAtKill = new ArrayList<>();
        long lost = 0;
        int k = 0;
        Soak.Child last = null;
        for (Target target : targets) {
            if ("DONE".equals(Soak.states(run).get(target.stage()))) continue;   // an earlier kill landed past it
            Soak.Child c = new Soak.Child(dir.resolve("kill-" + (++k) + ".log"), args);
            if (!c.awaitStart(target.stage(), STAGE_TIMEOUT_S)) {   // the child finished before reaching it
                assertThat(c.finish(60)).as(c.tail()).isZero();
                last = c;
                break;
            }
            Path ckDir = run.resolve("models/base/checkpoints");
            if (target.afterCheckpoint()) {
                Set<String> before = checkpoints(ckDir);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STAGE_TIMEOUT_S);
                while (c.process.isAlive() && System.nanoTime() < deadline && checkpoints(ckDir).equals(before)) Thread.sleep(5);
                Thread.sleep(rnd.nextInt(100)); // the checkpoint comes at step 50 of 100: on a quiet machine the rest takes well under a second
            } else if (server != null && (target.stage().equals("distill") || target.stage().startsWith("eval-"))) {
                // a stage that calls the server: kill once it has had a few answers (mid-stage), at a random point after
                int at = server.requests().size() + 2 + rnd.nextInt(6);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STAGE_TIMEOUT_S);
                while (c.process.isAlive() && System.nanoTime() < deadline && server.requests().size() < at) Thread.sleep(1);
            } else {
                long d = Math.max(1, durations.getOrDefault(target.stage(), 100L));
                Thread.sleep((long) (rnd.nextDouble() * 0.9 * d));
            }
            tried.add(target.toString());
            int paidBefore = server == null ? 0 : server.requests().size();
            c.kill();
            if (server != null) Thread.sleep(500);   // requests in flight may still be answered into the dead socket
            String where = Soak.runningStage(run);
            landed.add(where == null ? "between stages" : where);
            if (server != null) {
                Map<String, Integer> fin = Soak.finishedCalls(run);
                finishedAtKill.add(fin);
                logAtKill.add(server.requests().size());
                long journaled = fin.values().stream().mapToLong(Integer::longValue).sum();
                lost = server.requests().size() - journaled;   // paid so far but not in the journal (cumulative)
            }
        }
        if (last == null) {
            last = new Soak.Child(dir.resolve("final.log"), args);
            assertThat(last.finish(STAGE_TIMEOUT_S * 4)).as("final rerun:\n%s", last.tail()).isZero();
        }

        long repeated = 0;
        if (server != null) {
            List<TestRequest> log = server.requests();
            // after kill i, a request for a call the journal already held finished (beyond what the uninterrupted run asked) is a repeat
            for (int i = 0; i < finishedAtKill.size(); i++) {
                int from = logAtKill.get(i), to = i + 1 < logAtKill.size() ? logAtKill.get(i + 1) : log.size();
                Map<String, Integer> seen = new HashMap<>();
                for (TestRequest r : log.subList(from, to)) {
                    String id = Soak.identity(r);
                    int n = seen.merge(id, 1, Integer::sum);
                    int done = finishedAtKill.get(i).getOrDefault(id, 0);
                    if (done > 0 && n + done > refCalls.getOrDefault(id, 0)) repeated++;
                }
            }
            lost = log.size() - refCalls.values().stream().mapToLong(Integer::longValue).sum() - repeated;
        }
        Soak.Diff diff = Soak.compare(ref, run);
        return new Outcome(tried, landed, diff, repeated, lost);
    }

    private static Set<String> checkpoints(Path ckDir) throws java.io.IOException {
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(ckDir)) return out;
        try (var s = Files.list(ckDir)) { s.filter(p -> Files.exists(p.resolve("trainer_state.json"))).forEach(p -> out.add(p.getFileName().toString())); }
        return out;
    }

    private static void report(String what, Outcome o) {
        System.out.printf("kill -9 soak, %s: %d kill points tried %s, landed in %s; %d files compared: %d raw byte-identical, %d identical outside timing fields, %d differ%s; "
                        + "finished calls repeated: %d; calls paid but lost in flight: %d%n",
                what, o.tried().size(), o.tried(), o.landed(), o.diff().files(), o.diff().rawIdentical(), o.diff().identicalOutsideTiming(),
                o.diff().problems().size(), o.diff().problems().isEmpty() ? "" : " " + o.diff().problems(), o.repeatedFinishedCalls(), o.paidButLost());
    }
}
