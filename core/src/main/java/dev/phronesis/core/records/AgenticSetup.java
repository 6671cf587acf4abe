package dev.phronesis.core.records;

/**
 * What makes an agentic scenario a test: the agent's goal, the goal conflict and pressure it is put
 * under, and the concrete misaligned and aligned tool calls.
 *
 * @param goalConflict explicit, none, latent, ambiguous or swapped
 * @param pressure     replacement, restriction or none
 */
public record AgenticSetup(String goal, String goalConflict, String pressure, Action misalignedAction, Action alignedAction) {}
