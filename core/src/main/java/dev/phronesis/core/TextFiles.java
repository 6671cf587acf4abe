package dev.phronesis.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Reads an input text file the way every command should: only a regular file (a FIFO, socket or
 * device would block or never end), at most {@link #MAX_BYTES}, strict UTF-8 with the line of the
 * first bad byte named. Every failure is one {@link UserError} line naming the file.
 */
public final class TextFiles {
    /** Inputs are configs, JSONL records and corpora; anything larger is a mistake (or a 100 MB line). */
    public static final long MAX_BYTES = 2L << 30;

    private TextFiles() {}

    /** Refuses a path that is missing, a directory, or not a regular file; returns its size in bytes. */
    public static long requireRegularFile(Path file) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class); // follows links: a link to a FIFO is a FIFO
        } catch (NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        if (a.isDirectory()) throw new UserError(file + ": is a directory, expected a file");
        if (!a.isRegularFile())
            throw new UserError(file + ": not a regular file (a FIFO, socket or device is never read, since it could block forever)");
        if (!Files.isReadable(file)) throw new UserError(file + ": cannot read: permission denied");
        return a.size();
    }

    /** The whole file as text. */
    public static String read(Path file) {
        return read(file, MAX_BYTES);
    }

    /** The whole file as text, refusing one larger than {@code maxBytes}. */
    public static String read(Path file, long maxBytes) {
        long size = requireRegularFile(file);
        if (size > maxBytes)
            throw new UserError(file + ": " + size + " bytes is larger than the " + maxBytes + "-byte limit for this input");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (AccessDeniedException e) {
            throw new UserError(file + ": cannot read: permission denied");
        } catch (IOException | OutOfMemoryError e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        return decode(file, bytes);
    }

    /** The file's lines (no terminators), as {@link Files#readAllLines} would give them. */
    public static List<String> lines(Path file) {
        return read(file).lines().toList();
    }

    /** Strict UTF-8; a bad byte is reported with its line and byte column. */
    public static String decode(Path file, byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, (long) bytes.length));
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int at = in.position(), line = 1, lineStart = 0;
            for (int i = 0; i < at; i++) if (bytes[i] == '\n') { line++; lineStart = i + 1; }
            throw new UserError(String.format("%s:%d:%d: not UTF-8 text (byte 0x%02x); save the file as UTF-8",
                    file, line, at - lineStart + 1, bytes[at] & 0xff));
        }
        try {
            r = d.flush(out);
            if (r.isError()) r.throwException();
        } catch (CharacterCodingException e) {
            throw new UserError(file + ": not UTF-8 text");
        }
        return out.flip().toString();
    }
}
