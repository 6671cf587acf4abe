package dev.phronesis.llm;

import dev.phronesis.core.UserError;

/** Opens the backend a spec names. */
final class Backends {
    private Backends() {}

    static ChatModel open(ModelSpec spec, String apiKey) {
        Secrets.register(apiKey);
        return switch (spec.backend()) {
            case OPENAI -> new OpenAiChatModel(spec, apiKey);
            case ANTHROPIC, OPENAI_BATCH, ANTHROPIC_BATCH -> throw new UserError("backend " + spec.backend().wire() + " is not available yet");
        };
    }
}
