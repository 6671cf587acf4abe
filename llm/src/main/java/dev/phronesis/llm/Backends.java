package dev.phronesis.llm;

/** Opens the backend a spec names. */
final class Backends {
    private Backends() {}

    static ChatModel open(ModelSpec spec, String apiKey) {
        Secrets.register(apiKey);
        return switch (spec.backend()) {
            case OPENAI -> new OpenAiChatModel(spec, apiKey);
            case ANTHROPIC -> new AnthropicChatModel(spec, apiKey);
            case OPENAI_BATCH -> new OpenAiBatchModel(spec, apiKey);
            case ANTHROPIC_BATCH -> new AnthropicBatchModel(spec, apiKey);
        };
    }
}
