package dev.phronesis.core.records;

import java.util.Objects;

/** One message of a stored conversation. */
public record Turn(Role role, String content) {
    public Turn {
        Objects.requireNonNull(role, "role");
        content = content == null ? "" : content;
    }

    public static Turn system(String s) { return new Turn(Role.SYSTEM, s); }
    public static Turn user(String s) { return new Turn(Role.USER, s); }
    public static Turn assistant(String s) { return new Turn(Role.ASSISTANT, s); }
    public static Turn tool(String s) { return new Turn(Role.TOOL, s); }
}
