package dev.phronesis.cli;

import dev.phronesis.core.UserError;
import dev.phronesis.eval.RecordedAnswers;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.train.EmbeddedStudent;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the model a {@code --model}/{@code --judge} flag names, for the eval commands. */
final class EvalModels {
    private EvalModels() {}

    static final String FORMS = "BACKEND:MODEL[@BASE_URL] (e.g. openai:qwen3-8b@http://127.0.0.1:8000/v1), a name from --models FILE, "
            + "embedded:CHECKPOINT_DIR (a trained student) or answers:FILE (recorded answers, JSONL)";

    static ChatModel open(String spec, Path modelsFile) {
        if (spec.startsWith("answers:")) return RecordedAnswers.load(Path.of(spec.substring("answers:".length())));
        if (spec.startsWith("embedded:")) {
            Path p = Path.of(spec.substring("embedded:".length()));
            if (!Files.exists(p)) throw new UserError("--model " + spec + ": no such checkpoint " + p);
            return EmbeddedStudent.load(p);
        }
        if (modelsFile != null && !spec.contains(":")) return ModelCatalog.load(modelsFile).open(spec);
        if (!spec.contains(":")) throw new UserError("model '" + spec + "': expected " + FORMS);
        return ModelCatalog.openSpec(spec);
    }
}
