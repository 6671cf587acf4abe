package dev.phronesis.cli.models;

import dev.phronesis.llm.ModelCatalog;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The {@code --models FILE} flag every command that names a model shares (a picocli mixin), and the one
 * resolver it gives. A models file is read only when the user names one: {@code ./models.yaml} is never
 * picked up unasked.
 */
public final class ModelsOption {
    @Option(names = "--models", paramLabel = "FILE",
            description = "A models.yaml catalog that model names refer to (read only when given; keys come from the environment variables it names).")
    Path file;

    /** The resolver for this flag, calls not journaled. */
    public Models resolver() { return Models.of(file); }

    /** The resolver for this flag, journaling remote calls to {@code journal}. */
    public Models resolver(Path journal) { return new Models(file == null ? null : ModelCatalog.load(file), journal, null); }
}
