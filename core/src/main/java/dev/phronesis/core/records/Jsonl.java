package dev.phronesis.core.records;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phronesis.core.UserError;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Lines for every record that flows between stages.
 *
 * <p>Crash safety: {@link #writeAll} writes to a temporary file and renames it into place, so a
 * reader never sees half a file; {@link Appender} writes one flushed line per record, and
 * {@link #read} with {@code tolerateTornTail} ignores a final line cut off by {@code kill -9}, so a
 * resumed stage redoes exactly the record that was torn.
 */
public final class Jsonl {
    /** {@link dev.phronesis.core.Json#MAPPER}, the project's one mapper. */
    public static final ObjectMapper MAPPER = dev.phronesis.core.Json.MAPPER;

    private Jsonl() {}

    public static String toJson(Object o) {
        try {
            return MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + o.getClass().getSimpleName(), e);
        }
    }

    public static <T> List<T> read(Path file, Class<T> type) { return read(file, type, false); }

    public static <T> List<T> read(Path file, Class<T> type, boolean tolerateTornTail) {
        List<String> lines = dev.phronesis.core.TextFiles.lines(file);
        boolean endsClean = endsWithNewline(file);
        List<T> out = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            try {
                out.add(MAPPER.readValue(line, type));
            } catch (JsonProcessingException e) {
                boolean last = i == lines.size() - 1;
                if (tolerateTornTail && last && !endsClean) break;
                int col = e.getLocation() == null ? 0 : e.getLocation().getColumnNr();
                throw new UserError(file + ":" + (i + 1) + ":" + col + ": not a valid " + type.getSimpleName() + " record: " + dev.phronesis.core.JsonProblems.describe(e));
            } catch (IllegalArgumentException | NullPointerException e) { // a record's compact constructor refused a value
                throw new UserError(file + ":" + (i + 1) + ": not a valid " + type.getSimpleName() + " record: " + dev.phronesis.core.JsonProblems.clean(e.getMessage()));
            }
        }
        return out;
    }

    private static boolean endsWithNewline(Path file) {
        try (var ch = Files.newByteChannel(file)) {
            long size = ch.size();
            if (size == 0) return true;
            ch.position(size - 1);
            var buf = java.nio.ByteBuffer.allocate(1);
            ch.read(buf);
            return buf.get(0) == '\n';
        } catch (IOException e) {
            return true;
        }
    }

    public static void writeAll(Path file, List<?> records) {
        writeLines(file, records.stream().map(Jsonl::toJson).toList());
    }

    /**
     * Replaces {@code file} with these lines (each already one JSON record), atomically: a crash leaves
     * either the old file or the new one, never a mix.
     */
    public static void writeLines(Path file, List<String> lines) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (String line : lines) {
                    w.write(line);
                    w.write('\n');
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /**
     * Appends one record as one line and forces it to the disk before returning, for records a person
     * made by hand (a review, a label) that must survive a crash or power loss. A torn last line left by
     * an earlier crash is dropped first; an exclusive file lock keeps two processes appending to the same
     * file from interleaving.
     */
    public static void appendSynced(Path file, Object record) {
        byte[] line = (toJson(record) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
                 var lock = ch.lock()) {
                long end = ch.size();
                if (end > 0) { // drop a torn tail: back up to just after the last newline
                    var one = java.nio.ByteBuffer.allocate(1);
                    long keep = end;
                    while (keep > 0) {
                        one.clear();
                        ch.read(one, keep - 1);
                        if (one.get(0) == '\n') break;
                        keep--;
                    }
                    if (keep < end) ch.truncate(keep);
                    end = keep;
                }
                var buf = java.nio.ByteBuffer.wrap(line);
                while (buf.hasRemaining()) end += ch.write(buf, end);
                ch.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot append: " + e.getMessage(), e);
        }
    }

    /** Appends one record per line, flushed per record, for resumable stages. Drops a torn last line first. */
    public static final class Appender implements AutoCloseable {
        private final BufferedWriter w;

        public Appender(Path file) {
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
                if (Files.exists(file) && !endsWithNewline(file)) truncateTornTail(file);
                w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": cannot open for append: " + e.getMessage(), e);
            }
        }

        public synchronized void append(Object record) {
            try {
                w.write(toJson(record));
                w.write('\n');
                w.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot append: " + e.getMessage(), e);
            }
        }

        @Override public synchronized void close() {
            try {
                w.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static void truncateTornTail(Path file) throws IOException {
            byte[] all = Files.readAllBytes(file);
            int end = all.length;
            while (end > 0 && all[end - 1] != '\n') end--;
            try (var ch = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
                ch.truncate(end);
            }
        }
    }
}
