package dev.phronesis.cli.experiment;

import dev.phronesis.core.Progress;
import dev.phronesis.cli.pipeline.RunDirectory;
import dev.phronesis.cli.pipeline.Stage;

import java.util.List;

/** Small helpers for building keyed stages. */
final class ExperimentKeys {
    private ExperimentKeys() {}

    interface Body { void run(RunDirectory dir) throws Exception; }

    static Stage stage(String name, String describe, String key, String output, Body body) {
        return new Stage() {
            @Override public String name() { return name; }
            @Override public String describe() { return describe; }
            @Override public String key() { return hash(key, name); }
            @Override public List<String> outputs() { return List.of(output); }
            @Override public void run(RunDirectory dir, Progress progress) throws Exception { body.run(dir); }
        };
    }

    static String hash(String... parts) { return dev.phronesis.cli.pipeline.Pipeline.key(parts); }
}
