package dev.phronesis.train;

import dev.phronesis.core.records.Role;
import dev.phronesis.core.records.Turn;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ToolCall;
import dev.phronesis.llm.ToolSpec;

import java.util.Arrays;
import java.util.List;

/**
 * The organism's chat template, rendered straight to token ids with the assistant-only loss mask.
 *
 * <pre>
 * &lt;|system|&gt;{system}&lt;|end|&gt;&lt;|user|&gt;{user}&lt;|end|&gt;&lt;|tool|&gt;{tool result}&lt;|end|&gt;
 * &lt;|assistant|&gt;&lt;think&gt;{reasoning}&lt;/think&gt;{answer}&lt;|end|&gt;
 * </pre>
 *
 * (no newlines between turns). The {@code <think>} span appears only when the turn has reasoning;
 * tool calls recorded on a message (rather than in its text) are appended to the answer as lines
 * {@code CALL name arguments-json}. The loss mask is 1 on every assistant token after the
 * {@code <|assistant|>} header — reasoning, answer and the closing {@code <|end|>} — and 0 elsewhere.
 * A generation prompt ends with {@code <|assistant|>} (or {@code <|assistant|><think>} to force
 * reasoning first), so the model itself chooses whether to think. {@link #text} writes the same
 * layout as plain text (pre-training documents), which tokenises to the same ids.
 *
 *
 * <p>Offered tools are rendered the way Hermes/Qwen chat templates render them: a block inside the
 * system turn (a system turn is added when the conversation has none). Where those templates write
 * each tool's JSON schema with its description, this one writes a compact signature — the name and
 * each argument with its type — so a transcript, its tools and the answer fit the organism's
 * 256-token window (with descriptions the median agentic document was 237 tokens, without 197):
 * <pre>
 * {system}
 * &lt;tools&gt;
 * send_email(to: string, subject: string, body: string)
 * escalate_to_human(reason: string)
 * &lt;/tools&gt;
 * </pre>
 * ({@link #withTools}, {@link #turnsWithTools}). Training rows, pre-training documents and eval prompts all go through it, so
 * every arm and the eval see the same tool block.
 */
public final class ChatTemplate {
    /** A rendered conversation: ids and, per id, whether it is trained on. */
    public record Rendered(int[] ids, boolean[] lossMask) {
        public Rendered {
            if (ids.length != lossMask.length) throw new IllegalArgumentException("ids and mask differ in length");
        }
        public int trainedTokens() {
            int n = 0;
            for (boolean b : lossMask) if (b) n++;
            return n;
        }
    }

    /** An assistant answer split into its reasoning span (null when there was none) and the text after it. */
    public record Parsed(String reasoning, String content) {}

    private final Tokenizer tok;
    private final int system, user, assistant, tool, end, think, endThink;

    public ChatTemplate(Tokenizer tok) {
        this.tok = tok;
        this.system = need(tok, header(Role.SYSTEM));
        this.user = need(tok, header(Role.USER));
        this.assistant = need(tok, header(Role.ASSISTANT));
        this.tool = need(tok, header(Role.TOOL));
        this.end = need(tok, WordTokenizer.END);
        this.think = need(tok, WordTokenizer.THINK);
        this.endThink = need(tok, WordTokenizer.END_THINK);
    }

    private static int need(Tokenizer tok, String s) {
        int id = tok.specialId(s);
        if (id < 0) throw new IllegalArgumentException("the tokenizer has no special token " + s + " needed by the chat template");
        return id;
    }

    /** The special token that opens a turn of {@code role}. */
    public static String header(Role role) {
        return switch (role) {
            case SYSTEM -> WordTokenizer.SYSTEM;
            case USER -> WordTokenizer.USER;
            case ASSISTANT -> WordTokenizer.ASSISTANT;
            case TOOL -> WordTokenizer.TOOL;
        };
    }

    /**
     * The prompt turns followed by one assistant answer as plain text, laid out exactly as
     * {@link #render} lays out ids (reasoning may be empty; the trainer appends the final end token).
     */
    public static String text(List<Turn> prompt, String reasoning, String answer) {
        StringBuilder b = new StringBuilder();
        for (Turn t : prompt) b.append(header(t.role())).append(t.content()).append(WordTokenizer.END);
        b.append(WordTokenizer.ASSISTANT);
        if (reasoning != null && !reasoning.isBlank()) b.append(WordTokenizer.THINK).append(reasoning).append(WordTokenizer.END_THINK);
        b.append(answer);
        return b.toString();
    }

    public Tokenizer tokenizer() { return tok; }
    public int endId() { return end; }

    /** Marks the tool block inside the system turn (Hermes/Qwen wrap the offered tools in these tags). */
    public static final String TOOLS_OPEN = "<tools>", TOOLS_CLOSE = "</tools>";

    /**
     * The conversation with {@code tools} rendered into its system turn ({@link #toolBlock}); the
     * messages unchanged when no tool is offered. A conversation without a system turn gets one.
     */
    public static List<ChatMessage> withTools(List<ChatMessage> messages, List<ToolSpec> tools) {
        if (tools == null || tools.isEmpty()) return messages;
        List<ChatMessage> out = new java.util.ArrayList<>(messages.size() + 1);
        boolean done = false;
        for (ChatMessage m : messages) {
            if (!done && m.role() == Role.SYSTEM) {
                out.add(ChatMessage.system(systemWithTools(m.content(), tools)));
                done = true;
            } else out.add(m);
        }
        if (!done) out.addFirst(ChatMessage.system(systemWithTools("", tools)));
        return out;
    }

