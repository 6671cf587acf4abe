package dev.phronesis.cli;

import dev.phronesis.cli.pipeline.Pipeline;
import dev.phronesis.core.Progress;
import dev.phronesis.cli.pipeline.RunDirectory;
import dev.phronesis.cli.pipeline.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineResumeTest {
    @TempDir Path dir;
    final List<String> ran = new ArrayList<>();

    Stage stage(String name, String key, boolean fail) {
        return new Stage() {
            @Override public String name() { return name; }
            @Override public String describe() { return name; }
            @Override public String key() { return key; }
            @Override public List<String> outputs() { return List.of(name); }
            @Override public void run(RunDirectory d, Progress p) throws Exception {
                ran.add(name);
                Files.createDirectories(d.path(name));
                Files.writeString(d.path(name).resolve("out.txt"), key);
                if (fail) throw new IllegalStateException(name + " crashed");
            }
        };
    }

    @Test
    void aFailedStageIsRedoneAndFinishedOnesAreReused() throws Exception {
        RunDirectory d = RunDirectory.open(dir);
        assertThatThrownBy(() -> Pipeline.run(d, List.of(stage("a", "1", false), stage("b", "1", true), stage("c", "1", false)), Progress.silent()))
                .hasMessage("b crashed");
        assertThat(d.state("b").state()).isEqualTo(RunDirectory.State.FAILED);
        ran.clear();
        RunDirectory reopened = RunDirectory.open(dir);
        Pipeline.run(reopened, List.of(stage("a", "1", false), stage("b", "1", false), stage("c", "1", false)), Progress.silent());
        assertThat(ran).containsExactly("b", "c");
        assertThat(reopened.stages()).allMatch(s -> s.state() == RunDirectory.State.DONE);
    }

    @Test
    void aChangedKeyRedoesTheStageFromScratch() throws Exception {
        RunDirectory d = RunDirectory.open(dir);
        Pipeline.run(d, List.of(stage("a", "1", false), stage("b", "1", false)), Progress.silent());
        Files.writeString(dir.resolve("a").resolve("stale.txt"), "left over");
        ran.clear();
        Pipeline.run(RunDirectory.open(dir), List.of(stage("a", "2", false), stage("b", "2", false)), Progress.silent());
        assertThat(ran).containsExactly("a", "b");
        assertThat(dir.resolve("a").resolve("stale.txt")).doesNotExist();
        assertThat(Files.readString(dir.resolve("a").resolve("out.txt"))).isEqualTo("2");
    }

    @Test
    void aTornStateFileIsAClearError() throws Exception {
        Files.writeString(dir.resolve("stages.json"), "{\"stages\": [");
        assertThatThrownBy(() -> RunDirectory.open(dir)).isInstanceOf(dev.phronesis.core.UserError.class)
                .hasMessageContaining("stages.json: unreadable stage state");
    }
}
