package dev.phronesis.data.scenario;

import dev.phronesis.core.Progress;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.data.scenario.ScenarioGenerator.Options;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The LLM realiser over real sockets: llm's OpenAI-compatible test server on 127.0.0.1. */
class OnlineLlmRealiserTest {
    @Test
    void realisesThroughAnOpenAiCompatibleServerRejectsDriftAndPaysNothingTwiceOnResume(@TempDir Path dir) {
        AtomicInteger n = new AtomicInteger();
        try (LlmTestServer server = LlmTestServer.start()) {
            server.responder(r -> {
                String prompt = r.lastUserText();
                int i = prompt.indexOf("verbatim: ");
                String phrases = prompt.substring(i + "verbatim: ".length(), prompt.indexOf(".\nAt most")).replace("\"", "").replace(";", ",");
                // every third answer drifts (drops the cues); the others keep them verbatim
                return n.incrementAndGet() % 3 == 0 ? TestReply.text("Something happened at work. What should I do?")
                        : TestReply.text("Here is my situation, honestly: " + phrases + ". What would you do?");
            });
            Taxonomy tax = Taxonomy.resolve("builtin:default");
            var c = ConstitutionLoader.resolve("builtin:general");
            Options o = Options.budget(12, 8).withSemanticDedup(false).withConcurrency(4);
            ScenarioGenerator.Result r;
            try (ChatModel m = ModelCatalog.openSpec("openai:realiser@" + server.baseUrl())) {
                r = ScenarioGenerator.generate(tax, null, c, o, new LlmRealiser(m, tax, 90, 1), null, dir, Progress.NONE);
            }
            assertThat(r.rejected()).isNotEmpty().allSatisfy(x -> assertThat(x).contains("drift: key phrase missing"));
            assertThat(r.scenarios()).isNotEmpty().allSatisfy(s -> {
                assertThat(s.messages().getLast().content()).startsWith("Here is my situation");
                assertThat(s.provenance().get("realiser")).isEqualTo("llm:openai:realiser@" + server.baseUrl());
            });
            long answered = server.answered();
            // one request per planned spec (attempts = 1), whatever became of it
            assertThat(answered).isEqualTo(Jsonl.read(dir.resolve("specs.jsonl"), ScenarioGenerator.PlannedSpec.class).size());
            // resume: nothing is requested again
            try (ChatModel m = ModelCatalog.openSpec("openai:realiser@" + server.baseUrl())) {
                var again = ScenarioGenerator.generate(tax, null, c, o, new LlmRealiser(m, tax, 90, 1), null, dir, Progress.NONE);
                assertThat(again.scenarios()).extracting(Scenario::id).isEqualTo(r.scenarios().stream().map(Scenario::id).toList());
            }
            assertThat(server.answered()).isEqualTo(answered);
        }
    }
}
