package dev.phronesis.llm;

import java.util.Objects;

/** A tool offered to the model: name, description and a JSON Schema (as JSON text) for its parameters. */
public record ToolSpec(String name, String description, String parametersSchemaJson) {
    public ToolSpec {
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
        parametersSchemaJson = parametersSchemaJson == null ? "{\"type\":\"object\",\"properties\":{}}" : parametersSchemaJson;
    }
}
