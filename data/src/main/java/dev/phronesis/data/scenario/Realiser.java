package dev.phronesis.data.scenario;

import dev.phronesis.core.records.ScenarioSpec;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.core.records.Turn;

import java.util.List;

/** Turns a spec into the text a user or agent sees. Deterministic for a (spec, seed) pair where the backend allows. */
public interface Realiser {
    /** A short identity recorded in provenance, e.g. {@code scripted} or {@code llm:openai:gpt-4o-mini}. */
    String id();

    Realisation realise(ScenarioSpec spec, long seed);

    /** The outcome of realising one spec. Closed: switch over it without a default. */
    sealed interface Realisation permits Realised, Rejected {}

    /** Messages the model sees (system prompt, user message or agentic transcript) and the tools it may call. */
    record Realised(List<Turn> messages, List<ToolDef> tools) implements Realisation {
        public Realised {
            if (messages.isEmpty()) throw new IllegalArgumentException("a realisation needs at least one message");
            messages = List.copyOf(messages);
            tools = List.copyOf(tools);
        }
    }

    /**
     * The realiser could not produce text faithful to the spec; {@code reason} says which check failed. With
     * {@code requestFailed} no answer came back at all (auth, 5xx, connection): nothing is recorded and a rerun asks again.
     */
    record Rejected(String reason, int attempts, boolean requestFailed) implements Realisation {
        /** A rejection of the model's text (it drifted from the spec): final, recorded. */
        public Rejected(String reason, int attempts) { this(reason, attempts, false); }
    }
}
