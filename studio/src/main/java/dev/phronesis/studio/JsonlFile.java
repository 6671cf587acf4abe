package dev.phronesis.studio;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a JSONL file line by line with each line's byte offset, so an index can keep only small
 * fields in memory and read a full record back by seeking to it. A torn last line (no newline, not
 * valid JSON) is skipped, as {@link Jsonl#read} does with {@code tolerateTornTail}.
 */
final class JsonlFile {
    /** What a scan hands over: the line's 1-based number, its byte offset and length, and its text. */
    interface LineConsumer {
        void accept(int lineNo, long offset, int length, String line);
    }

    private static final int BUFFER_BYTES = 1 << 16;

    private JsonlFile() {}

    static void scan(Path file, LineConsumer consumer) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] chunk = new byte[BUFFER_BYTES];
            byte[] line = new byte[8192];
            int len = 0;
            long pos = 0;       // offset of chunk[0] in the file
            long lineStart = 0;
            int lineNo = 0;
            int n;
            while ((n = in.read(chunk)) > 0) {
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (chunk[i] != '\n') continue;
                    int part = i - from;
                    if (len + part > line.length) line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, len + part));
                    System.arraycopy(chunk, from, line, len, part);
                    len += part;
                    lineNo++;
                    if (len > 0) consumer.accept(lineNo, lineStart, len, new String(line, 0, len, StandardCharsets.UTF_8));
                    len = 0;
                    from = i + 1;
                    lineStart = pos + from;
                }
                int part = n - from;
                if (len + part > line.length) line = java.util.Arrays.copyOf(line, Math.max(line.length * 2, len + part));
                System.arraycopy(chunk, from, line, len, part);
                len += part;
                pos += n;
            }
            // a last line without a newline is complete only if it parses
            if (len > 0) {
                String tail = new String(line, 0, len, StandardCharsets.UTF_8);
                try {
                    Jsonl.MAPPER.readTree(tail);
                    consumer.accept(lineNo + 1, lineStart, len, tail);
                } catch (IOException torn) {
                    // torn by a crash while it was being written; its writer redoes it
                }
            }
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
    }

    /** The line at {@code offset} of {@code length} bytes, parsed as {@code type}. */
    static <T> T readAt(Path file, long offset, int length, Class<T> type) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return Jsonl.MAPPER.readValue(b, type);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the record at byte " + offset + ": " + e.getMessage());
        }
    }

    static <T> T parse(Path file, int lineNo, String line, Class<T> type) {
        try {
            return Jsonl.MAPPER.readValue(line, type);
        } catch (IOException e) {
            String msg = e instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getOriginalMessage() != null ? j.getOriginalMessage() : e.getMessage();
            throw new UserError(file + ":" + lineNo + ": not a valid " + type.getSimpleName() + " record: " + msg.replaceAll("\\s+", " "));
        }
    }
}
