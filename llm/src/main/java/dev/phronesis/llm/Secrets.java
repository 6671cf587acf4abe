package dev.phronesis.llm;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every API key this process has read, so that any text about to leave the engine (an error message,
 * a log line, a journal row) can be scrubbed of them. Keys are only ever held in memory.
 */
final class Secrets {
    /** Shorter values are not treated as secrets: scrubbing them would mangle ordinary text. */
    private static final int MIN_SECRET_LENGTH = 8;
    private static final Set<String> KNOWN = ConcurrentHashMap.newKeySet();

    private Secrets() {}

    static void register(String secret) {
        if (secret != null && secret.length() >= MIN_SECRET_LENGTH) KNOWN.add(secret);
    }

    static String scrub(String text) {
        if (text == null) return null;
        String out = text;
        for (String s : KNOWN) if (out.contains(s)) out = out.replace(s, "***");
        return out;
    }
}
