package dev.phronesis.cli;

import dev.phronesis.core.records.Jsonl;
import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import dev.phronesis.llm.testserver.TestRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code documents generate --writer llm} killed with SIGKILL half way, then rerun, against the LLM test
 * server: no call answered before the kill is made again. Online (one request in flight), the rerun asks
 * only for what was not answered; through a batch API, the rerun polls the batch the killed run had
 * submitted instead of submitting it again, so every document is paid for exactly once.
 */
class DocumentsKillNineTest {
    @TempDir Path dir;

    /** A document that keeps to its plan: it names every item the prompt lists and has the asked length. */
    static TestReply onPlan(TestRequest r) { return TestReply.text(dev.phronesis.cli.models.Rehearsal.document(r.lastUserText())); }

    List<String> args(Path models, Path out) {
        return List.of("documents", "generate", "--writer", "llm", "--model", "writer", "--models", models.toString(), "--count", "10",
                "--min-coverage", "1", "--no-semantic-dedup", "--concurrency", "1", "--out", out.toString());
    }

    Process child(List<String> args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    }

    static void await(BooleanSupplier done, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!done.getAsBoolean() && System.nanoTime() < deadline && p.isAlive()) Thread.sleep(10);
    }

    static int journaledBatches(Path journal) {
        if (!Files.exists(journal)) return 0;
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + journal); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM batches WHERE state = 'submitted'")) {
            return rs.next() ? rs.getInt(1) : 0;
        } catch (java.sql.SQLException e) {
            return 0; // not created yet, or locked for a moment
        }
    }

    @Test
    void onlineRerunAfterKillNineAsksOnlyForWhatWasNotAnswered() throws Exception {
        try (LlmTestServer server = LlmTestServer.start().latency(Duration.ofMillis(300))) {
            server.responder(DocumentsKillNineTest::onPlan);
            Path models = dir.resolve("models.yaml");
            Files.writeString(models, "models:\n  - {name: writer, backend: openai, model: doc-writer, base_url: " + server.baseUrl() + "}\n");
            Path out = dir.resolve("run");
            Process p = child(args(models, out));
            await(() -> server.answered() >= 3, p);
            assertThat(p.isAlive()).as(Files.readString(dir.resolve("child.log"))).isTrue();
            p.destroyForcibly(); // SIGKILL
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(500); // a request in flight at the kill may still be answered into the dead socket
            long beforeRerun = server.answered();
            int planned = Files.readAllLines(out.resolve("documents/plan.jsonl")).size();
            assertThat(beforeRerun).isLessThan(planned);

            CliHarness.Result r = CliHarness.run(args(models, out).toArray(String[]::new));
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(Files.readAllLines(out.resolve("documents/documents.jsonl"))).hasSize(planned);
            Map<String, Long> perPrompt = server.answersByPrompt();
            assertThat(perPrompt).hasSize(planned);
            // with one request in flight, at most the one answered into the dead socket is asked again; nothing journaled is
            long repeated = perPrompt.values().stream().filter(n -> n > 1).count();
            System.out.printf("documents kill -9 (online): %d of %d answered before the kill, %d asked again after it%n", beforeRerun, planned, repeated);
            assertThat(repeated).isLessThanOrEqualTo(1);
            assertThat(server.answered()).isBetween((long) planned, planned + 1L);

            // and a second rerun makes no request at all
            long all = server.received();
            assertThat(CliHarness.run(args(models, out).toArray(String[]::new)).exitCode()).isZero();
            assertThat(server.received()).isEqualTo(all);
        }
    }

    @Test
    void batchRerunAfterKillNinePollsTheSubmittedBatchAndPaysForNothingTwice() throws Exception {
        try (LlmTestServer server = LlmTestServer.start().batchDelay(Duration.ofSeconds(4))) {
            server.responder(DocumentsKillNineTest::onPlan);
            Path models = dir.resolve("models.yaml");
            Files.writeString(models, "models:\n  - {name: writer, backend: openai-batch, model: doc-writer, base_url: " + server.baseUrl()
                    + ", params: {poll_interval: 50ms}}\n");
            Path out = dir.resolve("run");
            Process p = child(args(models, out));
            // killed once the submitted batch's id is in the journal (a kill between the provider accepting a batch and that
            // commit is the one window in which a batch can be paid twice; docs/documents.md says so)
            await(() -> journaledBatches(out.resolve("llm-journal.sqlite")) >= 1, p);
            assertThat(p.isAlive()).as(Files.readString(dir.resolve("child.log"))).isTrue();
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(server.batchesCreated()).isEqualTo(1);
            int planned = Files.readAllLines(out.resolve("documents/plan.jsonl")).size();

            CliHarness.Result r = CliHarness.run(args(models, out).toArray(String[]::new));
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(Files.readAllLines(out.resolve("documents/documents.jsonl"))).hasSize(planned);
            System.out.printf("documents kill -9 (batch): %d documents, %d batch(es) created, %d answers%n", planned, server.batchesCreated(), server.answered());
            assertThat(server.batchesCreated()).as("the rerun polled the killed run's batch").isEqualTo(1);
            assertThat(server.answersByPrompt()).hasSize(planned).allSatisfy((prompt, n) -> assertThat(n).isEqualTo(1L));
        }
    }
}
