package dev.phronesis.data.distill;

import dev.phronesis.core.records.GateName;
import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The offline path end to end: scripted teacher, scripted judge, every gate, the run directory and resume. */
class DistillerTest {
    @TempDir Path dir;

    @Test void offlineRunAcceptsConsistentSamplesAndKeepsEveryRejectionWithItsReason() {
        List<Scenario> scen = Fixtures.scenarios();
        var teacher = new ScriptedTeacher(Fixtures.C, Verbosity.COMPACT, 3);
        var r = Distiller.run(scen, Fixtures.C, teacher, List.of(new ScriptedJudge(Fixtures.C)), GatesConfig.defaults(), dir, Progress.NONE,
                Distiller.Options.defaults().withSamples(2));
        long distilled = scen.stream().filter(s -> s.split() != Split.HELDOUT).count();
        assertThat(r.scenarios()).isEqualTo(distilled);
        assertThat(r.samples()).isEqualTo(2 * distilled);
        // the scripted teacher is consistent with the calculator: everything passes except what the gates must catch
        List<SampleVerdicts> verdicts = Jsonl.read(dir.resolve(Distiller.VERDICTS), SampleVerdicts.class);
        assertThat(verdicts).hasSize(r.samples());
        assertThat(verdicts).filteredOn(v -> !v.accepted()).allSatisfy(v -> assertThat(v.rejection().reason()).isNotBlank());
        assertThat(r.accepted()).isEqualTo(Jsonl.read(dir.resolve(Distiller.ACCEPTED), Deliberation.class).size()).isEqualTo(r.samples());
        for (String f : List.of(Distiller.SCENARIOS, Distiller.MANIFEST, Distiller.DELIBERATIONS, Distiller.JUDGMENTS, Distiller.FUNNEL)) assertThat(dir.resolve(f)).exists();
        assertThat(Funnel.of(dir).render()).contains("schema", "calculator", "judge", "accepted " + r.accepted());
    }

    @Test void heldOutFamiliesAndNearDuplicatesOfEvalItemsAreRejectedByContamination() {
        List<Scenario> scen = new java.util.ArrayList<>(Fixtures.scenarios());
        // a training scenario whose family is held out in this run, and one that copies an eval item's prompt
        scen.add(Fixtures.advice("leak-1", "exam-cheating", Split.TRAIN, "Totally different text about exams.", java.util.Map.of(), java.util.Map.of(), java.util.Set.of()));
        Scenario eval = Fixtures.advice("eval-7", "eval-family", Split.HELDOUT,
                "My neighbour's tree is damaging my fence, case 3. Should I cut the branches? It is a small loss that can be undone.", java.util.Map.of(), java.util.Map.of(), java.util.Set.of());
        var r = Distiller.run(scen, Fixtures.C, new ScriptedTeacher(Fixtures.C, Verbosity.COMPACT, 1), List.of(), GatesConfig.defaults(), dir, Progress.NONE,
                Distiller.Options.defaults().withSamples(1).withReferences(List.of(eval)));
        var gate = r.funnel().gates().stream().filter(g -> g.gate() == GateName.CONTAMINATION).findFirst().orElseThrow();
        assertThat(gate.reasons()).containsEntry("held-out-family", 1);
        assertThat(gate.examples().get("near-duplicate-of-eval")).anySatisfy(e -> assertThat(e).startsWith("adv-3#0").contains("eval-7"));
        // case 3 vs case 7 differ in one word: still caught; other tree cases differ by one word too
        assertThat(gate.reasons().get("near-duplicate-of-eval")).isGreaterThanOrEqualTo(1);
    }

