package dev.phronesis.pipeline;

import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EngineTest {
    @TempDir Path dir;
    final List<String> ran = new ArrayList<>();

    Stage stage(String name, List<String> reads, Map<String, Object> config, boolean fail) {
        return new Stage() {
            @Override public String name() { return name; }
            @Override public String describe() { return name; }
            @Override public List<String> reads() { return reads; }
            @Override public List<String> writes() { return List.of(name); }
            @Override public Map<String, Object> config() { return config; }
            @Override public int version() { return 1; }
            @Override public void run(RunDirectory d, Progress p) throws Exception {
                ran.add(name);
                Files.createDirectories(d.path(name));
                Files.writeString(d.path(name).resolve("out.txt"), config.toString());
                if (fail) throw new IllegalStateException(name + " crashed");
            }
        };
    }

    List<Stage> chain(Object aValue, Object cValue, String failing) {
        return List.of(stage("a", List.of(), Map.of("a.x", aValue), "a".equals(failing)),
                stage("b", List.of("a"), Map.of(), "b".equals(failing)),
                stage("c", List.of(), Map.of("c.y", cValue), "c".equals(failing)),
                stage("d", List.of("b", "c"), Map.of(), "d".equals(failing)));
    }

    /** kill -9 between writing an atomic write's temporary sibling and renaming it leaves NAME<digits>.tmp: a rerun removes it. */
    @Test
    void temporaryFilesOfAKilledWriteAreRemovedByTheRerun() throws Exception {
        Engine.run(RunDirectory.open(dir), chain(1, 1, null), Progress.silent());
        Files.writeString(dir.resolve("stages365592379358626739.tmp"), "{\"stages\": [");
        Files.writeString(dir.resolve("b").resolve("samples.jsonl17542108584276280848.tmp"), "{}");
        Files.writeString(dir.resolve("b").resolve("notes.tmp"), "a user's file: not ours");
        List<String> said = new ArrayList<>();
        Engine.run(RunDirectory.open(dir), chain(1, 1, null), new Progress() {
            @Override public void update(String stage, long done, long total) { }
            @Override public void message(String m) { said.add(m); }
        });
        assertThat(dir.resolve("stages365592379358626739.tmp")).doesNotExist();
        assertThat(dir.resolve("b").resolve("samples.jsonl17542108584276280848.tmp")).doesNotExist();
        assertThat(dir.resolve("b").resolve("notes.tmp")).exists();
        assertThat(said).anyMatch(m -> m.contains("removed 2 temporary file(s)"));
    }

    @Test
    void aFailedStageIsRedoneAndFinishedOnesAreReused() throws Exception {
        RunDirectory d = RunDirectory.open(dir);
        assertThatThrownBy(() -> Engine.run(d, chain(1, 1, "b"), Progress.silent())).hasMessage("b crashed");
        assertThat(d.state("b").state()).isEqualTo(RunDirectory.State.FAILED);
        ran.clear();
        RunDirectory reopened = RunDirectory.open(dir);
        Engine.run(reopened, chain(1, 1, null), Progress.silent());
        assertThat(ran).containsExactly("b", "c", "d");
        assertThat(reopened.stages()).allMatch(s -> s.state() == RunDirectory.State.DONE);
    }

    @Test
    void aChangedSettingRedoesThatStageAndWhatReadsItAndNothingElse() throws Exception {
        Engine.run(RunDirectory.open(dir), chain(1, 1, null), Progress.silent());
        Files.writeString(dir.resolve("c").resolve("stale.txt"), "left over");
        ran.clear();
        Engine.run(RunDirectory.open(dir), chain(1, 1, null), Progress.silent());
        assertThat(ran).as("nothing changed, nothing runs").isEmpty();

        Plan plan = Engine.plan(RunDirectory.open(dir), chain(1, 2, null));
        assertThat(plan.steps()).extracting(s -> s.status().wire()).containsExactly("done", "done", "stale", "stale");
        assertThat(plan.steps().get(2).reasons()).containsExactly("config c.y: 1 -> 2");
        assertThat(plan.steps().get(3).reasons()).containsExactly("input c changed");
        assertThat(ran).as("planning runs nothing").isEmpty();

        Engine.run(RunDirectory.open(dir), chain(1, 2, null), Progress.silent());
        assertThat(ran).containsExactly("c", "d");
        assertThat(dir.resolve("c").resolve("stale.txt")).as("a redone stage starts from scratch").doesNotExist();
        assertThat(Files.readString(dir.resolve("c").resolve("out.txt"))).isEqualTo("{c.y=2}");
    }

    @Test
    void aReadNobodyWritesFailsBeforeAnythingRunsNamingStageAndArtifact() {
        List<Stage> stages = List.of(stage("a", List.of(), Map.of(), false), stage("b", List.of("suites"), Map.of(), false));
        assertThatThrownBy(() -> Engine.run(RunDirectory.open(dir), stages, Progress.silent()))
                .isInstanceOf(UserError.class).hasMessageContaining("stage 'b' reads suites, which no stage writes");
        assertThat(ran).isEmpty();
        List<Stage> backwards = List.of(stage("b", List.of("a"), Map.of(), false), stage("a", List.of(), Map.of(), false));
        assertThatThrownBy(() -> Engine.run(RunDirectory.open(dir), backwards, Progress.silent()))
                .isInstanceOf(UserError.class).hasMessage("stage 'b' reads a, which only the later stage 'a' writes");
        assertThat(ran).isEmpty();
    }

    @Test
    void aFileAlreadyInTheRunDirectoryIsAnInputWhoseBytesAreInTheKey() throws Exception {
        Files.writeString(dir.resolve("given.txt"), "one");
        List<Stage> stages = List.of(stage("a", List.of("given.txt"), Map.of(), false));
        Engine.run(RunDirectory.open(dir), stages, Progress.silent());
        Files.writeString(dir.resolve("given.txt"), "two");
        Plan p = Engine.plan(RunDirectory.open(dir), stages);
        assertThat(p.steps().getFirst().status()).isEqualTo(Plan.Status.STALE);
        assertThat(p.steps().getFirst().reasons()).containsExactly("input given.txt changed");
    }

    @Test
    void aTornStateFileIsAClearError() throws Exception {
        Files.writeString(dir.resolve("stages.json"), "{\"stages\": [");
        assertThatThrownBy(() -> RunDirectory.open(dir)).isInstanceOf(UserError.class)
                .hasMessageContaining("stages.json: unreadable stage state");
    }
}
