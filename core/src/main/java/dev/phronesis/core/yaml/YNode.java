package dev.phronesis.core.yaml;

import java.util.List;
import java.util.Map;

/**
 * A YAML node that remembers where it came from (1-based line and column), so every validation
 * message can point at the exact spot. Built from SnakeYAML's node graph by {@link YamlDocs}.
 */
public sealed interface YNode permits YNode.Scalar, YNode.Seq, YNode.Map {
    int line();
    int column();

    /** A short name for the kind of node, used in messages ("a mapping", "a list", "a value"). */
    String kind();

    record Scalar(String value, boolean plain, int line, int column) implements YNode {
        @Override public String kind() { return "a value"; }
        /** True for an explicit null ({@code ~}, {@code null} or empty). */
        public boolean isNull() { return plain && (value.isEmpty() || value.equals("~") || value.equals("null")); }
    }

    record Seq(List<YNode> items, int line, int column) implements YNode {
        @Override public String kind() { return "a list"; }
    }

    /** A mapping with string keys in file order; {@code keys} keeps each key's own position. */
    record Map(java.util.Map<String, YNode> entries, java.util.Map<String, Scalar> keys, int line, int column) implements YNode {
        @Override public String kind() { return "a mapping"; }
    }

    static String describe(YNode n) { return n == null ? "nothing" : n.kind(); }

}