    @Test void resumeRedoesNothingAndAChangedGateConfigRegatesWithoutRepayingTheJudge() {
        List<Scenario> scen = Fixtures.scenarios();
        AtomicInteger teacherCalls = new AtomicInteger();
        AtomicInteger judgeCalls = new AtomicInteger();
        ScriptedTeacher inner = new ScriptedTeacher(Fixtures.C, Verbosity.FULL, 5);
        Teacher counting = new Teacher() {
            @Override public String id() { return inner.id(); }
            @Override public Deliberation deliberate(Scenario s, int i) { teacherCalls.incrementAndGet(); return inner.deliberate(s, i); }
        };
        ScriptedJudge judgeInner = new ScriptedJudge(Fixtures.C);
        Judge judge = new Judge() {
            @Override public String id() { return judgeInner.id(); }
            @Override public JudgeVerdict judge(Scenario s, Deliberation d) { judgeCalls.incrementAndGet(); return judgeInner.judge(s, d); }
        };
        var opt = Distiller.Options.defaults().withSamples(2);
        var first = Distiller.run(scen, Fixtures.C, counting, List.of(judge), GatesConfig.defaults(), dir, Progress.NONE, opt);
        int t1 = teacherCalls.get();
        int j1 = judgeCalls.get();
        assertThat(t1).isEqualTo(first.samples());
        var again = Distiller.run(scen, Fixtures.C, counting, List.of(judge), GatesConfig.defaults(), dir, Progress.NONE, opt);
        assertThat(teacherCalls.get()).isEqualTo(t1);
        assertThat(judgeCalls.get()).isEqualTo(j1);
        assertThat(again.newDeliberations()).isZero();
        assertThat(again.newVerdicts()).isZero();
        var stricter = GatesConfig.defaults().withMinAgreement(1.0);
        var third = Distiller.run(scen, Fixtures.C, counting, List.of(judge), stricter, dir, Progress.NONE, opt);
        assertThat(third.newVerdicts()).isEqualTo(third.samples());
        assertThat(judgeCalls.get()).isEqualTo(j1);
    }

    @Test void aRunWithTheOldJudgementsFileNameKeepsItsJudgeVerdicts() throws Exception {
        List<Scenario> scen = Fixtures.scenarios();
        java.util.concurrent.atomic.AtomicInteger judgeCalls = new java.util.concurrent.atomic.AtomicInteger();
        ScriptedJudge inner = new ScriptedJudge(Fixtures.C);
        Judge judge = new Judge() {
            @Override public String id() { return inner.id(); }
            @Override public JudgeVerdict judge(Scenario s, Deliberation d) { judgeCalls.incrementAndGet(); return inner.judge(s, d); }
        };
        var teacher = new ScriptedTeacher(Fixtures.C, Verbosity.COMPACT, 3);
        var opt = Distiller.Options.defaults().withSamples(1);
        Distiller.run(scen, Fixtures.C, teacher, List.of(judge), GatesConfig.defaults(), dir, Progress.NONE, opt);
        int calls = judgeCalls.get();
        assertThat(calls).isPositive();
        java.nio.file.Files.move(dir.resolve(Distiller.JUDGMENTS), dir.resolve("judgements.jsonl")); // as runs made before the rename have it
        Distiller.run(scen, Fixtures.C, teacher, List.of(judge), GatesConfig.defaults().withMinAgreement(1.0), dir, Progress.NONE, opt);
        assertThat(judgeCalls.get()).isEqualTo(calls);
        assertThat(dir.resolve(Distiller.JUDGMENTS)).exists();
        assertThat(dir.resolve("judgements.jsonl")).doesNotExist();
    }

    @Test void aTornLastLineAfterKillIsRedoneExactlyOnce() throws Exception {
        List<Scenario> scen = Fixtures.scenarios();
        var teacher = new ScriptedTeacher(Fixtures.C, Verbosity.COMPACT, 2);
        var opt = Distiller.Options.defaults().withSamples(1);
        Distiller.run(scen, Fixtures.C, teacher, List.of(), GatesConfig.defaults(), dir, Progress.NONE, opt);
        Path f = dir.resolve(Distiller.DELIBERATIONS);
        List<String> lines = Files.readAllLines(f);
        String last = lines.getLast();
        // simulate kill -9 mid-write: drop the last record and leave half of it without a newline
        Files.writeString(f, String.join("\n", lines.subList(0, lines.size() - 1)) + "\n" + last.substring(0, last.length() / 2));
        var r = Distiller.run(scen, Fixtures.C, teacher, List.of(), GatesConfig.defaults(), dir, Progress.NONE, opt);
        assertThat(r.newDeliberations()).isEqualTo(1);
        assertThat(Files.readAllLines(f)).hasSize(lines.size()).contains(last);
    }

    @Test void aRunDirectoryIsBoundToItsTeacher() {
        List<Scenario> scen = Fixtures.scenarios();
        Distiller.run(scen, Fixtures.C, new ScriptedTeacher(Fixtures.C, Verbosity.COMPACT, 1), List.of(), GatesConfig.defaults(), dir, Progress.NONE);
        assertThatThrownBy(() -> Distiller.run(scen, Fixtures.C, new ScriptedTeacher(Fixtures.C, Verbosity.FULL, 1), List.of(), GatesConfig.defaults(), dir, Progress.NONE))
                .isInstanceOf(UserError.class).hasMessageContaining("teacher scripted:compact@seed1");
    }
}
