package dev.phronesis.cli;

import dev.phronesis.cli.models.Rehearsal;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.llm.testserver.TestReply;
import dev.phronesis.llm.testserver.TestRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault injection into a real-model `phronesis run` (the reliability suite), over real sockets: the LLM
 * test server refuses the key (401), fails after every retry (503), closes the connection half way
 * through a body, or trickles a body out slower than the client's timeout. For each:
 * (1) every teacher call fails: distill exits 1 saying why, and neither the journal nor the run
 * directory holds anything for those calls; (2) the teacher is fixed and half of one student's calls fail:
 * eval exits 1 saying how many, having cached only real answers; (3) the fault clears: the rerun
 * completes and asks for no call that had finished before.
 */
class FaultInjectionCliTest {
    @TempDir Path dir;

    private static TestReply fault(String kind, TestReply good) {
        return switch (kind) {
            case "401" -> TestReply.httpError(401).withMessage("Incorrect API key provided");
            case "503" -> TestReply.httpError(503);
            case "reset" -> TestReply.truncated();
            case "slow-body" -> TestReply.slowBody(good.text(), Duration.ofSeconds(5));
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static String why(String kind) {
        return switch (kind) {
            case "401" -> "401";
            case "503" -> "503";
            case "reset" -> "TRANSPORT";
            default -> "TIMEOUT";
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"401", "503", "reset", "slow-body"})
    void nothingFailedIsCachedAndARerunAfterTheFaultRepeatsNoFinishedCall(String kind) throws Exception {
        Path run = dir.resolve("run");
        try (Rehearsal stand = Rehearsal.start(ConstitutionLoader.builtin("general"), run, 1)) {
            var server = stand.server();
            String[] phase = {"teacher"};
            server.responder(r -> {
                TestReply good = stand.respond(r);
                boolean hit = switch (phase[0]) {
                    case "teacher" -> r.model().equals("teacher-model");
                    case "student" -> r.model().equals("base-model") && Math.floorMod(r.lastUserText().hashCode(), 2) == 0;
                    default -> false;
                };
                return hit ? fault(kind, good) : good;
            });
            Files.writeString(dir.resolve("models.yaml"), """
                    models:
                      - {name: teacher, backend: openai, model: teacher-model, base_url: %1$s, limits: {max_in_flight: 8, timeout: 2s, max_attempts: 2}}
                      - {name: judge, backend: openai, model: judge-model, base_url: %1$s, limits: {max_in_flight: 8, timeout: 2s, max_attempts: 2}}
                      - {name: base, backend: openai, model: base-model, base_url: %1$s, limits: {max_in_flight: 8, timeout: 2s, max_attempts: 2}}
                      - {name: tuned, backend: openai, model: tuned-model, base_url: %1$s, limits: {max_in_flight: 8, timeout: 2s, max_attempts: 2}}
                    """.formatted(server.baseUrl()));
            Path exp = dir.resolve("real.yaml");
            Files.writeString(exp, KillNineSoakTest.REAL);

            // (1) every teacher call fails
            CliHarness.Result a = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(a.exitCode()).as(a.err()).isEqualTo(1);
            String line = a.err().lines().filter(l -> l.contains("distill: ") && l.contains("failed")).findFirst().orElse("");
            assertThat(line).as(a.err()).contains("12 teacher/judge calls failed", "not cached", "rerun to retry", why(kind));
            assertThat(a.err()).doesNotContain("Exception", "\tat ");
            assertThat(Soak.finishedCalls(run).keySet()).noneMatch(id -> id.startsWith("teacher-model"));
            Path delibs = run.resolve("distill/deliberations.jsonl");
            assertThat(Files.exists(delibs) ? Files.readAllLines(delibs).stream().filter(l -> !l.isBlank()).count() : 0).isZero();
            System.out.printf("fault %s, all teacher calls: exit %d: %s%n", kind, a.exitCode(), line.strip());

            // (2) the teacher is fixed; half of the base student's calls fail
            phase[0] = "student";
            CliHarness.Result b = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(b.exitCode()).as(b.err()).isEqualTo(1);
            String evalLine = b.err().lines().filter(l -> l.contains("eval base: ") && l.contains("failed")).findFirst().orElse("");
            assertThat(evalLine).as(b.err()).contains("calls failed and were not cached", "rerun to retry");
            assertThat(b.err()).doesNotContain("Exception", "\tat ");
            long answered = Files.readAllLines(run.resolve("eval/base/results.jsonl")).stream().filter(l -> !l.isBlank()).count();
            for (String l : Files.readAllLines(run.resolve("eval/base/results.jsonl"))) {
                if (l.isBlank()) continue;
                assertThat(Jsonl.MAPPER.readTree(l).path("content").asText()).as("a cached answer is a real answer").startsWith("Rehearsal answer.");
            }
            assertThat(answered).isBetween(1L, 13L);
            System.out.printf("fault %s, half of one student's calls: exit %d: %s (%d of 14 answers kept)%n", kind, b.exitCode(), evalLine.strip(), answered);

            // (3) the fault clears: the rerun completes and repeats no finished call
            Map<String, Integer> finished = Soak.finishedCalls(run);
            phase[0] = "none";
            int from = server.requests().size();
            CliHarness.Result c = CliHarness.run("run", exp.toString(), "--out", run.toString());
            assertThat(c.exitCode()).as(c.err()).isZero();
            Map<String, Integer> asked = new HashMap<>();
            List<TestRequest> again = server.requests().subList(from, server.requests().size());
            long repeated = 0;
            for (TestRequest r : again) if (finished.containsKey(Soak.identity(r)) && asked.merge(Soak.identity(r), 1, Integer::sum) > 0) repeated++;
            System.out.printf("fault %s cleared: rerun asked %d calls, %d of them finished before%n", kind, again.size(), repeated);
            assertThat(repeated).as("finished calls asked again").isZero();
            assertThat(Files.readAllLines(run.resolve("eval/base/results.jsonl")).stream().filter(l -> !l.isBlank()).count()).isEqualTo(14);
            assertThat(run.resolve("report/summary.json")).exists();
        }
    }
}
