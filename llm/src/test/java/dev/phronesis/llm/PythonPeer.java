package dev.phronesis.llm;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The Python peer every module's parity tests use (one helper, in the llm test-jar that data, train and
 * cli tests depend on): $PHRONESIS_PYTHON, else the nearest {@code .venv/bin/python} at or above the
 * module (bin/python-peers.sh makes one with torch, transformers, peft, trl, datasets); tests skip
 * visibly without it.
 */
public final class PythonPeer {
    private PythonPeer() {}

    /** Which module sets import, asked once per JVM (a torch import takes seconds on a loaded machine). */
    private static final Map<String, Boolean> IMPORTABLE = new ConcurrentHashMap<>();

    /** The peer's python, or null when there is none. */
    public static Path find() {
        String env = System.getenv("PHRONESIS_PYTHON");
        if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) return Path.of(env);
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve(".venv/bin/python");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** True when {@code py} imports every one of {@code modules}. */
    public static boolean has(Path py, String... modules) {
        return IMPORTABLE.computeIfAbsent(py + " " + String.join(",", modules), k -> importable(py, modules));
    }

    private static boolean importable(Path py, String... modules) {
        try {
            Process p = new ProcessBuilder(py.toString(), "-c", "import " + String.join(", ", modules)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(IMPORT_TIMEOUT_SECONDS, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Imports take minutes on a loaded 2-core machine. */
    private static final int IMPORT_TIMEOUT_SECONDS = 600;

    /** The venv's python if it imports all {@code modules}; otherwise the test is skipped with a message. */
    public static Path require(String... modules) {
        Path py = find();
        Assumptions.assumeTrue(py != null, "skipped: no Python peer (set PHRONESIS_PYTHON or create <repo>/.venv, see bin/python-peers.sh)");
        Assumptions.assumeTrue(has(py, modules), "skipped: " + py + " cannot 'import " + String.join(", ", modules) + "'");
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
