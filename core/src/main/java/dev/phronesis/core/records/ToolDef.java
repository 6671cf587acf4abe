package dev.phronesis.core.records;

/** A tool available in an agentic scenario; {@code parametersSchemaJson} is a JSON Schema as JSON text. */
public record ToolDef(String name, String description, String parametersSchemaJson) {}
