package dev.phronesis.cli.organism;

import dev.phronesis.core.records.ToolDef;
import dev.phronesis.core.records.Turn;
import dev.phronesis.llm.ToolSpec;
import dev.phronesis.train.ChatTemplate;
import dev.phronesis.train.WordTokenizer;

import java.util.List;

/**
 * The organism's chat template as plain text, exactly as {@code train}'s ChatTemplate renders it to
 * ids ({@code <|system|>…<|end|><|user|>…<|end|><|assistant|><think>…</think>…<|end|>}, no newlines
 * between turns). Pre-training documents written this way tokenise to the same ids as SFT samples
 * and eval prompts, so the base model already knows the format it will be asked to answer in.
 */
final class ChatText {
    private ChatText() {}

    static String header(String role) {
        return switch (role) {
            case "system" -> WordTokenizer.SYSTEM;
            case "user" -> WordTokenizer.USER;
            case "assistant" -> WordTokenizer.ASSISTANT;
            case "tool" -> WordTokenizer.TOOL;
            default -> throw new IllegalArgumentException("role " + role);
        };
    }

    /** The scenario's tools as the llm interface offers them (what {@link ChatTemplate#toolBlock} renders). */
    static List<ToolSpec> specs(List<ToolDef> tools) {
        return tools.stream().map(t -> new ToolSpec(t.name(), t.description(), t.parametersSchemaJson())).toList();
    }

    /** The turns with the tool block in the system turn, as {@link ChatTemplate#withTools} does for chat messages. */
    static List<Turn> withTools(List<Turn> prompt, List<ToolDef> tools) {
        if (tools.isEmpty()) return prompt;
        String block = ChatTemplate.toolBlock(specs(tools));
        List<Turn> out = new java.util.ArrayList<>();
        boolean done = false;
        for (Turn t : prompt) {
            if (!done && t.role().equals("system")) {
                out.add(Turn.system(t.content().isEmpty() ? block : t.content() + "\n" + block));
                done = true;
            } else out.add(t);
        }
        if (!done) out.addFirst(Turn.system(block));
        return out;
    }

    /**
     * The prompt turns, with the offered tools in the system turn exactly as {@link ChatTemplate#withTools}
     * puts them there, followed by one assistant answer (reasoning may be empty). The trainer appends the final end token.
     */
    static String render(List<Turn> prompt, List<ToolDef> tools, String reasoning, String answer) {
        StringBuilder b = new StringBuilder();
        List<Turn> turns = withTools(prompt, tools);
        for (Turn t : turns) b.append(header(t.role())).append(t.content()).append(WordTokenizer.END);
        b.append(WordTokenizer.ASSISTANT);
        if (reasoning != null && !reasoning.isBlank()) b.append(WordTokenizer.THINK).append(reasoning).append(WordTokenizer.END_THINK);
        b.append(answer);
        return b.toString();
    }
}
