package dev.phronesis.cli.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run directory and the state of its stages, kept in {@code stages.json}.
 *
 * <p>Invariants: a stage is {@code done} only after all its outputs were written (the state file is
 * replaced atomically after the stage returns), and a {@code done} stage is skipped on the next run
 * only while its config key is unchanged — a changed key reruns it and every stage after it. A stage
 * that was {@code running} when the process died is run again; stages make their own work
 * idempotent (append-only JSONL, the llm journal, training checkpoints), so a rerun redoes nothing
 * that had finished.
 */
public final class RunDirectory {
    public enum State { PENDING, RUNNING, DONE, FAILED }

    public record StageState(String name, State state, String key, String startedAt, String finishedAt, String note) {}

    private final Path root;
    private final Map<String, StageState> stages = new LinkedHashMap<>();

    private RunDirectory(Path root) { this.root = root; }

    public static RunDirectory open(Path root) {
        RunDirectory d = new RunDirectory(root);
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UserError(root + ": cannot create run directory: " + e.getMessage());
        }
        Path f = root.resolve("stages.json");
        if (Files.exists(f)) {
            try {
                JsonNode n = Jsonl.MAPPER.readTree(Files.readString(f, StandardCharsets.UTF_8));
                for (JsonNode s : n.path("stages")) {
                    StageState st = Jsonl.MAPPER.treeToValue(s, StageState.class);
                    d.stages.put(st.name(), st);
                }
            } catch (IOException e) {
                throw new UserError(f + ": unreadable stage state (" + e.getMessage().lines().findFirst().orElse("") + "); delete it to start the run over");
            }
        }
        return d;
    }

    /** Opens an existing run directory (for status and reports), failing clearly when it is not one. */
    public static RunDirectory existing(Path root) {
        if (!Files.isDirectory(root)) throw new UserError(root + ": no such run directory");
        if (!Files.exists(root.resolve("stages.json"))) throw new UserError(root + ": not a Phronesis run directory (no stages.json)");
        return open(root);
    }

    public Path root() { return root; }

    public Path path(String relative) { return root.resolve(relative); }

    public synchronized List<StageState> stages() { return new ArrayList<>(stages.values()); }

    public synchronized StageState state(String name) { return stages.get(name); }

    /** True when the stage finished before with the same key. */
    public synchronized boolean isDone(String name, String key) {
        StageState s = stages.get(name);
        return s != null && s.state() == State.DONE && s.key().equals(key);
    }

    public synchronized void mark(String name, State state, String key, String note) {
        StageState old = stages.get(name);
        String now = Instant.now().toString();
        String started = state == State.RUNNING ? now : old == null ? now : old.startedAt();
        String finished = state == State.DONE || state == State.FAILED ? now : null;
        stages.put(name, new StageState(name, state, key, started, finished, note == null ? "" : note));
        save();
    }

    /** Marks every stage after {@code name} (in recorded order) pending again: their inputs changed. */
    public synchronized void invalidateAfter(String name) {
        boolean after = false;
        for (var e : new ArrayList<>(stages.entrySet())) {
            if (after && e.getValue().state() == State.DONE) {
                StageState s = e.getValue();
                stages.put(e.getKey(), new StageState(s.name(), State.PENDING, s.key(), s.startedAt(), null, "inputs changed"));
            }
            if (e.getKey().equals(name)) after = true;
        }
        save();
    }

    private void save() {
        ObjectNode n = Jsonl.MAPPER.createObjectNode();
        n.set("stages", Jsonl.MAPPER.valueToTree(new ArrayList<>(stages.values())));
        Path f = root.resolve("stages.json");
        try {
            Path tmp = Files.createTempFile(root, "stages", ".tmp");
            Files.writeString(tmp, Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n), StandardCharsets.UTF_8);
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(f + ": cannot write: " + e.getMessage(), e);
        }
    }
}
