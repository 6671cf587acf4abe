package dev.phronesis.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One line of a human labels file ({@code LABELS.jsonl}, schemas/labels.schema.json): a person's label for one
 * answer of an eval run, named as in {@code results.jsonl}. Written by any tool (the studio, a spreadsheet export),
 * read by {@code phronesis eval calibrate}.
 *
 * @param sample  the sample index; 0 when the line omits it
 * @param labeler who labelled, or null
 * @param at      when (ISO-8601 text), or null
 * @param note    why, or null
 */
public record HumanLabel(String suite, String item, int sample, Label label, String labeler, String at, String note) {
    static final Set<String> FIELDS = Set.of("suite", "item", "sample", "label", "labeler", "at", "note");

    public HumanLabel {
        Objects.requireNonNull(suite, "suite");
        Objects.requireNonNull(item, "item");
        Objects.requireNonNull(label, "label");
        if (sample < 0) throw new IllegalArgumentException("sample must be >= 0, got " + sample);
    }

    public String key() { return EvalResult.key(suite, item, sample); }

    /** This label as one line of a labels file. */
    public String toJsonLine() { return Jsonl.toJson(this); }

    /**
     * Reads a labels file; a bad line is a {@link UserError} naming file, line and field. When several lines name the
     * same answer the last wins (in the order of those last lines).
     */
    public static List<HumanLabel> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + Suites.firstLine(e.getMessage()));
        }
        Map<String, HumanLabel> byKey = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            String at = file + ":" + (i + 1);
            JsonNode n;
            try {
                n = Jsonl.MAPPER.readTree(line);
            } catch (IOException e) {
                throw new UserError(at + ": not valid JSON: " + Suites.firstLine(e.getMessage()));
            }
            if (n == null || !n.isObject()) throw new UserError(at + ": expected one JSON object per line");
            for (var it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!FIELDS.contains(f)) throw new UserError(at + ": unknown field '" + f + "'" + dev.phronesis.core.yaml.YMapReader.didYouMean(f, FIELDS)
                        + " (fields: suite, item, sample, label, labeler, at, note)");
            }
            String suite = text(n, "suite", at, true);
            String item = text(n, "item", at, true);
            int sample = 0;
            if (n.has("sample")) {
                if (!n.get("sample").canConvertToInt() || !n.get("sample").isIntegralNumber() || n.get("sample").asInt() < 0)
                    throw new UserError(at + ": field 'sample' must be an integer >= 0, got " + n.get("sample"));
                sample = n.get("sample").asInt();
            }
            Label label;
            try {
                label = Label.parse(text(n, "label", at, true));
            } catch (IllegalArgumentException e) {
                throw new UserError(at + ": field 'label': " + e.getMessage());
            }
            HumanLabel h = new HumanLabel(suite, item, sample, label, text(n, "labeler", at, false), text(n, "at", at, false), text(n, "note", at, false));
            byKey.remove(h.key());
            byKey.put(h.key(), h);
        }
        return new ArrayList<>(byKey.values());
    }

    private static String text(JsonNode n, String field, String at, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) throw new UserError(at + ": missing required field '" + field + "'");
            return null;
        }
        if (!v.isTextual()) throw new UserError(at + ": field '" + field + "' must be a string, got " + v);
        if (required && v.asText().isBlank()) throw new UserError(at + ": field '" + field + "' must not be empty");
        return v.asText();
    }

    /** Appends labels to a file, one line each (for tools that write labels from Java). */
    public static void append(Path file, List<HumanLabel> labels) {
        try (Jsonl.Appender out = new Jsonl.Appender(file)) {
            for (HumanLabel h : labels) out.append(h);
        }
    }
}
