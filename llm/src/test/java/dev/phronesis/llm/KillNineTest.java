package dev.phronesis.llm;

import dev.phronesis.llm.testserver.LlmTestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run is killed with SIGKILL half way, then rerun: nothing that had finished (is in the journal) is
 * paid for again, and the rerun completes everything.
 */
class KillNineTest {
    static final int IN_FLIGHT = 8;
    static final int N = 120;
    @TempDir Path dir;

    @Test void aRerunAfterKillNinePaysNothingTwice() throws Exception {
        try (LlmTestServer server = LlmTestServer.start().latency(Duration.ofMillis(25))) {
            Path journal = dir.resolve(LlmEngine.JOURNAL_FILE);
            String java = ProcessHandle.current().info().command().orElse("java");
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), KillNineChild.class.getName(),
                    server.baseUrl(), journal.toString(), Integer.toString(N))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (server.answered() < N / 3 && System.nanoTime() < deadline && child.isAlive()) Thread.sleep(10);
            assertThat(child.isAlive()).as("child still running when killed").isTrue();
            child.destroyForcibly();   // SIGKILL on Unix
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(300);   // requests the child had in flight may still be answered into its dead socket
            long paidBeforeKill = server.answered();
            assertThat(paidBeforeKill).isLessThan(N);

            Set<String> finished = journaledPrompts(journal);
            assertThat(finished).isNotEmpty();
            // every journaled answer was paid; at most the requests in flight at the kill were paid but not journaled
            assertThat(paidBeforeKill - finished.size()).isBetween(0L, (long) IN_FLIGHT);

            ChatModel m = ModelCatalog.openSpec("openai:kill-test@" + server.baseUrl());
            try (LlmEngine engine = LlmEngine.open(journal).progress(null).limits(m, ModelLimits.DEFAULT.withMaxInFlight(IN_FLIGHT))) {
                List<ChatResult> out = engine.chatAll(m, KillNineChild.requests(N), "rerun");
                assertThat(out).allMatch(r -> r instanceof ChatResult.Completed);
                assertThat(engine.usage().fromJournal()).isEqualTo(finished.size());
            }
            Map<String, Long> perPrompt = server.answersByPrompt();
            for (String p : finished) assertThat(perPrompt.get(p)).as("paid answers for finished '%s'", p).isEqualTo(1L);
            assertThat(perPrompt).hasSize(N);
            // beyond the finished ones, at most the requests in flight at the kill were paid twice
            assertThat(server.answered()).isBetween((long) N, (long) N + IN_FLIGHT);
        }
    }

    static Set<String> journaledPrompts(Path journal) throws Exception {
        Set<String> out = new HashSet<>();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + journal); var s = c.createStatement();
             var rs = s.executeQuery("SELECT request FROM answers")) {
            var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            while (rs.next()) out.add(mapper.readTree(rs.getString(1)).path("messages").get(0).path("content").asText());
        }
        return out;
    }
}
