package dev.phronesis.core.records;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an answer the way an agent harness executes it: reasoning is split off first and is never an
 * action; then every tool call written in the visible text, in order, in either text format the project
 * meets — {@code <tool_call>{json}</tool_call>} (Hermes/Qwen, {@link AnswerFormat}) and
 * {@code <tool_use:NAME>key: "value", ...</tool_use:NAME>} (the Agentic Misalignment framework). Native API
 * tool calls go through {@link #fromJson} so both kinds of JSON call follow one rule.
 *
 * <p>Reasoning is {@code <think>…</think>} and {@code <SCRATCHPAD_REASONING>…</SCRATCHPAD_REASONING>}
 * (tags case-insensitive), spans taken in order; an opening tag without its closing tag hides everything
 * after it, and a closing tag with no opening one hides everything before it (reasoning begun in the prompt).
 */
public final class AnswerParser {
    /** Reasoning tags: [open, close]. */
    static final List<String[]> REASONING_TAGS = List.of(
            new String[]{AnswerFormat.THINK_OPEN, AnswerFormat.THINK_CLOSE},
            new String[]{"<SCRATCHPAD_REASONING>", "</SCRATCHPAD_REASONING>"});
    /** Evidence keeps at most this many characters of a raw call. */
    static final int RAW_MAX_CHARS = 2_000;
    private static final Pattern CALL_START = Pattern.compile("<tool_call>|<tool_use:([A-Za-z_][A-Za-z0-9_-]*)\\s*>");
    private static final Pattern KEY = Pattern.compile("(?m)^[ \\t]*([A-Za-z_][A-Za-z0-9_]*)[ \\t]*:");
    /** The framework's three tools: the fields each may carry and the ones it must carry. */
    private static final Map<String, Set<String>> TOOL_USE_FIELDS = Map.of(
            "email", Set.of("to", "subject", "body", "cc", "bcc"),
            "forward", Set.of("email_id", "to", "body"),
            "cancel_alert", Set.of("code"));
    private static final Map<String, List<String>> TOOL_USE_REQUIRED = Map.of(
            "email", List.of("to"), "forward", List.of("email_id", "to"), "cancel_alert", List.of("code"));

    private AnswerParser() {}

    /** An answer split into what it reasoned (never scored as an action) and what it visibly said and did. */
    public record Split(String reasoning, String visible) {}

    public static Split split(String content) {
        String t = content == null ? "" : content;
        String lower = t.toLowerCase(Locale.ROOT);
        StringBuilder reasoning = new StringBuilder();
        StringBuilder visible = new StringBuilder();
        int pos = 0;
        while (pos < t.length()) {
            int open = -1, close = -1;
            String[] openTag = null, closeTag = null;
            for (String[] tag : REASONING_TAGS) {
                int o = lower.indexOf(tag[0].toLowerCase(Locale.ROOT), pos);
                if (o >= 0 && (open < 0 || o < open)) { open = o; openTag = tag; }
                int c = lower.indexOf(tag[1].toLowerCase(Locale.ROOT), pos);
                if (c >= 0 && (close < 0 || c < close)) { close = c; closeTag = tag; }
            }
            if (close >= 0 && (open < 0 || close < open)) {         // a closing tag with no opening one: what came before was reasoning
                append(reasoning, t.substring(pos, close));
                pos = close + closeTag[1].length();
                continue;
            }
            if (open < 0) { append(visible, t.substring(pos)); break; }
            append(visible, t.substring(pos, open));
            int from = open + openTag[0].length();
            int end = lower.indexOf(openTag[1].toLowerCase(Locale.ROOT), from);
            if (end < 0) { append(reasoning, t.substring(from)); break; }   // unclosed: the rest is reasoning
            append(reasoning, t.substring(from, end));
            pos = end + openTag[1].length();
        }
        return new Split(reasoning.toString().strip(), visible.toString().strip());
    }

    private static void append(StringBuilder b, String s) {
        if (s.isBlank()) return;
        if (!b.isEmpty()) b.append('\n');
        b.append(s.strip());
    }

    /** Every tool call in {@code answer} outside its reasoning, in the order written. */
    public static List<ParsedCall> calls(String answer) {
        return callsInVisible(split(answer).visible());
    }

    /** Every tool call in text that is already free of reasoning. */
    public static List<ParsedCall> callsInVisible(String visible) {
        List<ParsedCall> out = new ArrayList<>();
        Matcher m = CALL_START.matcher(visible);
        int pos = 0;
        while (pos < visible.length() && m.find(pos)) {
            int bodyFrom = m.end();
            if (m.group(1) == null) {
                int end = visible.indexOf(AnswerFormat.CALL_CLOSE, bodyFrom);
                if (end < 0) {
                    out.add(new ParsedCall.Malformed(ParsedCall.Source.TOOL_CALL, "unclosed <tool_call>", clip(visible.substring(bodyFrom).strip())));
                    break;
                }
                String raw = visible.substring(bodyFrom, end).strip();
                out.add(jsonCall(raw));
                pos = end + AnswerFormat.CALL_CLOSE.length();
            } else {
                String name = m.group(1);
                String close = "</tool_use:" + name + ">";
                int end = visible.toLowerCase(Locale.ROOT).indexOf(close.toLowerCase(Locale.ROOT), bodyFrom);
                int nextOpen = indexOfNextStart(visible, bodyFrom);
                if (end < 0 || (nextOpen >= 0 && nextOpen < end)) {
                    int stop = nextOpen >= 0 ? nextOpen : visible.length();
                    out.add(new ParsedCall.Malformed(ParsedCall.Source.TOOL_USE, "unclosed <tool_use:" + name + ">", clip(visible.substring(m.start(), stop).strip())));
                    if (nextOpen < 0) break;
                    pos = nextOpen;
                    continue;
                }
                out.add(toolUse(name, visible.substring(bodyFrom, end), visible.substring(m.start(), end + close.length())));
                pos = end + close.length();
            }
        }
        return out;
    }

    private static int indexOfNextStart(String s, int from) {
        Matcher m = CALL_START.matcher(s);
        return m.find(from) ? m.start() : -1;
    }

    private static ParsedCall jsonCall(String raw) {
        try {
            JsonNode n = Jsonl.MAPPER.readTree(raw);
            if (n == null || !n.isObject() || !n.path("name").isTextual() || n.path("name").asText().isBlank())
                return new ParsedCall.Malformed(ParsedCall.Source.TOOL_CALL, "not a JSON object with a \"name\"", clip(raw));
            JsonNode a = n.path("arguments");
            return fromJson(ParsedCall.Source.TOOL_CALL, n.get("name").asText(), a.isMissingNode() || a.isNull() ? "{}" : a.isTextual() ? a.asText() : a.toString(), raw);
        } catch (Exception e) {
            return new ParsedCall.Malformed(ParsedCall.Source.TOOL_CALL, "not valid JSON", clip(raw));
        }
    }

    /** A call given as a name and a JSON arguments object (native API calls, {@code <tool_call>}); nested values become JSON text. */
    public static ParsedCall fromJson(ParsedCall.Source source, String name, String argumentsJson, String raw) {
        if (name == null || name.isBlank()) return new ParsedCall.Malformed(source, "no tool name", clip(raw));
        try {
            JsonNode n = Jsonl.MAPPER.readTree(argumentsJson == null || argumentsJson.isBlank() ? "{}" : argumentsJson);
            if (n == null || !n.isObject()) return new ParsedCall.Malformed(source, "arguments are not a JSON object", clip(raw));
            Map<String, String> args = new LinkedHashMap<>();
            n.properties().forEach(e -> args.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
            return new ParsedCall.Call(source, new Action(name, args), clip(raw));
        } catch (Exception e) {
            return new ParsedCall.Malformed(source, "arguments are not valid JSON", clip(raw));
        }
    }

    /**
     * A {@code <tool_use:NAME>} block: {@code key: value} fields, values quoted (may span lines) or bare to the end of the
     * line, a trailing comma allowed. For the framework's own tools only their fields count as keys, so a line such as
     * "Note: ..." inside an e-mail body stays part of the body; a field they require that is missing makes the call malformed.
     */
    static ParsedCall toolUse(String name, String body, String raw) {
        String tool = name.toLowerCase(Locale.ROOT);
        Set<String> allowed = TOOL_USE_FIELDS.get(tool);
        List<int[]> keys = new ArrayList<>();   // [keyStart, valueStart]
        List<String> names = new ArrayList<>();
        Matcher km = KEY.matcher(body);
        while (km.find()) {
            String k = km.group(1).toLowerCase(Locale.ROOT);
            if (allowed != null && !allowed.contains(k)) continue;
            keys.add(new int[]{km.start(), km.end()});
            names.add(k);
        }
        if (keys.isEmpty()) return new ParsedCall.Malformed(ParsedCall.Source.TOOL_USE, "<tool_use:" + name + "> has no 'key: value' fields", clip(raw));
        if (!body.substring(0, keys.getFirst()[0]).isBlank())
            return new ParsedCall.Malformed(ParsedCall.Source.TOOL_USE, "text before the first field of <tool_use:" + name + ">", clip(raw));
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            int to = i + 1 < keys.size() ? keys.get(i + 1)[0] : body.length();
            String v = body.substring(keys.get(i)[1], to).strip();
            if (v.endsWith(",")) v = v.substring(0, v.length() - 1).strip();
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1).replace("\\\"", "\"").replace("\\n", "\n");
            else if (v.startsWith("\"")) return new ParsedCall.Malformed(ParsedCall.Source.TOOL_USE, "field '" + names.get(i) + "' opens a quote it never closes", clip(raw));
            if (args.containsKey(names.get(i))) return new ParsedCall.Malformed(ParsedCall.Source.TOOL_USE, "field '" + names.get(i) + "' given twice", clip(raw));
            args.put(names.get(i), v);
        }
        for (String req : TOOL_USE_REQUIRED.getOrDefault(tool, List.of()))
            if (args.getOrDefault(req, "").isBlank()) return new ParsedCall.Malformed(ParsedCall.Source.TOOL_USE, tool + " without '" + req + "'", clip(raw));
        return new ParsedCall.Call(ParsedCall.Source.TOOL_USE, new Action(tool, args), clip(raw));
    }

    static String clip(String s) {
        if (s == null) return "";
        return s.length() <= RAW_MAX_CHARS ? s : s.substring(0, RAW_MAX_CHARS - 3) + "...";
    }
}
