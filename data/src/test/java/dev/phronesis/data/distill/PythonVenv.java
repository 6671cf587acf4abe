package dev.phronesis.data.distill;

import java.nio.file.Files;
import java.nio.file.Path;

/** The Python peer for parity checks: $PHRONESIS_PYTHON, else the repository's .venv; null when neither exists. */
public final class PythonVenv {
    private PythonVenv() {}

    public static Path find() {
        String env = System.getenv("PHRONESIS_PYTHON");
        if (env != null && Files.isExecutable(Path.of(env))) return Path.of(env);
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 3 && dir != null; i++, dir = dir.getParent()) {
            Path p = dir.resolve(".venv/bin/python");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** True when {@code module} imports in the venv. */
    public static boolean has(Path py, String module) {
        try {
            Process p = new ProcessBuilder(py.toString(), "-c", "import " + module).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
