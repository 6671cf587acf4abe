package dev.phronesis.data.documents;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.phronesis.core.UserError;

import java.util.Arrays;
import java.util.List;

/** The kinds of synthetic document: four that explain the constitution and one that shows it lived. */
public enum Genre {
    /** One principle or heuristic: why it exists, what it protects, a worked case. */
    EXPLAINER("explainer"),
    /** Two principles that pull apart, and how the constitution's priorities settle it. */
    ESSAY("essay"),
    /** A situation walked through the factor weighing and the 1,000-users test. */
    CASE_STUDY("case-study"),
    /** Questions a reader might ask about the constitution, answered. */
    QA("qa"),
    /** An AI agent under pressure reasons through the constitution and acts well, or fails and sees why. */
    STORY("story");

    private final String wire;

    Genre(String wire) { this.wire = wire; }

    @JsonValue public String wire() { return wire; }

    public static List<String> wires() { return Arrays.stream(values()).map(Genre::wire).toList(); }

    @JsonCreator
    public static Genre of(String s) {
        for (Genre g : values()) if (g.wire.equals(s)) return g;
        throw new UserError("unknown genre '" + s + "' (known: " + String.join(", ", wires()) + ")");
    }
}
