package dev.phronesis.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The project's one content hash: SHA-256 as lower-case hex. Stage keys, journal keys, config and
 * content hashes (constitution, taxonomy, suites, gates) are all made here.
 */
public final class Hashes {
    /** Hex digits of a short hash: the first 8 bytes (64 bits), enough to tell configs apart in a file name or key. */
    public static final int SHORT_HEX_DIGITS = 16;

    private Hashes() {}

    /** SHA-256 of the UTF-8 bytes of {@code text}, 64 hex digits. */
    public static String sha256(String text) { return sha256(text.getBytes(StandardCharsets.UTF_8)); }

    /** SHA-256 of {@code bytes}, 64 hex digits. */
    public static String sha256(byte[] bytes) { return HexFormat.of().formatHex(digest().digest(bytes)); }

    /** SHA-256 over several parts, each followed by a NUL byte (so {@code "ab","c"} and {@code "a","bc"} differ). */
    public static String sha256Parts(byte[]... parts) {
        MessageDigest md = digest();
        for (byte[] p : parts) { md.update(p); md.update((byte) 0); }
        return HexFormat.of().formatHex(md.digest());
    }

    /** {@link #sha256Parts(byte[]...)} of the UTF-8 bytes of each part. */
    public static String sha256Parts(String... parts) {
        byte[][] b = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) b[i] = parts[i].getBytes(StandardCharsets.UTF_8);
        return sha256Parts(b);
    }

    /** The first {@link #SHORT_HEX_DIGITS} hex digits of a hash. */
    public static String shortHex(String hexHash) { return hexHash.substring(0, SHORT_HEX_DIGITS); }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
