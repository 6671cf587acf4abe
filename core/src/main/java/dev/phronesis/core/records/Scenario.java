package dev.phronesis.core.records;

import dev.phronesis.core.constitution.ConstitutionRef;

import java.util.List;
import java.util.Map;

/**
 * A scenario a model will face. {@code messages} are what the model sees (system prompt, user
 * message or agentic transcript); {@code provenance} records the constitution hash, taxonomy,
 * realiser and seed.
 */
public record Scenario(String id, String family, Split split, Form form, ScenarioSpec spec, List<Turn> messages,
                       List<ToolDef> tools, Map<String, String> provenance, ConstitutionRef constitution) {
    /** A scenario made outside a constitution-driven generator (hand-written, imported): no constitution recorded. */
    public Scenario(String id, String family, Split split, Form form, ScenarioSpec spec, List<Turn> messages, List<ToolDef> tools,
                    Map<String, String> provenance) {
        this(id, family, split, form, spec, messages, tools, provenance, null);
    }

    public Scenario {
        messages = List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
        provenance = provenance == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(provenance);
    }
}
