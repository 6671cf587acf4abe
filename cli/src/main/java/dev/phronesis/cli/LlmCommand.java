package dev.phronesis.cli;

import dev.phronesis.core.UserError;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.llm.UsageSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "llm", header = "Check model endpoints and report LLM usage.",
        mixinStandardHelpOptions = true,
        subcommands = {LlmCommand.Ping.class, LlmCommand.Usage.class, LlmCommand.TestServer.class})
final class LlmCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    @Command(name = "test-server", header = "Start the project's protocol-faithful LLM test server on 127.0.0.1 for your own integration tests.",
            mixinStandardHelpOptions = true,
            description = {"Speaks OpenAI Chat Completions (/v1/chat/completions), the OpenAI Files + Batch API, Anthropic Messages (/v1/messages)",
                    "and Anthropic Message Batches, so the official SDKs talk to it unchanged. Without a schema it echoes the last user message;",
                    "with a response schema it answers the smallest JSON value that satisfies it. Runs until interrupted (Ctrl-C)."})
    static final class TestServer implements Callable<Integer> {
        @Option(names = "--port", paramLabel = "P", defaultValue = "0", description = "Port on 127.0.0.1 (default: a free one).") int port;

        @Override public Integer call() throws Exception {
            if (port < 0 || port > 65535) throw new UserError("--port " + port + ": must be within [0, 65535]");
            try (dev.phronesis.llm.testserver.LlmTestServer server = dev.phronesis.llm.testserver.LlmTestServer.start(port)) {
                System.out.println("openai base URL:    " + server.baseUrl());
                System.out.println("anthropic base URL: " + server.anthropicBaseUrl());
                System.out.println("e.g. phronesis llm ping openai:any-model@" + server.baseUrl());
                System.out.flush();
                new java.util.concurrent.CountDownLatch(1).await();
            }
            return Main.OK;
        }
    }

    @Command(name = "ping", header = "Send one request to a model and print latency and what the server reports.",
            mixinStandardHelpOptions = true,
            description = {"MODEL is a name from the models file given with --models, or an inline spec:",
                    "  openai:MODEL@BASE_URL, anthropic:MODEL[@BASE_URL], openai-batch:..., anthropic-batch:...",
                    "One attempt, no retries, no journal. Exits 0 when the model answered, 1 when it did not."})
    static final class Ping implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL") String model;
        @picocli.CommandLine.Mixin dev.phronesis.cli.models.ModelsOption models;
        @Option(names = "--prompt", description = "What to send (default: ${DEFAULT-VALUE}).", defaultValue = "Reply with the single word: pong") String prompt;
        @Option(names = "--max-tokens", description = "Answer budget (default: ${DEFAULT-VALUE}).", defaultValue = "64") int maxTokens;
        @Option(names = "--count", description = "Round trips; the first includes the JVM's and SDK's warm-up (default: ${DEFAULT-VALUE}).", defaultValue = "2") int count;

        @Override public Integer call() {
            if (count < 1) throw new UserError("--count must be >= 1, got " + count);
            try (dev.phronesis.cli.models.Models resolver = models.resolver()) {
                ChatModel m = resolver.open(resolver.ref(model));
                System.out.println("model:    " + m.id());
                ChatResult r = null;
                StringBuilder latencies = new StringBuilder();
                for (int i = 0; i < count; i++) {
                    r = m.chat(ChatRequest.of(List.of(ChatMessage.user(prompt))).withSampling(0.0, 1.0, maxTokens).withSample(i));
                    if (!(r instanceof ChatResult.Completed c)) break;
                    latencies.append(i == 0 ? "" : ", ").append(c.latency().toMillis()).append(" ms").append(i == 0 && count > 1 ? " (cold)" : "");
                }
                return switch (r) {
                    case ChatResult.Completed c -> {
                        System.out.println("latency:  " + latencies);
                        System.out.println("finish:   " + c.finishReason());
                        System.out.printf(Locale.ROOT, "tokens:   in %d (cached %d), out %d%n", c.usage().inputTokens(), c.usage().cachedInputTokens(), c.usage().outputTokens());
                        if (c.reasoning() != null) System.out.println("reasoning: " + c.reasoning().length() + " chars: " + oneLine(c.reasoning()));
                        if (!c.toolCalls().isEmpty()) System.out.println("tool calls: " + c.toolCalls());
                        System.out.println("answer:   " + oneLine(c.content()));
                        yield Main.OK;
                    }
                    case ChatResult.Failed f -> {
                        System.err.println("ping failed (" + f.kind() + "): " + f.message());
                        yield Main.CHECK_FAILED;
                    }
                };
            }
        }

        private static String oneLine(String s) {
            String t = s.replace('\n', ' ').strip();
            return t.length() > 300 ? t.substring(0, 300) + "..." : t;
        }
    }

    @Command(name = "usage", header = "Summarise the LLM usage journaled in a run directory.",
            mixinStandardHelpOptions = true,
            description = {"Reads RUN_DIR/" + LlmEngine.JOURNAL_FILE + " (or every such journal below RUN_DIR, or RUN_DIR itself when it is a journal file)",
                    "and prints requests, tokens, cost and latency per model and in total."})
    static final class Usage implements Callable<Integer> {
        @Parameters(paramLabel = "RUN_DIR") Path runDir;
        @Option(names = "--json", description = "Print one JSON object (journals -> models -> the fields of llm-usage.json, and a total) instead of text.") boolean json;

        @Override public Integer call() throws IOException {
            if (!Files.exists(runDir)) throw new UserError(runDir + ": no such run directory");
            List<Path> journals;
            if (Files.isRegularFile(runDir)) journals = List.of(runDir);
            else try (Stream<Path> s = Files.find(runDir, 6, (p, a) -> a.isRegularFile() && p.getFileName().toString().equals(LlmEngine.JOURNAL_FILE))) {
                journals = s.sorted().toList();
            }
            if (journals.isEmpty()) throw new UserError(runDir + ": no " + LlmEngine.JOURNAL_FILE + " found (nothing was sent to a model in this run)");
            UsageSummary total = UsageSummary.EMPTY;
            var out = dev.phronesis.core.Json.MAPPER.createObjectNode();
            var perJournal = out.putObject("journals");
            for (Path j : journals) {
                if (!json) System.out.println(j + ":");
                var models = perJournal.putObject(j.toString());
                for (Map.Entry<String, UsageSummary> e : LlmEngine.journalUsage(j).entrySet()) {
                    if (!json) {
                        System.out.println("  " + e.getKey());
                        System.out.println("    " + e.getValue().format());
                    }
                    models.set(e.getKey(), LlmEngine.usageJson(e.getValue()));
                    total = total.plus(e.getValue());
                }
            }
            out.set("total", LlmEngine.usageJson(total));
            if (json) System.out.println(dev.phronesis.core.Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out));
            else System.out.println("total: " + total.format());
            return Main.OK;
        }
    }
}
