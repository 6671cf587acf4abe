package dev.phronesis.train.hf;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The Python venv with torch + transformers (+ peft, trl): $PHRONESIS_PYTHON or <repo>/.venv/bin/python; tests skip visibly without it. */
public final class PythonPeer {
    private PythonPeer() {}

    public static Path find() {
        String env = System.getenv("PHRONESIS_PYTHON");
        if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) return Path.of(env);
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 3 && dir != null; i++, dir = dir.getParent()) {
            Path p = dir.resolve(".venv/bin/python");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** The venv's python if it imports all {@code modules}; otherwise the test is skipped with a message. */
    public static Path require(String... modules) {
        Path py = find();
        Assumptions.assumeTrue(py != null, "skipped: no Python peer (set PHRONESIS_PYTHON or create <repo>/.venv with torch transformers peft trl)");
        String imports = "import " + String.join(", ", modules);
        try {
            Process p = new ProcessBuilder(py.toString(), "-c", imports).redirectErrorStream(true).start();
            boolean done = p.waitFor(600, TimeUnit.SECONDS); // imports take minutes on a loaded 2-core machine
            Assumptions.assumeTrue(done && p.exitValue() == 0, "skipped: " + py + " cannot '" + imports + "'");
        } catch (IOException | InterruptedException e) {
            Assumptions.abort("skipped: cannot run " + py + ": " + e.getMessage());
        }
        return py;
    }

    /** Runs python with args; fails the test with its output on a non-zero exit. */
    public static String run(Path py, Path cwd, List<String> args, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(py.toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(cwd.toFile());
        pb.environment().put("OMP_NUM_THREADS", "2");
        pb.environment().put("TOKENIZERS_PARALLELISM", "false");
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("TRANSFORMERS_OFFLINE", "1");
        pb.environment().put("HF_DATASETS_OFFLINE", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) { p.destroyForcibly(); throw new AssertionError("python timed out: " + cmd); }
        if (p.exitValue() != 0) throw new AssertionError("python failed (" + p.exitValue() + "): " + cmd + "\n" + out);
        return out;
    }

    /** Runs python with args, expecting a non-zero exit (fails the test otherwise); returns its output. */
    public static String runExpectingFailure(Path py, Path cwd, List<String> args, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(py.toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(cwd.toFile());
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("TRANSFORMERS_OFFLINE", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) { p.destroyForcibly(); throw new AssertionError("python timed out: " + cmd); }
        if (p.exitValue() == 0) throw new AssertionError("python succeeded but should have failed: " + cmd + "\n" + out);
        return out;
    }

    public static Path script(Path dir, String resource) throws IOException {
        Path f = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
        try (var in = PythonPeer.class.getResourceAsStream(resource)) {
            Files.write(f, in.readAllBytes());
        }
        return f;
    }
}