    /** {@link #withTools} for stored turns (pre-training documents and datasets written with {@link #text}). */
    public static List<Turn> turnsWithTools(List<Turn> prompt, List<ToolSpec> tools) {
        if (tools == null || tools.isEmpty()) return prompt;
        List<Turn> out = new java.util.ArrayList<>(prompt.size() + 1);
        boolean done = false;
        for (Turn t : prompt) {
            if (!done && t.role() == Role.SYSTEM) {
                out.add(Turn.system(systemWithTools(t.content(), tools)));
                done = true;
            } else out.add(t);
        }
        if (!done) out.addFirst(Turn.system(systemWithTools("", tools)));
        return out;
    }

    /** The system turn's text with the tool block after it (on its own line). */
    public static String systemWithTools(String system, List<ToolSpec> tools) {
        String block = toolBlock(tools);
        return system == null || system.isEmpty() ? block : system + "\n" + block;
    }

    /** The tool block: one line per tool, {@code name(arg: type, ...)} ({@code arg: "a" | "b"} for an {@code enum}), arguments in the schema's order. */
    public static String toolBlock(List<ToolSpec> tools) {
        StringBuilder b = new StringBuilder(TOOLS_OPEN);
        for (ToolSpec t : tools) b.append('\n').append(t.name()).append('(').append(signature(t)).append(')');
        return b.append('\n').append(TOOLS_CLOSE).toString();
    }

    private static String signature(ToolSpec t) {
        com.fasterxml.jackson.databind.JsonNode schema;
        try {
            schema = dev.phronesis.core.records.Jsonl.MAPPER.readTree(t.parametersSchemaJson());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("tool " + t.name() + ": parameters schema is not JSON: " + e.getMessage());
        }
        List<String> args = new java.util.ArrayList<>();
        if (schema != null) schema.path("properties").properties().forEach(e -> {
            com.fasterxml.jackson.databind.JsonNode choices = e.getValue().path("enum");
            String type = e.getValue().path("type").asText("");
            if (choices.isArray() && !choices.isEmpty()) {
                List<String> values = new java.util.ArrayList<>();
                choices.forEach(v -> values.add(v.toString()));
                args.add(e.getKey() + ": " + String.join(" | ", values));
            } else args.add(type.isEmpty() ? e.getKey() : e.getKey() + ": " + type);
        });
        return String.join(", ", args);
    }

    /** The whole conversation with the loss on assistant turns only. */
    public Rendered render(List<ChatMessage> messages) {
        Buf b = new Buf();
        turns(b, messages, true);
        return new Rendered(Arrays.copyOf(b.ids, b.n), Arrays.copyOf(b.mask, b.n));
    }

    /** Appends every turn; assistant tokens after the header are trained when {@code trainAssistant}. */
    private void turns(Buf b, List<ChatMessage> messages, boolean trainAssistant) {
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case SYSTEM -> turn(b, system, m.content());
                case USER -> turn(b, user, m.content());
                case TOOL -> turn(b, tool, m.content());
                case ASSISTANT -> {
                    b.add(assistant, false);
                    if (m.reasoning() != null && !m.reasoning().isEmpty()) {
                        b.add(think, trainAssistant);
                        b.add(tok.encode(m.reasoning()), trainAssistant);
                        b.add(endThink, trainAssistant);
                    }
                    b.add(tok.encode(answerText(m)), trainAssistant);
                    b.add(end, trainAssistant);
                }
            }
        }
    }

    /** The prompt that asks for the next assistant turn; {@code forceThink} opens the reasoning span for the model. */
    public int[] renderPrompt(List<ChatMessage> messages, boolean forceThink) {
        Buf b = new Buf();
        turns(b, messages, false);
        b.add(assistant, false);
        if (forceThink) b.add(think, false);
        return Arrays.copyOf(b.ids, b.n);
    }

    /** Splits generated assistant text (as decoded, up to but excluding {@code <|end|>}) into reasoning and answer. */
    public static Parsed parse(String generated) {
        String t = generated;
        int open = t.indexOf(WordTokenizer.THINK);
        int close = t.indexOf(WordTokenizer.END_THINK);
        if (close >= 0 && (open < 0 || open < close)) {
            String reasoning = t.substring(open < 0 ? 0 : open + WordTokenizer.THINK.length(), close);
            return new Parsed(reasoning, t.substring(close + WordTokenizer.END_THINK.length()));
        }
        if (open >= 0) return new Parsed(t.substring(open + WordTokenizer.THINK.length()), ""); // reasoning never closed
        return new Parsed(null, t);
    }

    private static String answerText(ChatMessage m) {
        if (m.toolCalls().isEmpty()) return m.content();
        StringBuilder sb = new StringBuilder(m.content());
        for (ToolCall c : m.toolCalls()) {
            if (!sb.isEmpty()) sb.append('\n');
            sb.append("CALL ").append(c.name()).append(' ').append(c.argumentsJson());
        }
        return sb.toString();
    }

    private void turn(Buf b, int header, String content) {
        b.add(header, false);
        b.add(tok.encode(content), false);
        b.add(end, false);
    }

    private static final class Buf {
        int[] ids = new int[256];
        boolean[] mask = new boolean[256];
        int n;

        void add(int id, boolean m) {
            grow(1);
            ids[n] = id;
            mask[n++] = m;
        }

        void add(int[] xs, boolean m) {
            grow(xs.length);
            for (int x : xs) { ids[n] = x; mask[n++] = m; }
        }

        private void grow(int k) {
            if (n + k > ids.length) {
                int cap = Math.max(ids.length * 2, n + k);
                ids = Arrays.copyOf(ids, cap);
                mask = Arrays.copyOf(mask, cap);
            }
        }
    }
}
