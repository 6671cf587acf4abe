package dev.phronesis.core.records;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;

/** Who speaks a turn of a conversation. Written as the lower-case wire names every chat format uses. */
public enum Role {
    SYSTEM, USER, ASSISTANT, TOOL;

    /** The wire name: {@code system}, {@code user}, {@code assistant}, {@code tool}. */
    @JsonValue
    public String wire() { return name().toLowerCase(Locale.ROOT); }

    /** The role with this wire name; an {@link IllegalArgumentException} naming the allowed names otherwise. */
    @JsonCreator
    public static Role parse(String wire) {
        for (Role r : values()) if (r.wire().equals(wire)) return r;
        throw new IllegalArgumentException("role must be one of " + Arrays.stream(values()).map(Role::wire).toList() + ", got '" + wire + "'");
    }
}
