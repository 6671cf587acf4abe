package dev.phronesis.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The models.yaml that online CLI tests write: each name an OpenAI-compatible model {@code NAME-model} at one test server. */
final class TestModels {
    private TestModels() {}

    /** Writes {@code dir/models.yaml} naming each of {@code names} at {@code baseUrl}; returns its path. */
    static Path write(Path dir, String baseUrl, String... names) throws IOException {
        StringBuilder b = new StringBuilder("models:\n");
        for (String n : names) b.append("  - {name: ").append(n).append(", backend: openai, model: ").append(n).append("-model, base_url: ").append(baseUrl).append("}\n");
        return Files.writeString(dir.resolve("models.yaml"), b.toString());
    }
}
