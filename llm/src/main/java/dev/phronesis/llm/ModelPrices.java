package dev.phronesis.llm;

/** USD per million tokens; cached input tokens are billed at {@code cachedInputPerMillion} instead of {@code inputPerMillion}. */
public record ModelPrices(double inputPerMillion, double outputPerMillion, double cachedInputPerMillion) {
    public static final ModelPrices FREE = new ModelPrices(0, 0, 0);

    public ModelPrices {
        if (inputPerMillion < 0 || outputPerMillion < 0 || cachedInputPerMillion < 0)
            throw new IllegalArgumentException("prices must be >= 0");
    }

    /** The cost of one request's usage in USD. */
    public double cost(Usage u) {
        long uncached = Math.max(0, u.inputTokens() - u.cachedInputTokens());
        return (uncached * inputPerMillion + u.cachedInputTokens() * cachedInputPerMillion + u.outputTokens() * outputPerMillion) / 1e6;
    }
}
