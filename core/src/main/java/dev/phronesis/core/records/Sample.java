package dev.phronesis.core.records;

import java.util.List;
import java.util.Map;

/**
 * A training example. {@code messages} is the training prompt with the constitution removed
 * (context distillation); {@code reasoning} is empty for the demonstration variant.
 */
public record Sample(String id, String scenarioId, String family, Split split, Form form, Variant variant, List<Turn> messages,
                     String reasoning, String response, int tokens, Map<String, String> provenance,
                     dev.phronesis.core.constitution.ConstitutionRef constitution) {
    /** A sample with no constitution recorded (hand-made, imported). */
    public Sample(String id, String scenarioId, String family, Split split, Form form, Variant variant, List<Turn> messages,
                  String reasoning, String response, int tokens, Map<String, String> provenance) {
        this(id, scenarioId, family, split, form, variant, messages, reasoning, response, tokens, provenance, null);
    }

    public Sample {
        messages = List.copyOf(messages);
        reasoning = reasoning == null ? "" : reasoning;
        provenance = provenance == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(provenance);
    }
}
