package dev.phronesis.core.yaml;

import dev.phronesis.core.UserError;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/** Reads a YAML file into position-carrying {@link YNode}s; syntax errors become one-line {@link UserError}s. */
public final class YamlDocs {
    /** Aliases make documents explode in size; a constitution has no use for many. */
    private static final int MAX_ALIASES = 50;
    /** Bounded nesting keeps fuzzed inputs from overflowing the stack. */
    private static final int MAX_DEPTH = 64;

    private YamlDocs() {}

    public static String read(Path file) {
        return dev.phronesis.core.TextFiles.read(file);
    }

    /** Parses one YAML document; null for an empty document. */
    public static YNode parse(String fileName, String text) {
        LoaderOptions opts = new LoaderOptions();
        opts.setMaxAliasesForCollections(MAX_ALIASES);
        opts.setAllowDuplicateKeys(true); // we report duplicates ourselves, with positions
        opts.setNestingDepthLimit(MAX_DEPTH);
        opts.setCodePointLimit(16 * 1024 * 1024);
        Node root;
        try {
            root = new Yaml(opts).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            String where = m == null ? fileName : fileName + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1);
            throw new UserError(where + ": YAML syntax error: " + oneLine(problem) + hint(problem));
        } catch (YAMLException e) {
            throw new UserError(fileName + ": YAML error: " + oneLine(e.getMessage()));
        } catch (StackOverflowError e) {
            throw new UserError(fileName + ": YAML nested too deeply");
        }
        if (root == null) return null;
        YamlProblems dup = new YamlProblems(fileName);
        YNode out = convert(root, dup, 0);
        dup.throwIfAny("file");
        return out;
    }

    private static String hint(String problem) {
        if (problem == null) return "";
        if (problem.contains("TAB") || problem.contains("'\\t'")) return " (hint: indent with spaces, not tabs)";
        if (problem.contains("mapping values are not allowed")) return " (hint: quote text that contains ': ')";
        return "";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    private static YNode convert(Node n, YamlProblems problems, int depth) {
        int line = n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
        int col = n.getStartMark() == null ? 0 : n.getStartMark().getColumn() + 1;
        if (depth > MAX_DEPTH) {
            problems.add(line, col, "nested too deeply");
            return new YNode.Scalar("", true, line, col);
        }
        return switch (n) {
            case ScalarNode s -> new YNode.Scalar(s.getValue(), s.isPlain(), line, col);
            case SequenceNode s -> {
                List<YNode> items = new ArrayList<>();
                for (Node c : s.getValue()) items.add(convert(c, problems, depth + 1));
                yield new YNode.Seq(List.copyOf(items), line, col);
            }
            case MappingNode m -> {
                LinkedHashMap<String, YNode> entries = new LinkedHashMap<>();
                LinkedHashMap<String, YNode.Scalar> keys = new LinkedHashMap<>();
                for (NodeTuple t : m.getValue()) {
                    YNode k = convert(t.getKeyNode(), problems, depth + 1);
                    if (!(k instanceof YNode.Scalar ks)) {
                        problems.add(k, "a key must be a plain name, found " + k.kind());
                        continue;
                    }
                    if (keys.containsKey(ks.value())) {
                        YNode.Scalar first = keys.get(ks.value());
                        problems.add(ks, "duplicate key '" + ks.value() + "' (first at line " + first.line() + ")");
                        continue;
                    }
                    keys.put(ks.value(), ks);
                    entries.put(ks.value(), convert(t.getValueNode(), problems, depth + 1));
                }
                yield new YNode.Map(java.util.Collections.unmodifiableMap(entries), java.util.Collections.unmodifiableMap(keys), line, col);
            }
            default -> {
                problems.add(line, col, "unsupported YAML node");
                yield new YNode.Scalar("", true, line, col);
            }
        };
    }
}
