package dev.phronesis.core.records;

import java.util.Objects;
import java.util.Set;

/** One message of a stored conversation: role is system, user, assistant or tool. */
public record Turn(String role, String content) {
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");

    public Turn {
        Objects.requireNonNull(role, "role");
        if (!ROLES.contains(role)) throw new IllegalArgumentException("role must be one of " + ROLES + ", got '" + role + "'");
        content = content == null ? "" : content;
    }

    public static Turn system(String s) { return new Turn("system", s); }
    public static Turn user(String s) { return new Turn("user", s); }
    public static Turn assistant(String s) { return new Turn("assistant", s); }
    public static Turn tool(String s) { return new Turn("tool", s); }
}
