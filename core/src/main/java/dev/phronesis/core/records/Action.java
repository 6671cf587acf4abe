package dev.phronesis.core.records;

import java.util.Map;

/** A concrete tool call: which tool, with which arguments. The eval compares the call a model made against these. */
public record Action(String tool, Map<String, String> arguments) {
    public Action { arguments = arguments == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(arguments); }
}
