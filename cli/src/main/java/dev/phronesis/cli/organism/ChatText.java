package dev.phronesis.cli.organism;

import dev.phronesis.core.records.Turn;
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

    /** The prompt turns followed by one assistant answer (reasoning may be empty). The trainer appends the final end token. */
    static String render(List<Turn> prompt, String reasoning, String answer) {
        StringBuilder b = new StringBuilder();
        for (Turn t : prompt) b.append(header(t.role())).append(t.content()).append(WordTokenizer.END);
        b.append(WordTokenizer.ASSISTANT);
        if (reasoning != null && !reasoning.isBlank()) b.append(WordTokenizer.THINK).append(reasoning).append(WordTokenizer.END_THINK);
        b.append(answer);
        return b.toString();
    }
}
