package dev.phronesis.eval;

import java.util.Map;

/**
 * A tool call found in an answer, as the scorer read it.
 *
 * @param source    {@code native} (the API's tool_calls) or {@code text} (a {@code <tool_call>} outside the reasoning)
 * @param tool      the tool name, or null when malformed
 * @param arguments the arguments as strings (nested values as JSON text)
 * @param malformed true when the call could not be read as {name, arguments-object}
 * @param raw       the call exactly as the model wrote it
 */
public record ParsedCall(String source, String tool, Map<String, String> arguments, boolean malformed, String raw) {
    public ParsedCall {
        arguments = arguments == null ? Map.of() : Map.copyOf(arguments);
        raw = raw == null ? "" : raw;
    }
}
