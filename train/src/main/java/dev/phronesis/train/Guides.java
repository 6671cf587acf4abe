package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.records.AnswerFormat;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.BasicOperations;
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
 * Guides for {@link Guide guided decoding}: a regular language compiled once to a DFA
 * (dk.brics.automaton), walked token by token. A token may come next when every character of its
 * text keeps the DFA alive; an end token only in an accepting state. Masks are computed lazily per
 * DFA state and cached on the guide, so a state costs one pass over the vocabulary the first time
 * any row reaches it. Built from a regex ({@link #regex}), a list of choices, a JSON schema (the
 * subset below, built as an automaton) or the project's answer ending ({@link #answerEnding}).
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
    private static final Automaton WS = BasicAutomata.makeChar(' ').optional();
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
        List<Automaton> alts = new ArrayList<>();
        for (String o : options) alts.add(BasicAutomata.makeString(o));
        return new DfaGuide(run(BasicOperations.union(alts)), pieces(tok));
    }

    /** A JSON text that validates against {@code schemaJson} (the subset in the class comment). */
    public static Guide jsonSchema(String schemaJson, Tokenizer tok) {
        JsonNode s;
        try {
            s = Json.MAPPER.readTree(schemaJson);
        } catch (Exception e) {
            throw new IllegalArgumentException("json_schema is not JSON: " + Json.oneLine(e));
        }
        return new DfaGuide(run(schema(s, "$", false)), pieces(tok));
    }

    /**
     * The project's answer ending: any text (reasoning first), then {@code DECISION: <mode>} with one
     * of {@code modes}, then — when tools are offered — one {@code <tool_call>} naming an offered tool
     * with arguments valid for its parameter schema.
     *
     * @param tools tool name -> JSON schema of its parameters
     */
    public static Guide answerEnding(List<String> modes, Map<String, String> tools, Tokenizer tok) {
        return new DfaGuide(run(answerEndingAutomaton(modes, tools)), pieces(tok));
    }

    /**
     * As {@link #answerEnding(List, Map, Tokenizer)} with at most {@code maxPreambleChars} characters
     * of text (reasoning included) before the ending, so a row with a token budget reaches the ending
     * inside it (-1 = unbounded).
     */
    public static Guide answerEnding(List<String> modes, Map<String, String> tools, int maxPreambleChars, Tokenizer tok) {
        return answerEnding(modes, tools, maxPreambleChars, -1, tok);
    }

    /**
     * As {@link #answerEnding(List, Map, int, Tokenizer)}, and no string in the call longer than
     * {@code maxStringChars} characters (-1 = as the schemas say): a run-on string would never reach the
     * call's end. Kept by the cursor, not the DFA, which a bounded repetition per string would multiply.
     */
    public static Guide answerEnding(List<String> modes, Map<String, String> tools, int maxPreambleChars, int maxStringChars, Tokenizer tok) {
        return answerEnding(modes, tools, maxPreambleChars, -1, maxStringChars, tok);
    }

    /**
     * As {@link #answerEnding(List, Map, int, int, Tokenizer)}, the text before the ending bounded in
     * tokens ({@code maxPreambleTokens}, which wins when both are given) rather than characters: the unit
     * of a {@code max_tokens} budget. (A character bound sized at three per token cut the deliberation
     * arms' answers, about five characters per word token, before their reasoning had ended.)
     */
    public static Guide answerEnding(List<String> modes, Map<String, String> tools, int maxPreambleChars, int maxPreambleTokens, int maxStringChars,
                                     Tokenizer tok) {
        return answerEnding(modes, tools, maxPreambleChars, maxPreambleTokens, maxStringChars, false, tok);
    }

    /**
     * As {@link #answerEnding(List, Map, int, int, int, Tokenizer)}; with {@code thinkFirst} the answer must open with a
     * reasoning block ({@code <think>} … {@code </think>}, no decision line or call inside it) before any other text and the
     * ending: an eval condition that asks every arm alike to reason before it acts. Past the bound inside the block, the
     * block is closed first.
     */
    public static Guide answerEnding(List<String> modes, Map<String, String> tools, int maxPreambleChars, int maxPreambleTokens, int maxStringChars,
                                     boolean thinkFirst, Tokenizer tok) {
        Guide g;
        boolean inTokens = maxPreambleTokens >= 0;
        int bound = inTokens ? maxPreambleTokens : maxPreambleChars;
        if (bound < 0) g = thinkFirst ? new DfaGuide(run(cat(THINK_BLOCK, answerEndingAutomaton(modes, tools))), pieces(tok)) : answerEnding(modes, tools, tok);
        else {
            // keyed by the tokenizer's pieces, not its identity: every arm of an organism run loads its own copy of one vocabulary
            String key = modes + "\u0000" + tools + "\u0000" + bound + (inTokens ? "t" : "c") + (thinkFirst ? "T" : "") + "\u0000" + tok.vocabSize() + ":"
                    + java.util.Arrays.deepHashCode(pieces(tok));
            if (ANSWER_GUIDES.size() > 512) ANSWER_GUIDES.clear();
            // one compile per key even when many rows ask at once (eval sends a whole chunk of requests together)
            g = ANSWER_GUIDES.computeIfAbsent(key, k -> compileAnswerEnding(modes, tools, bound, inTokens, thinkFirst, tok));
        }
        return maxStringChars < 0 || tools.isEmpty() ? g : new StringCap(g, maxStringChars, pieces(tok));
    }

    /**
     * At most {@code max} characters in any JSON string after the call's opening tag: past that, only a
     * token that closes the string (within the bound) may come. Follows JSON's lexing (quotes, escapes).
     */
    private static final class StringCap implements Guide {
        private final Guide inner;
        private final int max;
        private final String[][] pieces;
        private final int longest; // the longest token text: closer than that to the bound, tokens are checked

        StringCap(Guide inner, int max, String[][] pieces) {
            this.inner = inner;
            this.max = max;
            this.pieces = pieces;
            int l = 0;
            for (String[] side : pieces) for (String t : side) if (t != null) l = Math.max(l, t.length());
            this.longest = l;
        }

        /** The lexer's state: after the call's opening tag? inside a string? after a backslash? characters so far. */
        private record Lex(int tagMatched, boolean inCall, boolean inString, boolean escape, int run) {
            static final Lex START = new Lex(0, false, false, false, 0);

            /** The state after {@code text}, or null when a string would pass {@code max} characters. */
            Lex after(String text, int max) {
                int tag = tagMatched, run = this.run;
                boolean call = inCall, str = inString, esc = escape;
                String open = AnswerFormat.CALL_OPEN;
                for (int i = 0; i < text.length(); i++) {
                    char c = text.charAt(i);
                    if (!call) {
                        tag = c == open.charAt(tag) ? tag + 1 : (c == open.charAt(0) ? 1 : 0);
                        if (tag == open.length()) call = true;
                    } else if (!str) {
                        if (c == '"') { str = true; run = 0; }
                    } else if (esc) { esc = false; run++; }
                    else if (c == '\\') { esc = true; run++; }
                    else if (c == '"') str = false;
                    else run++;
                    if (str && run > max) return null;
                }
                return new Lex(tag, call, str, esc, run);
            }
        }

        @Override public Cursor start() {
            return new Cursor() {
                final Cursor cur = inner.start();
                Lex lex = Lex.START;
                boolean first = true;

                @Override public BitSet allowed() {
                    BitSet b = cur.allowed();
                    if (!lex.inString() || lex.run() + longest <= max) return b; // no token is that long: nothing to check yet
                    BitSet out = (BitSet) b.clone();
                    String[] texts = pieces[first ? 0 : 1];
                    for (int t = out.nextSetBit(0); t >= 0; t = out.nextSetBit(t + 1))
                        if (texts[t] == null || lex.after(texts[t], max) == null) out.clear(t);
                    return out;
                }

                @Override public boolean mayEnd() { return cur.mayEnd(); }
                @Override public boolean complete() { return cur.complete(); }

                @Override public void advance(int token) {
                    String[] texts = pieces[first ? 0 : 1];
                    String t = token < texts.length ? texts[token] : null;
                    first = false;
                    cur.advance(token);
                    if (t != null) {
                        Lex next = lex.after(t, max);
                        lex = next == null ? new Lex(lex.tagMatched(), true, false, false, 0) : next;
                    }
                }
            };
        }
    }

    private static Guide compileAnswerEnding(List<String> modes, Map<String, String> tools, int maxPreamble, boolean inTokens, boolean thinkFirst, Tokenizer tok) {
        // A bounded repetition ((.|\n){0,N}) before the ending makes a DFA of N x ending states, built for
        // every request: far too slow. Instead the free text is unbounded but may not contain the
        // decision prefix or a call (so once the prefix appears the row is committed to the ending), and the bound is kept
        // by the cursor: past N characters of free text it switches to the ending alone.
        // nor a tool call: the scorer reads every call of the answer, so one in the free text would be a second action
        Automaton ending = ending(modes, tools);
        Automaton afterThink = cat(cat(FREE_TEXT, str("\n")).optional(), ending);
        Guide open = new DfaGuide(run(thinkFirst ? cat(THINK_BLOCK, afterThink) : afterThink), pieces(tok));
        Guide closing = new DfaGuide(run(ending), pieces(tok));
        Guide closingThink = new DfaGuide(run(cat(str(AnswerFormat.THINK_CLOSE), str("\n").optional(), ending)), pieces(tok));
        return new BoundedPreamble(open, closing, closingThink, maxPreamble, inTokens, thinkFirst, pieces(tok));
    }

    /**
     * Text whose every {@code <think>} is closed again: the ending may not start inside a reasoning
     * block, where the scorer (which never reads reasoning) would not see it — the first 3-seed run
     * found 38–53% of the deliberation arms' guided answers ending, unread, inside an unclosed think.
     */
    private static final Automaton THINK_CLOSED = new RegExp("~(@" + literal(AnswerFormat.THINK_OPEN) + "(~(@" + literal(AnswerFormat.THINK_CLOSE) + "@)))",
            RegExp.ALL).toAutomaton();

    /** Free text before the ending: anything without the decision prefix or a call's opening tag, its reasoning closed. */
    private static final Automaton FREE_TEXT = new RegExp("~(@(" + literal(AnswerFormat.DECISION_PREFIX) + "|" + literal(AnswerFormat.CALL_OPEN) + ")@)",
            RegExp.ALL).toAutomaton().intersection(THINK_CLOSED);

    /** A reasoning block first ({@code think_first}): {@code <think>}, text without think tags, a decision line or a call, {@code </think>}. */
    private static final Automaton THINK_BLOCK = cat(str(AnswerFormat.THINK_OPEN),
            new RegExp("~(@(" + literal(AnswerFormat.THINK_OPEN) + "|" + literal(AnswerFormat.THINK_CLOSE) + "|" + literal(AnswerFormat.DECISION_PREFIX) + "|"
                    + literal(AnswerFormat.CALL_OPEN) + ")@)", RegExp.ALL).toAutomaton(), str(AnswerFormat.THINK_CLOSE));

    /** Answer guides by (modes, tools, bound, tokenizer): eval asks for the same few tool sets hundreds of times. */
    private static final Map<String, Guide> ANSWER_GUIDES = new ConcurrentHashMap<>();

    /** A user's dk.brics regex; {@code flags}: which operators it may use. */
    private static RunAutomaton compile(String regex, int flags) {
        Automaton a;
        try {
            a = new RegExp(regex, flags).toAutomaton();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("guided regex does not compile: " + e.getMessage());
        }
        return run(a);
    }

    /**
     * The DFA a guide walks. Not minimised: Hopcroft's minimisation was most of a compile, and a guide
     * needs only a deterministic automaton without dead ends (masks are cached per visited state).
     */
    private static RunAutomaton run(Automaton a) {
        Automaton d = a.clone();
        d.determinize();
        d.removeDeadTransitions(); // a token may lead only where an accepting state is still reachable
        return new RunAutomaton(d);
    }

    /** The decision line and, with tools, the call: the answer ending without the free text before it. */
    static Automaton ending(List<String> modes, Map<String, String> tools) {
        if (modes.isEmpty()) throw new IllegalArgumentException("the answer grammar needs at least one mode");
        List<Automaton> m = new ArrayList<>();
        for (String mode : modes) m.add(str(mode));
        Automaton decision = cat(str(AnswerFormat.DECISION_PREFIX + " "), BasicOperations.union(m));
        return tools.isEmpty() ? decision : cat(decision, str("\n"), toolCallAutomaton(tools));
    }

    /**
     * Free text up to a bound, then the ending: walks {@code open} (free text that never contains the
     * decision prefix, then the ending) until the free text reaches {@code max} characters (or tokens) outside a
     * started decision line; then continues with {@code closing} (the ending alone) after a forced line
     * break, so a row always reaches its ending inside the budget the bound was sized for.
     */
    private static final class BoundedPreamble implements Guide {
        private final Guide open, closing, closingThink;
        private final boolean thinkFirst; // the answer must open with a reasoning block: its open tag does not count toward the bound
        private final int max;
        private final boolean inTokens;
        private final String[][] pieces;
        private final String prefix = AnswerFormat.DECISION_PREFIX;

        /**
         * @param closingThink the ending after a reasoning block's close tag, for a bound passed inside the block when the
         *                     vocabulary has no single close-tag token; @param max the bound on the free text;
         * @param inTokens it counts tokens, not characters
         */
        BoundedPreamble(Guide open, Guide closing, Guide closingThink, int max, boolean inTokens, boolean thinkFirst, String[][] pieces) {
            this.thinkFirst = thinkFirst;
            this.open = open;
            this.closing = closing;
            this.closingThink = closingThink;
            this.max = max;
            this.inTokens = inTokens;
            this.pieces = pieces;
        }

        @Override public Cursor start() {
            return new Cursor() {
                Cursor cur = open.start();
                boolean first = true, closed, committed;
                int spent; // of the bound: tokens or characters of free text
                final StringBuilder line = new StringBuilder(), text = new StringBuilder();

                /** A reasoning block is open: it must close before the ending. */
                boolean thinking() { return text.lastIndexOf(AnswerFormat.THINK_OPEN) > text.lastIndexOf(AnswerFormat.THINK_CLOSE); }

                /** Past the bound and not inside a decision line: only a line break may come, then the ending. */
                boolean mustBreak() { return !closed && !committed && spent >= max && !startingDecision(); }

                /** The current line is a beginning of the decision prefix: let it finish (the open guide holds it to the ending). */
                boolean startingDecision() { return !line.isEmpty() && prefix.startsWith(line.toString()); }

                @Override public BitSet allowed() {
                    if (!mustBreak()) return cur.allowed();
                    String[] texts = pieces[first ? 0 : 1];
                    if (thinking()) { // past the bound inside the reasoning: close it first
                        BitSet close = new BitSet();
                        for (int t = 0; t < texts.length; t++) if (AnswerFormat.THINK_CLOSE.equals(texts[t])) close.set(t);
                        close.and(cur.allowed());
                        if (!close.isEmpty()) return close;
                        cur = closingThink.start(); // no one-token close tag (e.g. a byte-level vocabulary): spell it, then the ending
                        closed = true;
                        return cur.allowed();
                    }
                    if (line.isEmpty()) { switchToClosing(); return cur.allowed(); }
                    BitSet b = new BitSet();
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
                    text.append(t);
                    for (int i = 0; i < t.length(); i++) {
                        char c = t.charAt(i);
                        if (c == '\n') line.setLength(0); else line.append(c);
                        if (!committed && line.length() >= prefix.length() && line.indexOf(prefix) == 0) committed = true;
                    }
                    if (!thinkFirst || text.length() >= AnswerFormat.THINK_OPEN.length()) spent += inTokens ? 1 : t.length(); // the required open tag is not free text
                }
            };
        }
    }

    /** The unbounded answer ending: any text whose reasoning blocks are closed, a line break, then the ending (or the ending alone). */
    static Automaton answerEndingAutomaton(List<String> modes, Map<String, String> tools) {
        return cat(cat(THINK_CLOSED, str("\n")).optional(), ending(modes, tools));
    }

    /** A guide for exactly one tool call ({@link #toolCallAutomaton}): what {@code tool_choice: required} asks for. */
    public static Guide toolCall(Map<String, String> tools, Tokenizer tok) {
        return new DfaGuide(run(toolCallAutomaton(tools)), pieces(tok));
    }

    /**
     * One {@code <tool_call>{"name": N, "arguments": A}</tool_call>} naming one of {@code tools} with
     * arguments valid for its schema. Each tool's automaton is built once per (name, schema): eval offers
     * the same few tools, with a few contact lists, hundreds of times.
     */
    static Automaton toolCallAutomaton(Map<String, String> tools) {
        if (tools.isEmpty()) throw new IllegalArgumentException("a tool call needs at least one tool");
        List<Automaton> calls = new ArrayList<>();
        for (var t : tools.entrySet()) {
            String key = t.getKey() + "\u0000" + t.getValue();
            Automaton call = TOOL_CALLS.get(key);
            if (call == null) {
                JsonNode params;
                try {
                    params = Json.MAPPER.readTree(t.getValue());
                } catch (Exception e) {
                    throw new IllegalArgumentException("tool '" + t.getKey() + "': parameters are not JSON");
                }
                call = cat(str("{\"name\":"), WS, str(Json.MAPPER.valueToTree(t.getKey()).toString()), str(","), WS,
                        str("\"arguments\":"), WS, schema(params, "tools." + t.getKey(), true), str("}"));
                if (TOOL_CALLS.size() > 4096) TOOL_CALLS.clear();
                TOOL_CALLS.put(key, call);
            }
            calls.add(call);
        }
        return cat(str(AnswerFormat.CALL_OPEN), BasicOperations.union(calls), str(AnswerFormat.CALL_CLOSE));
    }

    private static final Map<String, Automaton> TOOL_CALLS = new ConcurrentHashMap<>();

    /**
     * The guide a request's schema asks for: {@link #ANSWER_GRAMMAR} with
     * {@code {"modes": [...], "tools": {name: parameters-schema}, "max_preamble_chars": N (or "max_preamble_tokens": N), "max_string_chars": M, "think_first": true}},
     * else a JSON schema.
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
        return answerEnding(modes, tools, n, tok);
    }

    /** {@link #answerEnding(List, Map, int, int, int, Tokenizer)} with the bounds a request's options give ({@code max_preamble_chars}, {@code max_preamble_tokens}, {@code max_string_chars}; absent = unbounded). */
    public static Guide answerEnding(List<String> modes, Map<String, String> tools, JsonNode options, Tokenizer tok) {
        return answerEnding(modes, tools, options.path("max_preamble_chars").asInt(-1), options.path("max_preamble_tokens").asInt(-1),
                options.path("max_string_chars").asInt(-1), options.path("think_first").asBoolean(false), tok);
    }

    /** The automaton of JSON texts valid for schema {@code s} at {@code path}; {@code inCall}: inside a tool call (strings exclude '<'). */
    static Automaton schema(JsonNode s, String path, boolean inCall) {
        if (s.isBoolean() && s.asBoolean()) throw new IllegalArgumentException(path + ": schema 'true' (any value) is not supported by guided decoding");
        if (!s.isObject()) throw new IllegalArgumentException(path + ": a schema must be an object");
        for (var it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!DESCRIPTIVE.contains(k)) throw new IllegalArgumentException(path + ": json_schema keyword '" + k + "' is not supported by guided decoding");
        }
        if (s.has("const")) return str(s.get("const").toString());
        if (s.has("enum")) {
            List<Automaton> alts = new ArrayList<>();
            for (JsonNode v : s.get("enum")) alts.add(str(v.toString()));
            if (alts.isEmpty()) throw new IllegalArgumentException(path + ".enum: needs at least one value");
            return BasicOperations.union(alts);
        }
        for (String k : List.of("anyOf", "oneOf")) {
            if (s.has(k)) {
                List<Automaton> alts = new ArrayList<>();
                int i = 0;
                for (JsonNode v : s.get(k)) alts.add(schema(v, path + "." + k + "[" + i++ + "]", inCall));
                return BasicOperations.union(alts);
            }
        }
        JsonNode type = s.path("type");
        if (type.isArray()) {
            List<Automaton> alts = new ArrayList<>();
            for (JsonNode t : type) alts.add(typeAutomaton(s, t.asText(), path, inCall));
            return BasicOperations.union(alts);
        }
        if (!type.isTextual()) throw new IllegalArgumentException(path + ": needs 'type' (or enum / const / anyOf)");
        return typeAutomaton(s, type.asText(), path, inCall);
    }

    private static Automaton typeAutomaton(JsonNode s, String type, String path, boolean inCall) {
        return switch (type) {
            case "object" -> {
                List<Automaton> parts = new ArrayList<>();
                parts.add(str("{"));
                boolean first = true;
                for (var e : s.path("properties").properties()) {
                    if (!first) { parts.add(str(",")); parts.add(WS); }
                    first = false;
                    parts.add(str(Json.MAPPER.valueToTree(e.getKey()).toString() + ":"));
                    parts.add(WS);
                    parts.add(schema(e.getValue(), path + "." + e.getKey(), inCall));
                }
                parts.add(str("}"));
                yield BasicOperations.concatenate(parts);
            }
            case "array" -> {
                Automaton item = s.has("items") ? schema(s.get("items"), path + "[]", inCall) : null;
                if (item == null) throw new IllegalArgumentException(path + ": an array needs 'items'");
                int min = s.path("minItems").asInt(0);
                int max = s.has("maxItems") ? s.get("maxItems").asInt() : -1;
                if (min < 0 || (max >= 0 && max < min)) throw new IllegalArgumentException(path + ": minItems/maxItems out of order");
                if (max == 0) yield str("[]");
                Automaton more = cat(str(","), WS, item);
                more = max < 0 ? more.repeat(Math.max(0, min - 1)) : more.repeat(Math.max(0, min - 1), max - 1);
                Automaton list = cat(item, more);
                yield cat(str("["), min == 0 ? list.optional() : list, str("]"));
            }
            case "string" -> {
                int min = s.path("minLength").asInt(0);
                int max = s.has("maxLength") ? s.get("maxLength").asInt() : -1;
                if (min < 0 || (max >= 0 && max < min)) throw new IllegalArgumentException(path + ": minLength/maxLength out of order");
                yield cat(str("\""), stringBody(inCall, min, max), str("\""));
            }
            case "integer" -> INTEGER;
            case "number" -> NUMBER;
            case "boolean" -> BasicOperations.union(List.of(str("true"), str("false")));
            case "null" -> str("null");
            default -> throw new IllegalArgumentException(path + ": unknown type '" + type + "'");
        };
    }

    private static final Automaton INTEGER = new RegExp("(\\-)?(0|[1-9][0-9]{0," + (MAX_DIGITS - 1) + "})", RegExp.NONE).toAutomaton();
    private static final Automaton NUMBER = new RegExp("(\\-)?(0|[1-9][0-9]{0," + (MAX_DIGITS - 1) + "})(\\.[0-9]{1," + MAX_DIGITS
            + "})?([eE][+\\-]?[0-9]{1,3})?", RegExp.NONE).toAutomaton();

    /**
     * The body of a JSON string of {@code min..max} characters (max -1: unbounded). A bounded
     * repetition is the costly part of a schema (it unrolls), and every request repeats the same few,
     * so each is built once. Inside a tool call a string may not hold '<': the call's closing tag could
     * not be found otherwise.
     */
    private static Automaton stringBody(boolean inCall, int min, int max) {
        return STRING_BODIES.computeIfAbsent((inCall ? "call:" : "") + min + ":" + max, k -> {
            String ch = inCall ? "([^\\\"\\\\<\u0000-\u001f]|\\\\[\\\"\\\\/bfnrt])" : "([^\\\"\\\\\u0000-\u001f]|\\\\[\\\"\\\\/bfnrt])";
            return new RegExp(ch + (max < 0 ? "{" + min + ",}" : "{" + min + "," + max + "}"), RegExp.NONE).toAutomaton();
        });
    }

    private static final Map<String, Automaton> STRING_BODIES = new ConcurrentHashMap<>();

    /** Exactly {@code s}. */
    private static Automaton str(String s) { return BasicAutomata.makeString(s); }

    /** The automata one after another (dk.brics clones its inputs: cached parts stay intact). */
    private static Automaton cat(Automaton... parts) { return BasicOperations.concatenate(java.util.Arrays.asList(parts)); }

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
