package dev.phronesis.llm;

import dev.phronesis.core.records.Role;
import dev.phronesis.core.records.Turn;
import java.util.List;
import java.util.Objects;

/**
 * One turn of a chat. {@code reasoning} carries a model's thinking where the protocol separates it
 * (OpenAI-compatible {@code reasoning_content}, Anthropic thinking blocks); {@code toolCalls} are the
 * calls an assistant turn made; {@code toolCallId} ties a {@link Role#TOOL} result to its call.
 */
public record ChatMessage(Role role, String content, String reasoning, List<ToolCall> toolCalls, String toolCallId) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        content = content == null ? "" : content;
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public static ChatMessage system(String text) { return new ChatMessage(Role.SYSTEM, text, null, List.of(), null); }
    public static ChatMessage user(String text) { return new ChatMessage(Role.USER, text, null, List.of(), null); }
    public static ChatMessage assistant(String text) { return new ChatMessage(Role.ASSISTANT, text, null, List.of(), null); }
    public static ChatMessage assistant(String text, String reasoning, List<ToolCall> calls) { return new ChatMessage(Role.ASSISTANT, text, reasoning, calls, null); }
    public static ChatMessage tool(String toolCallId, String result) { return new ChatMessage(Role.TOOL, result, null, List.of(), toolCallId); }

    /**
     * The one mapping from a role to a message: {@code reasoning} is kept on assistant turns only,
     * {@code toolCallId} on tool turns only.
     */
    public static ChatMessage of(Role role, String content, String reasoning, String toolCallId) {
        return switch (role) {
            case SYSTEM -> system(content);
            case USER -> user(content);
            case ASSISTANT -> assistant(content, reasoning, List.of());
            case TOOL -> tool(toolCallId, content);
        };
    }

    /** A stored turn as a message ({@code toolCallId} is used only when it is a tool turn). */
    public static ChatMessage of(Turn turn, String toolCallId) { return of(turn.role(), turn.content(), null, toolCallId); }
}
