package dev.phronesis.pipeline;

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
 * replaced atomically after the stage returns); the {@link Engine} reuses a {@code done} stage only
 * while its derived key is unchanged. A stage that was {@code running} when the process died is run
 * again; stages make their own work idempotent (append-only JSONL, the llm journal, training
 * checkpoints), so a rerun redoes nothing that had finished.
 */
public final class RunDirectory {
    public enum State { PENDING, RUNNING, DONE, FAILED }

    /** @param parts what the key was made of (null in state files written before keys were derived) */
    public record StageState(String name, State state, String key, String startedAt, String finishedAt, String note, KeyParts parts) {}

    private final Path root;
    private final Map<String, StageState> stages = new LinkedHashMap<>();

    private final boolean readOnly;

    private RunDirectory(Path root, boolean readOnly) {
        this.root = root;
        this.readOnly = readOnly;
    }

    public static RunDirectory open(Path root) {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UserError(root + ": cannot create run directory: " + e.getMessage());
        }
        return read(root, false);
    }

    /** The state of a run directory that may not exist yet, for planning: nothing is created or written. */
    public static RunDirectory peek(Path root) { return read(root, true); }

    private static RunDirectory read(Path root, boolean readOnly) {
        RunDirectory d = new RunDirectory(root, readOnly);
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

    synchronized void mark(String name, State state, String key, KeyParts parts, String note) {
        StageState old = stages.get(name);
        String now = Instant.now().toString();
        String started = state == State.RUNNING ? now : old == null ? now : old.startedAt();
        String finished = state == State.DONE || state == State.FAILED ? now : null;
        stages.put(name, new StageState(name, state, key, started, finished, note == null ? "" : note, parts));
        save();
    }

    private void save() {
        if (readOnly) throw new IllegalStateException(root + ": opened for planning only");
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
