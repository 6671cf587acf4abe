package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.records.AnswerFormat;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.RegExp;
import dk.brics.automaton.RunAutomaton;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Guides for {@link Guide guided decoding}: a regular language compiled once to a minimal DFA
 * (dk.brics.automaton), walked token by token. A token may come next when every character of its
 * text keeps the DFA alive; an end token only in an accepting state. Masks are computed lazily per
 * DFA state and cached on the guide, so a state costs one pass over the vocabulary the first time
 * any row reaches it. Built from a regex ({@link #regex}), a list of choices, a JSON schema (the
 * subset below, compiled to a regex) or the project's answer ending ({@link #answerEnding}).
 *
 * <p>JSON schema subset: type object (every declared property, in order), array (items,
 * minItems/maxItems), string (enum, minLength/maxLength), integer, number, boolean, null; enum,
 * const, anyOf/oneOf. Other keywords that constrain values ({@code pattern}, {@code minimum}, {@code $ref}, ...)
 * are refused with a message rather than ignored, so a guided answer always validates.
 */
public final class Guides {
    /** {@code response_format} / {@code ChatRequest.schemaName} that asks for the answer ending instead of JSON. */
    public static final String ANSWER_GRAMMAR = dev.phronesis.llm.ChatRequest.ANSWER_GRAMMAR;
    /** Keywords that only describe (never constrain) a value. */
    private static final Set<String> DESCRIPTIVE = Set.of("title", "description", "examples", "default", "$schema", "$id",
            "additionalProperties", "required", "properties", "items", "type", "enum", "const", "anyOf", "oneOf",
            "minItems", "maxItems", "minLength", "maxLength", "strict", "$comment");
    /** Optional single space after {@code :} and {@code ,}: what models trained on pretty JSON write. */
    private static final String WS = "( )?";
    /** Digits a guided number may have (bounds the language so it cannot run away). */
    private static final int MAX_DIGITS = 15;

    private Guides() {}

    /** Token texts per tokenizer: [0] when the token starts the output, [1] when it follows another. */
    private static final Map<Tokenizer, String[][]> PIECES = new WeakHashMap<>();

    /** A guide for a dk.brics regular expression (see {@link RegExp}; {@code "..."} quotes, {@code @} is any string). */
    public static Guide regex(String regex, Tokenizer tok) {
        return new DfaGuide(compile(regex, RegExp.ANYSTRING), pieces(tok));
    }

    /** Exactly one of the given strings. */
    public static Guide choice(List<String> options, Tokenizer tok) {
        if (options.isEmpty()) throw new IllegalArgumentException("guided choice needs at least one option");
        List<String> alts = new ArrayList<>();
        for (String o : options) alts.add(literal(o));
        return regex(String.join("|", alts), tok);
    }

    /** A JSON text that validates against {@code schemaJson} (the subset in the class comment). */
    public static Guide jsonSchema(String schemaJson, Tokenizer tok) {
        JsonNode s;
        try {
            s = Json.MAPPER.readTree(schemaJson);
        } catch (Exception e) {
            throw new IllegalArgumentException("json_schema is not JSON: " + Json.oneLine(e));
        }
        return regex(schemaRegex(s, "$"), tok);
    }

    /**
     * The project's answer ending: any text (reasoning first), then {@code DECISION: <mode>} with one
     * of {@code modes}, then — when tools are offered — one {@code <tool_call>} naming an offered tool
     * with arguments valid for its parameter schema.
     *
     * @param tools tool name -> JSON schema of its parameters
     */
    public static Guide answerEnding(List<String> modes, Map<String, String> tools, Tokenizer tok) {
        return regex(answerEndingRegex(modes, tools, -1), tok);
    }

    /**
     * As {@link #answerEnding(List, Map, Tokenizer)} with at most {@code maxPreambleChars} characters
     * of text (reasoning included) before the ending, so a row with a token budget reaches the ending
     * inside it (-1 = unbounded).
     */
    public static Guide answerEnding(List<String> modes, Map<String, String> tools, int maxPreambleChars, Tokenizer tok) {
        if (maxPreambleChars < 0) return regex(answerEndingRegex(modes, tools, -1), tok);
        // keyed by the tokenizer's pieces, not its identity: every arm of an organism run loads its own copy of one vocabulary
        String key = modes + "\u0000" + tools + "\u0000" + maxPreambleChars + "\u0000" + tok.vocabSize() + ":" + java.util.Arrays.deepHashCode(pieces(tok));
        if (ANSWER_GUIDES.size() > 512) ANSWER_GUIDES.clear();
        // one compile per key even when many rows ask at once (eval sends a whole chunk of requests together)
        return ANSWER_GUIDES.computeIfAbsent(key, k -> compileAnswerEnding(modes, tools, maxPreambleChars, tok));
    }

    private static Guide compileAnswerEnding(List<String> modes, Map<String, String> tools, int maxPreambleChars, Tokenizer tok) {
        // A bounded repetition ((.|\n){0,N}) before the ending makes a DFA of N x ending states, built for
        // every request: far too slow. Instead the free text is unbounded but may not contain the
        // decision prefix or a call (so once the prefix appears the row is committed to the ending), and the bound is kept
        // by the cursor: past N characters of free text it switches to the ending alone.
        // nor a tool call: the scorer reads every call of the answer, so one in the free text would be a second action
        String free = "(~(@(" + literal(AnswerFormat.DECISION_PREFIX) + "|" + literal(AnswerFormat.CALL_OPEN) + ")@))";
        String ending = endingRegex(modes, tools);
        Guide open = new DfaGuide(compile("(" + free + literal("\n") + ")?" + ending, RegExp.ALL), pieces(tok));
        Guide closing = new DfaGuide(compile(ending, RegExp.ALL), pieces(tok));
        return new BoundedPreamble(open, closing, maxPreambleChars, pieces(tok));
    }

    /** Answer guides by (modes, tools, bound, tokenizer): eval asks for the same few tool sets hundreds of times. */
    private static final Map<String, Guide> ANSWER_GUIDES = new ConcurrentHashMap<>();

    /** {@code flags}: which dk.brics operators the text may use (users' regexes: {@code @} only; ours: also complement). */
    private static RunAutomaton compile(String regex, int flags) {
        Automaton a;
        try {
            a = new RegExp(regex, flags).toAutomaton();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("guided regex does not compile: " + e.getMessage());
        }
        a.minimize();
        return new RunAutomaton(a);
    }

    /** The decision line and, with tools, the call: the answer ending without the free text before it. */
    static String endingRegex(List<String> modes, Map<String, String> tools) {
        if (modes.isEmpty()) throw new IllegalArgumentException("the answer grammar needs at least one mode");
        List<String> m = new ArrayList<>();
        for (String mode : modes) m.add(literal(mode));
        String decision = literal(AnswerFormat.DECISION_PREFIX + " ") + "(" + String.join("|", m) + ")";
        return tools.isEmpty() ? decision : decision + literal("\n") + toolCallRegex(tools);
    }

    /**
     * Free text up to a bound, then the ending: walks {@code open} (free text that never contains the
     * decision prefix, then the ending) until the free text reaches {@code maxChars} characters outside a
     * started decision line; then continues with {@code closing} (the ending alone) after a forced line
     * break, so a row always reaches its ending inside the budget the bound was sized for.
     */
    private static final class BoundedPreamble implements Guide {
        private final Guide open, closing;
        private final int maxChars;
        private final String[][] pieces;
        private final String prefix = AnswerFormat.DECISION_PREFIX;

        BoundedPreamble(Guide open, Guide closing, int maxChars, String[][] pieces) {
            this.open = open;
            this.closing = closing;
            this.maxChars = maxChars;
            this.pieces = pieces;
        }

        @Override public Cursor start() {
            return new Cursor() {
                Cursor cur = open.start();
                boolean first = true, closed, committed;
                int chars;
                final StringBuilder line = new StringBuilder();

                /** Past the bound and not inside a decision line: only a line break may come, then the ending. */
                boolean mustBreak() { return !closed && !committed && chars >= maxChars && !startingDecision(); }

                /** The current line is a beginning of the decision prefix: let it finish (the open guide holds it to the ending). */
                boolean startingDecision() { return !line.isEmpty() && prefix.startsWith(line.toString()); }

                @Override public BitSet allowed() {
                    if (!mustBreak()) return cur.allowed();
                    if (line.isEmpty()) { switchToClosing(); return cur.allowed(); }
                    BitSet b = new BitSet();
                    String[] texts = pieces[first ? 0 : 1];
                    for (int t = 0; t < texts.length; t++) if ("\n".equals(texts[t])) b.set(t);
                    if (b.isEmpty()) { switchToClosing(); return cur.allowed(); } // no bare line-break token: start the ending here
                    return b;
                }

                void switchToClosing() {
                    cur = closing.start();
                    closed = true;
                }

                @Override public boolean mayEnd() { return !mustBreak() && cur.mayEnd(); }
                @Override public boolean complete() { return !mustBreak() && cur.complete(); }

                @Override public void advance(int token) {
                    String[] texts = pieces[first ? 0 : 1];
                    String t = token < texts.length ? texts[token] : null;
                    first = false;
                    if (mustBreak() && "\n".equals(t)) { switchToClosing(); line.setLength(0); return; }
                    cur.advance(token);
                    if (t == null || closed) return;
                    for (int i = 0; i < t.length(); i++) {
                        char c = t.charAt(i);
                        if (c == '\n') line.setLength(0); else line.append(c);
                        if (!committed && line.length() >= prefix.length() && line.indexOf(prefix) == 0) committed = true;
                    }
                    chars += t.length();
                }
            };
        }
    }

    static String answerEndingRegex(List<String> modes, Map<String, String> tools) {
        return answerEndingRegex(modes, tools, -1);
    }

    static String answerEndingRegex(List<String> modes, Map<String, String> tools, int maxPreambleChars) {
        if (modes.isEmpty()) throw new IllegalArgumentException("the answer grammar needs at least one mode");
        String free = maxPreambleChars < 0 ? "@" : "(.|\n){0," + maxPreambleChars + "}";
        List<String> m = new ArrayList<>();
        for (String mode : modes) m.add(literal(mode));
        String decision = literal(AnswerFormat.DECISION_PREFIX + " ") + "(" + String.join("|", m) + ")";
        if (tools.isEmpty()) return "(" + free + literal("\n") + ")?" + decision;
        String ending = decision + literal("\n") + toolCallRegex(tools);
        return "(" + free + literal("\n") + ")?" + ending;
    }

    /** One {@code <tool_call>{"name": N, "arguments": A}</tool_call>} naming one of {@code tools} with arguments valid for its schema. */
    /** Set while a tool call's arguments are compiled (their strings exclude markup). */
    private static final ThreadLocal<Boolean> IN_CALL = ThreadLocal.withInitial(() -> false);

    public static String toolCallRegex(Map<String, String> tools) {
        boolean outer = IN_CALL.get();
        IN_CALL.set(true);
        try {
            return toolCallRegexInCall(tools);
        } finally {
            IN_CALL.set(outer);
        }
    }

    private static String toolCallRegexInCall(Map<String, String> tools) {
        if (tools.isEmpty()) throw new IllegalArgumentException("a tool call needs at least one tool");
        List<String> calls = new ArrayList<>();
        for (var t : tools.entrySet()) {
            JsonNode params;
            try {
                params = Json.MAPPER.readTree(t.getValue());
            } catch (Exception e) {
                throw new IllegalArgumentException("tool '" + t.getKey() + "': parameters are not JSON");
            }
            calls.add(literal("{\"name\":") + WS + literal(Json.MAPPER.valueToTree(t.getKey()).toString()) + literal(",") + WS
                    + literal("\"arguments\":") + WS + schemaRegex(params, "tools." + t.getKey()) + literal("}"));
        }
        return literal(AnswerFormat.CALL_OPEN) + "(" + String.join("|", calls) + ")" + literal(AnswerFormat.CALL_CLOSE);
    }

    /**
     * The guide a request's schema asks for: {@link #ANSWER_GRAMMAR} with
     * {@code {"modes": [...], "tools": {name: parameters-schema}, "max_preamble_chars": N}}, else a JSON schema.
     */
    public static Guide forSchema(String name, String schemaJson, Tokenizer tok) {
        if (!ANSWER_GRAMMAR.equals(name)) return jsonSchema(schemaJson, tok);
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(schemaJson);
        } catch (Exception e) {
            throw new IllegalArgumentException(ANSWER_GRAMMAR + " options are not JSON: " + Json.oneLine(e));
        }
        List<String> modes = new ArrayList<>();
        n.path("modes").forEach(x -> modes.add(x.asText()));
        Map<String, String> tools = new java.util.LinkedHashMap<>();
        n.path("tools").properties().forEach(e -> tools.put(e.getKey(), e.getValue().toString()));
        return answerEnding(modes, tools, n.path("max_preamble_chars").asInt(-1), tok);
    }

    /** The regex of JSON texts valid for schema {@code s} at {@code path}. */
    static String schemaRegex(JsonNode s, String path) {
        if (s.isBoolean() && s.asBoolean()) throw new IllegalArgumentException(path + ": schema 'true' (any value) is not supported by guided decoding");
        if (!s.isObject()) throw new IllegalArgumentException(path + ": a schema must be an object");
        for (var it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!DESCRIPTIVE.contains(k)) throw new IllegalArgumentException(path + ": json_schema keyword '" + k + "' is not supported by guided decoding");
        }
        if (s.has("const")) return literal(s.get("const").toString());
        if (s.has("enum")) {
            List<String> alts = new ArrayList<>();
            for (JsonNode v : s.get("enum")) alts.add(literal(v.toString()));
            if (alts.isEmpty()) throw new IllegalArgumentException(path + ".enum: needs at least one value");
            return "(" + String.join("|", alts) + ")";
        }
        for (String k : List.of("anyOf", "oneOf")) {
            if (s.has(k)) {
                List<String> alts = new ArrayList<>();
                int i = 0;
                for (JsonNode v : s.get(k)) alts.add(schemaRegex(v, path + "." + k + "[" + i++ + "]"));
                return "(" + String.join("|", alts) + ")";
            }
        }
        JsonNode type = s.path("type");
        if (type.isArray()) {
            List<String> alts = new ArrayList<>();
            for (JsonNode t : type) alts.add(typeRegex(s, t.asText(), path));
            return "(" + String.join("|", alts) + ")";
        }
        if (!type.isTextual()) throw new IllegalArgumentException(path + ": needs 'type' (or enum / const / anyOf)");
        return typeRegex(s, type.asText(), path);
    }

    private static String typeRegex(JsonNode s, String type, String path) {
        return switch (type) {
            case "object" -> {
                List<String> parts = new ArrayList<>();
                s.path("properties").properties().forEach(e -> parts.add(
                        literal(Json.MAPPER.valueToTree(e.getKey()).toString() + ":") + WS + schemaRegex(e.getValue(), path + "." + e.getKey())));
                yield parts.isEmpty() ? literal("{}") : literal("{") + String.join(literal(",") + WS, parts) + literal("}");
            }
            case "array" -> {
                String item = s.has("items") ? schemaRegex(s.get("items"), path + "[]") : null;
                if (item == null) throw new IllegalArgumentException(path + ": an array needs 'items'");
                int min = s.path("minItems").asInt(0);
                int max = s.has("maxItems") ? s.get("maxItems").asInt() : -1;
                if (min < 0 || (max >= 0 && max < min)) throw new IllegalArgumentException(path + ": minItems/maxItems out of order");
                String more = "(" + literal(",") + WS + item + ")";
                String list;
                if (max == 0) list = "";
                else {
                    String reps = max < 0 ? "{" + Math.max(0, min - 1) + ",}" : "{" + Math.max(0, min - 1) + "," + (max - 1) + "}";
                    list = item + more + reps;
                    if (min == 0) list = "(" + list + ")?";
                }
                yield literal("[") + list + literal("]");
            }
            case "string" -> {
                int min = s.path("minLength").asInt(0);
                String reps = s.has("maxLength") ? "{" + min + "," + s.get("maxLength").asInt() + "}" : "{" + min + ",}";
                // inside a tool call a string may not hold '<': the call's closing tag could not be found otherwise
                yield literal("\"") + (IN_CALL.get() ? "([^\\\"\\\\<\u0000-\u001f]|\\\\[\\\"\\\\/bfnrt])" : "([^\\\"\\\\\u0000-\u001f]|\\\\[\\\"\\\\/bfnrt])") + reps + literal("\"");
            }
            case "integer" -> "(\\-)?(0|[1-9][0-9]{0," + (MAX_DIGITS - 1) + "})";
            case "number" -> "(\\-)?(0|[1-9][0-9]{0," + (MAX_DIGITS - 1) + "})(\\.[0-9]{1," + MAX_DIGITS + "})?([eE][+\\-]?[0-9]{1,3})?";
            case "boolean" -> "(true|false)";
            case "null" -> "null";
            default -> throw new IllegalArgumentException(path + ": unknown type '" + type + "'");
        };
    }

    /** A regex matching exactly {@code s} (every character escaped). */
    static String literal(String s) {
        StringBuilder b = new StringBuilder(s.length() * 2);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isLetterOrDigit(c)) b.append('\\');
            b.append(c);
        }
        return b.length() == 0 ? "()" : "(" + b + ")";
    }

    /** Token id -> its text at the start of the output and after another token; null for tokens that are not whole characters. */
    private static String[][] pieces(Tokenizer tok) {
        synchronized (PIECES) {
            String[][] p = PIECES.get(tok);
            if (p != null) return p;
        }
        int v = tok.vocabSize();
        int[] anchor = tok.encode("a");
        String anchorText = anchor.length == 1 ? tok.decode(anchor) : null;
        String[] first = new String[v], next = new String[v];
        for (int t = 0; t < v; t++) {
            String f = tok.decode(new int[]{t});
            first[t] = f.isEmpty() || f.indexOf('\uFFFD') >= 0 ? null : f;
            if (anchorText == null) { next[t] = first[t]; continue; }
            String both = tok.decode(new int[]{anchor[0], t});
            next[t] = both.startsWith(anchorText) && both.length() > anchorText.length() && both.indexOf('\uFFFD') < 0
                    ? both.substring(anchorText.length()) : null;
        }
        String[][] p = {first, next};
        synchronized (PIECES) {
            PIECES.put(tok, p);
        }
        return p;
    }

    /** A DFA walked by token texts, with the allowed-token mask cached per (state, first-token?) pair. */
    private static final class DfaGuide implements Guide {
        private final RunAutomaton dfa;
        private final String[][] pieces;
        private final boolean[] complete; // accepting with no way on
        private final Map<Integer, BitSet> masks = new ConcurrentHashMap<>();

        DfaGuide(RunAutomaton dfa, String[][] pieces) {
            this.dfa = dfa;
            this.pieces = pieces;
            this.complete = new boolean[dfa.getSize()];
            char[] starts = dfa.getCharIntervals();
            for (int s = 0; s < dfa.getSize(); s++) {
                boolean out = false;
                for (char c : starts) if (dfa.step(s, c) >= 0) { out = true; break; }
                complete[s] = dfa.isAccept(s) && !out;
            }
        }

        /** Where the DFA ends after {@code text} from {@code state}, or -1 when it dies. */
        int walk(int state, String text) {
            for (int i = 0; i < text.length() && state >= 0; i++) state = dfa.step(state, text.charAt(i));
            return state;
        }

        BitSet mask(int state, boolean first) {
            return masks.computeIfAbsent(state * 2 + (first ? 1 : 0), k -> {
                String[] texts = pieces[first ? 0 : 1];
                BitSet b = new BitSet(texts.length);
                for (int t = 0; t < texts.length; t++) if (texts[t] != null && walk(state, texts[t]) >= 0) b.set(t);
                return b;
            });
        }

        @Override public Cursor start() {
            return new Cursor() {
                int state = dfa.getInitialState();
                boolean first = true;

                @Override public BitSet allowed() { return state < 0 ? new BitSet() : mask(state, first); }
                @Override public boolean mayEnd() { return state >= 0 && dfa.isAccept(state); }
                @Override public boolean complete() { return state < 0 || complete[state]; }
                @Override public void advance(int token) {
                    String[] texts = pieces[first ? 0 : 1];
                    String t = token < texts.length ? texts[token] : null;
                    state = t == null ? -1 : walk(state, t);
                    first = false;
                }
            };
        }
    }
}
