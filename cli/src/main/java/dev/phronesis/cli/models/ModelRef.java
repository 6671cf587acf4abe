package dev.phronesis.cli.models;

import dev.phronesis.core.UserError;
import dev.phronesis.llm.ModelCatalog;

import java.nio.file.Path;

/**
 * How a user names a model, in a flag or an experiment file. {@link #parse} is the only parser;
 * {@link Models} the only resolver.
 */
public sealed interface ModelRef {
    /** The forms, for help texts and errors. */
    String FORMS = "scripted, a name from the models file, BACKEND:MODEL[@BASE_URL] (e.g. openai:qwen3-8b@http://127.0.0.1:8000/v1), "
            + "embedded:CHECKPOINT_DIR (a trained student) or answers:FILE (recorded answers, JSONL)";

    /** What the user wrote, for messages. */
    String text();

    /** The offline scripted teacher/realiser: no model call at all. */
    record Scripted() implements ModelRef {
        @Override public String text() { return "scripted"; }
    }

    /** A name configured in the models file the user gave. */
    record Catalog(String name) implements ModelRef {
        @Override public String text() { return name; }
    }

    /** An inline {@code BACKEND:MODEL[@BASE_URL]}. */
    record Inline(String spec) implements ModelRef {
        public Inline { ModelCatalog.parseSpec(spec); } // a bad backend or empty model fails here, naming the spec
        @Override public String text() { return spec; }
    }

    /** A trained student checkpoint run in-process. */
    record Embedded(Path dir) implements ModelRef {
        @Override public String text() { return "embedded:" + dir; }
    }

    /** Recorded answers replayed by prompt. */
    record Answers(Path file) implements ModelRef {
        @Override public String text() { return "answers:" + file; }
    }

    /**
     * Parses {@code text}; {@code catalog} is the models file the user named (null when none), which
     * decides between a configured name and an inline spec. No file is read that the user did not name.
     */
    static ModelRef parse(String text, ModelCatalog catalog) {
        if (text == null || text.isBlank()) throw new UserError("model: empty name; use " + FORMS);
        if (text.equals("scripted")) return new Scripted();
        if (text.startsWith("embedded:")) return new Embedded(Path.of(text.substring("embedded:".length())));
        if (text.startsWith("answers:")) return new Answers(Path.of(text.substring("answers:".length())));
        if (catalog != null && catalog.names().contains(text)) return new Catalog(text);
        if (text.contains(":")) return new Inline(text);
        if (catalog != null) {
            catalog.spec(text); // throws: no model named ..., with did-you-mean and the configured names
        }
        throw new UserError("model '" + text + "': not a name from a models file (give --models FILE) and not one of: " + FORMS);
    }
}
