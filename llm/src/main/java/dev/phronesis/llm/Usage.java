package dev.phronesis.llm;

/** Tokens a request consumed, as the server reported them (zeros where it did not). */
public record Usage(long inputTokens, long outputTokens, long cachedInputTokens) {
    public static final Usage NONE = new Usage(0, 0, 0);
    public Usage plus(Usage o) { return new Usage(inputTokens + o.inputTokens, outputTokens + o.outputTokens, cachedInputTokens + o.cachedInputTokens); }
}
