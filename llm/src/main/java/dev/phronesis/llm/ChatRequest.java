package dev.phronesis.llm;

import java.util.List;
import java.util.Objects;

/**
 * Everything that determines an answer. The journal's cache key is a hash of all of it plus the
 * model id, so two requests that differ only in {@code sampleIndex} are two different paid calls
 * (N samples per item), and a repeated identical request is served from the journal.
 *
 * @param responseSchemaJson JSON Schema (as JSON text) the answer must satisfy, or null for free text
 * @param schemaName         a short name for the schema (OpenAI's {@code json_schema.name}), or null
 * @param seed               sampling seed, or null to leave it to the backend
 * @param sampleIndex        which of the N samples of the same prompt this is (0-based)
 * @param tag                free-form label for accounting (stage, item id); not part of the cache key
 */
public record ChatRequest(List<ChatMessage> messages, List<ToolSpec> tools, double temperature, double topP,
                          int maxTokens, List<String> stop, Long seed, String responseSchemaJson, String schemaName,
                          int sampleIndex, String tag) {
    /**
     * The {@code schemaName} that asks for the project's answer grammar instead of a JSON schema; its
     * {@code responseSchemaJson} is then {@code {"modes": [...], "tools": {name: parameters-schema},
     * "max_preamble_tokens": N, "max_string_chars": M}} (the text before the ending at most N tokens, or with
     * {@code "max_preamble_chars"} N characters; each string of the call at most M characters). Backends that can mask tokens (the embedded student, {@code phronesis
     * serve}) enforce it; others ignore what they cannot enforce.
     */
    public static final String ANSWER_GRAMMAR = "phronesis_answer";

    public ChatRequest {
        Objects.requireNonNull(messages, "messages");
        if (messages.isEmpty()) throw new IllegalArgumentException("a chat request needs at least one message");
        messages = List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (temperature < 0 || temperature > 2) throw new IllegalArgumentException("temperature must be within [0, 2], got " + temperature);
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top_p must be within (0, 1], got " + topP);
        if (maxTokens <= 0) throw new IllegalArgumentException("max_tokens must be positive, got " + maxTokens);
        if (sampleIndex < 0) throw new IllegalArgumentException("sample index must be >= 0, got " + sampleIndex);
    }

    /** True when this request asks for the answer grammar (not a JSON schema the answer must satisfy). */
    public boolean answerGrammar() { return ANSWER_GRAMMAR.equals(schemaName) && responseSchemaJson != null; }

    /** The JSON schema the answer must satisfy, or null (free text, or the answer grammar). */
    public String jsonSchema() { return answerGrammar() ? null : responseSchemaJson; }

    public static ChatRequest of(List<ChatMessage> messages) {
        return new ChatRequest(messages, List.of(), 0.0, 1.0, 1024, List.of(), null, null, null, 0, null);
    }

    public ChatRequest withTools(List<ToolSpec> t) { return new ChatRequest(messages, t, temperature, topP, maxTokens, stop, seed, responseSchemaJson, schemaName, sampleIndex, tag); }
    public ChatRequest withSampling(double temp, double p, int max) { return new ChatRequest(messages, tools, temp, p, max, stop, seed, responseSchemaJson, schemaName, sampleIndex, tag); }
    public ChatRequest withStop(List<String> s) { return new ChatRequest(messages, tools, temperature, topP, maxTokens, s, seed, responseSchemaJson, schemaName, sampleIndex, tag); }
    public ChatRequest withSeed(Long s) { return new ChatRequest(messages, tools, temperature, topP, maxTokens, stop, s, responseSchemaJson, schemaName, sampleIndex, tag); }
    public ChatRequest withSchema(String name, String schemaJson) { return new ChatRequest(messages, tools, temperature, topP, maxTokens, stop, seed, schemaJson, name, sampleIndex, tag); }
    public ChatRequest withSample(int index) { return new ChatRequest(messages, tools, temperature, topP, maxTokens, stop, seed, responseSchemaJson, schemaName, index, tag); }
    public ChatRequest withTag(String t) { return new ChatRequest(messages, tools, temperature, topP, maxTokens, stop, seed, responseSchemaJson, schemaName, sampleIndex, t); }
}
