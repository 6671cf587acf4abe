package dev.phronesis.llm.testserver;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Objects;

/**
 * One chat request as {@link LlmTestServer} received it, in either protocol, normalised so that a
 * responder can script answers without caring which wire format carried it.
 *
 * @param protocol           which API the request came through
 * @param model              the {@code model} field
 * @param messages           the conversation; Anthropic's top-level {@code system} becomes a leading system message
 * @param toolNames          names of the tools offered
 * @param responseSchemaJson the JSON schema asked for (OpenAI {@code response_format.json_schema.schema}), or null
 * @param maxTokens          {@code max_tokens} / {@code max_completion_tokens}, or 0 when absent
 * @param seed               the {@code seed} field, or null
 * @param batchCustomId      the custom id when the request came inside a batch, else null
 * @param body               the raw request body, for anything else a test wants to look at
 */
public record TestRequest(Protocol protocol, String model, List<Message> messages, List<String> toolNames,
                          String responseSchemaJson, int maxTokens, Long seed, String batchCustomId, JsonNode body) {
    public enum Protocol { OPENAI, ANTHROPIC }

    /** A message flattened to role and text (tool results and tool calls appear as their text/arguments). */
    public record Message(String role, String content) {
        public Message { Objects.requireNonNull(role); content = content == null ? "" : content; }
    }

    public TestRequest {
        messages = List.copyOf(messages);
        toolNames = List.copyOf(toolNames);
    }

    /** The text of the last user message, or "" when there is none. */
    public String lastUserText() {
        for (int i = messages.size() - 1; i >= 0; i--) if (messages.get(i).role().equals("user")) return messages.get(i).content();
        return "";
    }

    /** The system prompt, or "" when there is none. */
    public String systemText() {
        return messages.stream().filter(m -> m.role().equals("system")).map(Message::content).findFirst().orElse("");
    }
}
