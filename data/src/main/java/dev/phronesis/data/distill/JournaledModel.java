package dev.phronesis.data.distill;

import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.LlmEngine;

/**
 * A model whose every call goes through the {@code llm} engine: retries, rate limits, schema repair and
 * the journal, so a rerun pays for no call twice. The engine is owned by the caller.
 */
public record JournaledModel(LlmEngine engine, ChatModel model) implements ChatModel {
    @Override public String id() { return model.id(); }

    @Override public ChatResult chat(ChatRequest request) { return engine.chat(model, request); }
}
