package dev.phronesis.core.records;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Immutable maps that iterate in key order. {@code Map.copyOf} iterates in an order that changes
 * from one JVM to the next, which made the same seed render tool calls, narratives and JSON
 * differently in two processes; every map in a record goes through here instead.
 */
public final class SortedMaps {
    private SortedMaps() {}

    public static <V> Map<String, V> copyOf(Map<String, V> m) {
        if (m == null || m.isEmpty()) return Map.of();
        return Collections.unmodifiableMap(new TreeMap<>(m));
    }
}
