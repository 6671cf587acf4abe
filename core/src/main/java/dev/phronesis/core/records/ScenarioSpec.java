package dev.phronesis.core.records;

import dev.phronesis.core.calculator.Assessment;

import java.util.Map;

/**
 * The structured truth behind a scenario's text.
 *
 * @param axes         the taxonomy axis values (domain, dilemma, stakeholders, ...)
 * @param assessment   factor levels, benefits, intent mix and hard-constraint flags
 * @param expectedMode the constitution calculator's decision for the assessment (ground truth for the organism)
 * @param agentic      the agentic set-up, or null for the advice form
 */
public record ScenarioSpec(Map<String, String> axes, Assessment assessment, String expectedMode, AgenticSetup agentic) {
    public ScenarioSpec { axes = dev.phronesis.core.records.SortedMaps.copyOf(axes); }
}
