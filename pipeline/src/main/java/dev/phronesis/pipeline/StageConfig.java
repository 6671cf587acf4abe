package dev.phronesis.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.records.Jsonl;

import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Builds a stage's canonical config ({@link Stage#config()}): named plain values, and option
 * records flattened to one entry per field so that `phronesis status` names the field that changed.
 */
public final class StageConfig {
    private final TreeMap<String, Object> values = new TreeMap<>();

    public static StageConfig create() { return new StageConfig(); }

    public StageConfig put(String field, Object value) {
        values.put(field, value == null ? "" : value);
        return this;
    }

    public StageConfig putAll(String prefix, Map<String, ?> m) {
        m.forEach((k, v) -> put(prefix + "." + k, v));
        return this;
    }

    /**
     * Every field of {@code options} (a record or anything Jackson writes as an object) as
     * {@code prefix.field}, except {@code leftOut}: the knobs that cannot change the result.
     */
    public StageConfig record(String prefix, Object options, String... leftOut) {
        JsonNode n = Jsonl.MAPPER.valueToTree(options);
        Set<String> skip = Set.of(leftOut);
        for (var e : n.properties()) if (!skip.contains(e.getKey())) values.put(prefix + "." + e.getKey(), e.getValue());
        return this;
    }

    public SortedMap<String, Object> build() { return new TreeMap<>(values); }
}
