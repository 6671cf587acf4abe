package dev.phronesis.train;

/**
 * One row of training progress, from the organism trainer (every {@code log_every} steps and at
 * evaluations) and the LoRA trainer (every step). {@code NaN} where a trainer does not measure a
 * value at that step (no evaluation then, no gradient norm kept).
 */
public record TrainStep(int step, int totalSteps, double loss, double evalLoss, double lr, double gradNorm,
                        double tokensPerSecond, double elapsedSeconds, double etaSeconds) {}
