package dev.phronesis.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The request journal: an embedded SQLite database in WAL mode.
 *
 * <p>Invariants: a completed answer is committed (its own transaction) before the engine hands it
 * to the caller, so after {@code kill -9} every answer a caller could have seen is on disk and a rerun
 * serves it instead of paying again. WAL with {@code synchronous=NORMAL} survives a process crash
 * (only an OS crash may lose the last commits). Failed requests are recorded for accounting but never
 * served: a rerun retries them. Submitted batch ids are committed before anything waits on them, so
 * a restarted process resumes polling instead of submitting (and paying for) the batch again.
 * One connection, guarded by this object's monitor; SQLite serialises writers anyway.
 * Nothing here ever sees an API key.
 */
final class Journal implements AutoCloseable {
    private static final ObjectMapper JSON = dev.phronesis.core.Json.MAPPER;
    /** How long a writer waits for a lock held by another process before giving up. */
    private static final int BUSY_TIMEOUT_MS = 30_000;

    private final Path file;
    private final Connection db;

    private Journal(Path file, Connection db) { this.file = file; this.db = db; }

    static Journal open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA busy_timeout=" + BUSY_TIMEOUT_MS);
                s.execute("""
                        CREATE TABLE IF NOT EXISTS answers(
                          key TEXT PRIMARY KEY, model TEXT NOT NULL, label TEXT, tag TEXT,
                          request TEXT NOT NULL, result TEXT NOT NULL,
                          input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
                          cost_usd REAL NOT NULL, latency_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, created_at TEXT NOT NULL)""");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS failures(
                          key TEXT NOT NULL, model TEXT NOT NULL, label TEXT, tag TEXT, kind TEXT NOT NULL,
                          message TEXT NOT NULL, attempts INTEGER NOT NULL, created_at TEXT NOT NULL)""");
                // tokens and cost a failed request still paid for (schema repairs that never satisfied the schema); journals written
                // before these columns existed get them with 0
                try (ResultSet cols = s.executeQuery("PRAGMA table_info(failures)")) {
                    java.util.Set<String> have = new java.util.HashSet<>();
                    while (cols.next()) have.add(cols.getString("name"));
                    for (String col : List.of("input_tokens INTEGER NOT NULL DEFAULT 0", "output_tokens INTEGER NOT NULL DEFAULT 0",
                            "cached_tokens INTEGER NOT NULL DEFAULT 0", "cost_usd REAL NOT NULL DEFAULT 0"))
                        if (!have.contains(col.substring(0, col.indexOf(' ')))) s.execute("ALTER TABLE failures ADD COLUMN " + col);
                }
                s.execute("""
                        CREATE TABLE IF NOT EXISTS batches(
                          batch_id TEXT PRIMARY KEY, model TEXT NOT NULL, keys TEXT NOT NULL,
                          state TEXT NOT NULL, created_at TEXT NOT NULL)""");
            }
            return new Journal(file, c);
        } catch (SQLException | IOException e) {
            throw new UserError(file + ": cannot open the request journal: " + e.getMessage(), e);
        }
    }

    Path file() { return file; }

    synchronized Optional<ChatResult.Completed> get(String key) {
        try (PreparedStatement p = db.prepareStatement("SELECT result FROM answers WHERE key = ?")) {
            p.setString(1, key);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? Optional.of(decode(rs.getString(1)).asFromJournal()) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(file + ": journal read failed: " + e.getMessage(), e);
        }
    }

    synchronized void put(String key, String model, String label, ChatRequest request, ChatResult.Completed c, double cost, int attempts) {
        try (PreparedStatement p = db.prepareStatement("INSERT OR REPLACE INTO answers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            p.setString(1, key);
            p.setString(2, model);
            p.setString(3, label);
            p.setString(4, request.tag());
            p.setString(5, RequestKey.canonical(request).toString());
            p.setString(6, encode(c));
            p.setLong(7, c.usage().inputTokens());
            p.setLong(8, c.usage().outputTokens());
            p.setLong(9, c.usage().cachedInputTokens());
            p.setDouble(10, cost);
            p.setLong(11, c.latency().toMillis());
            p.setInt(12, attempts);
            p.setString(13, Instant.now().toString());
            p.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(file + ": journal write failed: " + e.getMessage(), e);
        }
    }

    synchronized void putFailure(String key, String model, String label, ChatRequest request, ChatResult.Failed f) {
        putFailure(key, model, label, request, f, Usage.NONE, 0);
    }

    /** A failure with the tokens and cost its attempts still paid for. */
    synchronized void putFailure(String key, String model, String label, ChatRequest request, ChatResult.Failed f, Usage spent, double costUsd) {
        try (PreparedStatement p = db.prepareStatement("INSERT INTO failures(key, model, label, tag, kind, message, attempts, created_at, "
                + "input_tokens, output_tokens, cached_tokens, cost_usd) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")) {
            p.setString(1, key);
            p.setString(2, model);
            p.setString(3, label);
            p.setString(4, request.tag());
            p.setString(5, f.kind().name());
            p.setString(6, Secrets.scrub(f.message()));
            p.setInt(7, f.attempts());
            p.setString(8, Instant.now().toString());
            p.setLong(9, spent.inputTokens());
            p.setLong(10, spent.outputTokens());
            p.setLong(11, spent.cachedInputTokens());
            p.setDouble(12, costUsd);
            p.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(file + ": journal write failed: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- batches

    record PendingBatch(String batchId, List<String> keys) {}

    synchronized void putBatch(String batchId, String model, List<String> keys) {
        try (PreparedStatement p = db.prepareStatement("INSERT OR REPLACE INTO batches VALUES (?,?,?,'submitted',?)")) {
            p.setString(1, batchId);
            p.setString(2, model);
            p.setString(3, JSON.writeValueAsString(keys));
            p.setString(4, Instant.now().toString());
            p.executeUpdate();
        } catch (SQLException | IOException e) {
            throw new IllegalStateException(file + ": journal write failed: " + e.getMessage(), e);
        }
    }

    synchronized List<PendingBatch> pendingBatches(String model) {
        List<PendingBatch> out = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT batch_id, keys FROM batches WHERE model = ? AND state = 'submitted' ORDER BY created_at")) {
            p.setString(1, model);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) out.add(new PendingBatch(rs.getString(1), List.of(JSON.readValue(rs.getString(2), String[].class))));
            }
        } catch (SQLException | IOException e) {
            throw new IllegalStateException(file + ": journal read failed: " + e.getMessage(), e);
        }
        return out;
    }

    synchronized void finishBatch(String batchId, String state) {
        try (PreparedStatement p = db.prepareStatement("UPDATE batches SET state = ? WHERE batch_id = ?")) {
            p.setString(1, state);
            p.setString(2, batchId);
            p.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(file + ": journal write failed: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- usage

    /** Usage of everything this journal holds, per model id (answers paid for once, failures as recorded). */
    synchronized Map<String, UsageSummary> usageByModel() {
        Map<String, UsageSummary.Accumulator> acc = new LinkedHashMap<>();
        try (Statement s = db.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT model, input_tokens, output_tokens, cached_tokens, cost_usd, latency_ms, attempts FROM answers ORDER BY model")) {
                while (rs.next()) {
                    var a = acc.computeIfAbsent(rs.getString(1), k -> new UsageSummary.Accumulator());
                    a.request();
                    a.paid(new Usage(rs.getLong(2), rs.getLong(3), rs.getLong(4)), rs.getDouble(5), Duration.ofMillis(rs.getLong(6)));
                    a.addAttempts(rs.getInt(7));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT model, COUNT(DISTINCT key) FROM failures WHERE key NOT IN (SELECT key FROM answers) GROUP BY model")) {
                while (rs.next()) {
                    var a = acc.computeIfAbsent(rs.getString(1), k -> new UsageSummary.Accumulator());
                    a.addRequests(rs.getLong(2));
                    a.addFailed(rs.getLong(2));
                }
            }
            // every failed attempt's attempts, tokens and cost count, also when a later run answered the request
            try (ResultSet rs = s.executeQuery("SELECT model, SUM(attempts), SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), SUM(cost_usd) "
                    + "FROM failures GROUP BY model")) {
                while (rs.next()) {
                    var a = acc.computeIfAbsent(rs.getString(1), k -> new UsageSummary.Accumulator());
                    a.addAttempts(rs.getLong(2));
                    a.spent(new Usage(rs.getLong(3), rs.getLong(4), rs.getLong(5)), rs.getDouble(6));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(file + ": journal read failed: " + e.getMessage(), e);
        }
        Map<String, UsageSummary> out = new LinkedHashMap<>();
        acc.forEach((k, v) -> out.put(k, v.summary(Duration.ZERO)));
        return out;
    }

    // ---------------------------------------------------------------- encoding

    static String encode(ChatResult.Completed c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("content", c.content());
        o.put("reasoning", c.reasoning());
        ArrayNode calls = o.putArray("tool_calls");
        for (ToolCall t : c.toolCalls()) calls.addObject().put("id", t.id()).put("name", t.name()).put("arguments", t.argumentsJson());
        o.put("finish_reason", c.finishReason());
        o.putObject("usage").put("input", c.usage().inputTokens()).put("output", c.usage().outputTokens()).put("cached", c.usage().cachedInputTokens());
        o.put("latency_ms", c.latency().toMillis());
        return o.toString();
    }

    static ChatResult.Completed decode(String json) {
        try {
            JsonNode o = JSON.readTree(json);
            List<ToolCall> calls = new ArrayList<>();
            for (JsonNode t : o.path("tool_calls"))
                calls.add(new ToolCall(t.path("id").isNull() ? null : t.path("id").asText(), t.path("name").asText(), t.path("arguments").asText()));
            JsonNode u = o.path("usage");
            return new ChatResult.Completed(o.path("content").asText(), o.path("reasoning").isNull() ? null : o.path("reasoning").asText(null),
                    calls, o.path("finish_reason").isNull() ? null : o.path("finish_reason").asText(null),
                    new Usage(u.path("input").asLong(), u.path("output").asLong(), u.path("cached").asLong()),
                    Duration.ofMillis(o.path("latency_ms").asLong()), false);
        } catch (IOException e) {
            throw new IllegalStateException("corrupt journal row: " + e.getMessage(), e);
        }
    }

    @Override public synchronized void close() {
        try { db.close(); } catch (SQLException ignored) { /* closing; nothing to recover */ }
    }
}
