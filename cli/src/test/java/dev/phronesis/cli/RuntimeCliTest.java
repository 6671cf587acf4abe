package dev.phronesis.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What we write loads back into the one runtime (generate and eval on {@code train random-checkpoint}
 * and {@code train merge} output), and the llm engine works as a client of {@code transformers serve}.
 */
class RuntimeCliTest {
    @TempDir Path dir;

    @Test void ourOwnCheckpointsGenerateAndEvaluate() throws Exception {
        Path ck = dir.resolve("tiny");
        assertThat(CliHarness.run("train", "random-checkpoint", "--arch", "qwen2", "--dtype", "bf16", "--out", ck.toString()).exitCode()).isZero();
        var chat = CliHarness.run("generate", ck.toString(), "--prompt", "the agent reads", "--max-tokens", "6", "--temperature", "0", "--threads", "1");
        assertThat(chat.exitCode()).as(chat.err()).isZero();
        assertThat(chat.err()).doesNotContain("no special token");
        var raw = CliHarness.run("generate", ck.toString(), "--raw", "--prompt", "the agent", "--max-tokens", "4", "--threads", "1");
        assertThat(raw.exitCode()).as(raw.err()).isZero();
        assertThat(raw.out()).startsWith("the agent");
        Path suite = dir.resolve("mini.yaml");
        Files.writeString(suite, EvalCliTest.SUITE);
        var ev = CliHarness.run("eval", "--suite", suite.toString(), "--model", "embedded:" + ck, "--out", dir.resolve("ev").toString());
        assertThat(ev.exitCode()).as(ev.err()).isZero();
        assertThat(dir.resolve("ev/report/report.html")).exists();
    }

    @Test void theLlmEngineAgainstTransformersServe() throws Exception {
        Path py = python();
        Path cli = py.resolveSibling("transformers");
        Assumptions.assumeTrue(Files.isExecutable(cli), "skipped: no transformers CLI beside " + py);
        Process probe = new ProcessBuilder(py.toString(), "-c", "import fastapi, uvicorn").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(300, TimeUnit.SECONDS) && probe.exitValue() == 0, "skipped: transformers serve needs fastapi + uvicorn in " + py);
        Path ck = dir.resolve("tiny");
        assertThat(CliHarness.run("train", "random-checkpoint", "--out", ck.toString()).exitCode()).isZero();
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        ProcessBuilder pb = new ProcessBuilder(cli.toString(), "serve", ck.toString(), "--port", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(dir.resolve("transformers-serve.log").toFile());
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("TRANSFORMERS_OFFLINE", "1");
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process server = pb.start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            boolean up = false;
            for (int i = 0; i < 120 && !up && server.isAlive(); i++) {
                try {
                    up = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
                } catch (java.io.IOException e) {
                    Thread.sleep(2000);
                }
            }
            assertThat(up).as("transformers serve came up (log: %s)", Files.readString(dir.resolve("transformers-serve.log"))).isTrue();
            String spec = "openai:" + ck + "@http://127.0.0.1:" + port + "/v1";
            var ping = CliHarness.run("llm", "ping", spec, "--count", "1", "--max-tokens", "8");
            assertThat(ping.exitCode()).as(ping.err()).isZero();
            Path suite = dir.resolve("mini.yaml");
            Files.writeString(suite, EvalCliTest.SUITE);
            var ev = CliHarness.run("eval", "--suite", suite.toString(), "--model", spec, "--out", dir.resolve("ev").toString());
            assertThat(ev.exitCode()).as(ev.err()).isZero();
            System.out.println("llm engine vs transformers serve: ping ok; eval: " + ev.out().lines().filter(l -> l.contains("misalignment")).findFirst().orElse(ev.out().strip()));
        } finally {
            server.destroy();
            if (!server.waitFor(20, TimeUnit.SECONDS)) server.destroyForcibly();
        }
    }

    private static Path python() {
        Path py = dev.phronesis.llm.PythonPeer.find();
        Assumptions.assumeTrue(py != null, "skipped: no Python peer (set PHRONESIS_PYTHON or create <repo>/.venv)");
        return py;
    }
}
