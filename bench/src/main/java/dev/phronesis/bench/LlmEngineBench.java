package dev.phronesis.bench;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.llm.ModelLimits;
import dev.phronesis.llm.testserver.LlmTestServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Throughput of the LLM engine against the local test server with {@value #SLOTS} concurrent slots
 * and {@value #SERVICE_MS} ms service time, i.e. a theoretical limit of SLOTS * 1000 / SERVICE_MS
 * requests per second. Prints achieved/limit for a clean run and for a run with injected faults
 * (5% 429/5xx, 2% malformed bodies), and the rate of a naive one-at-a-time loop through the SDK as a
 * second ratio. Every run is journaled (SQLite) as in production.
 *
 * <p>Usage: {@code LlmEngineBench [requests=5000] [naiveRequests=30]}
 */
public final class LlmEngineBench {
    static final int SLOTS = 64;
    static final int SERVICE_MS = 100;
    /** Requests sent before measuring, so that the JIT has compiled the hot path (measured: CPU per request still falls after 1,000). */
    static final int WARM_UP = 4000;
    /** Requests the engine keeps in flight per server slot: a little more than one hides client-side turnaround. */
    static final double IN_FLIGHT_PER_SLOT = 1.25;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int naiveN = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        double limit = SLOTS * 1000.0 / SERVICE_MS;
        Path tmp = Files.createTempDirectory("llm-bench");
        System.out.printf(Locale.ROOT, "llm engine benchmark: %d requests, %d slots x %d ms service time => limit %.0f req/s (%d cores)%n",
                n, SLOTS, SERVICE_MS, limit, Runtime.getRuntime().availableProcessors());
        try (LlmTestServer server = LlmTestServer.start().capacity(SLOTS).latency(Duration.ofMillis(SERVICE_MS))) {
            warmUp(server, tmp);

            double clean = run(server, tmp.resolve("clean.sqlite"), n, "clean");
            System.out.printf(Locale.ROOT, "clean:  %.1f req/s  achieved/limit = %.3f  (target >= 0.90)%n", clean, clean / limit);

            server.injectFaults(0.025, 0.025, 0.02, Duration.ofMillis(SERVICE_MS), 7);
            double faulty = run(server, tmp.resolve("faults.sqlite"), n, "faults");
            System.out.printf(Locale.ROOT, "faults: %.1f req/s  achieved/limit = %.3f  (target >= 0.75; %d faults injected)%n",
                    faulty, faulty / limit, server.faulted());
            server.injectFaults(0, 0, 0, Duration.ZERO, 0);

            double naive = naive(server, naiveN);
            System.out.printf(Locale.ROOT, "naive one-at-a-time SDK loop: %.1f req/s  naive/limit = %.3f  engine/naive = %.1fx%n",
                    naive, naive / limit, clean / naive);
        }
    }

    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static List<ChatRequest> requests(String run, int n) {
        return IntStream.range(0, n).mapToObj(i -> ChatRequest.of(List.of(
                ChatMessage.system("You are a careful assistant."), ChatMessage.user(run + " request " + i)))).toList();
    }

    static double run(LlmTestServer server, Path journal, int n, String label) {
        ChatModel m = ModelCatalog.openSpec("openai:bench@" + server.baseUrl());
        try (LlmEngine engine = LlmEngine.open(journal).progress(null)
                .limits(m, ModelLimits.DEFAULT.withMaxInFlight((int) (SLOTS * IN_FLIGHT_PER_SLOT)).withMaxAttempts(20))) {
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            List<ChatResult> out = engine.chatAll(m, requests(label, n), label);
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpuMsPerRequest = (cpuNanos() - cpu0) / 1e6 / n;
            long ok = out.stream().filter(r -> r instanceof ChatResult.Completed).count();
            if (ok != n) throw new IllegalStateException(label + ": lost " + (n - ok) + " requests: "
                    + out.stream().filter(r -> r instanceof ChatResult.Failed).findFirst().orElseThrow());
            System.out.println("  " + label + ": " + engine.usage().format());
            System.out.printf(Locale.ROOT, "  %s: %.2f ms CPU per request (engine + SDK + test server + journal, this process); %.2f cores used on average%n",
                    label, cpuMsPerRequest, cpuMsPerRequest * n / 1000 / secs);
            return n / secs;
        } finally {
            m.close();
        }
    }

    static void warmUp(LlmTestServer server, Path tmp) {
        ChatModel m = ModelCatalog.openSpec("openai:bench@" + server.baseUrl());
        try (LlmEngine engine = LlmEngine.open(tmp.resolve("warm.sqlite")).progress(null).limits(m, ModelLimits.DEFAULT.withMaxInFlight(SLOTS))) {
            engine.chatAll(m, requests("warm-up", WARM_UP), "warm-up");
        } finally {
            m.close();
        }
    }

    static double naive(LlmTestServer server, int n) {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl()).apiKey("none").build();
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                client.chat().completions().create(ChatCompletionCreateParams.builder().model("bench")
                        .addSystemMessage("You are a careful assistant.").addUserMessage("naive request " + i).build());
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        } finally {
            client.close();
        }
    }
}
