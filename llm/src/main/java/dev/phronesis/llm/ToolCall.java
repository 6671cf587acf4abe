package dev.phronesis.llm;

import java.util.Objects;

/** A tool call an assistant made: the raw JSON arguments exactly as the model produced them (they may be malformed). */
public record ToolCall(String id, String name, String argumentsJson) {
    public ToolCall {
        Objects.requireNonNull(name, "name");
        argumentsJson = argumentsJson == null ? "{}" : argumentsJson;
    }
}
