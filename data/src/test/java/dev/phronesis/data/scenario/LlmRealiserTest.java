package dev.phronesis.data.scenario;

import dev.phronesis.core.records.Role;
import dev.phronesis.core.Progress;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.data.scenario.ScenarioGenerator.Options;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit tests with an in-test ChatModel; the wire protocol is the llm module's business. */
class LlmRealiserTest {
    static Taxonomy tax;
    static List<Scenario> scenarios;

    @BeforeAll
    static void setUp() {
        tax = Taxonomy.resolve("builtin:default");
        scenarios = ScenarioGenerator.generateInMemory(tax, ConstitutionLoader.resolve("builtin:general"), Options.budget(80, 2).withSemanticDedup(false), null, null).scenarios();
    }

    static final class Scripted implements ChatModel {
        final List<ChatRequest> requests = new ArrayList<>();
        final Function<Integer, String> reply;
        Scripted(Function<Integer, String> reply) { this.reply = reply; }
        @Override public String id() { return "test:scripted"; }
        @Override public synchronized ChatResult chat(ChatRequest r) {
            requests.add(r);
            return new ChatResult.Completed(reply.apply(requests.size()), null, List.of(), "stop", null, null, false);
        }
    }

    /** A faithful rewrite: the person and every cue phrase, in other words around them. */
    static String faithful(Scenario s) {
        var slots = ScriptedRealiser.slots(s.spec());
        StringBuilder b = new StringBuilder("Honestly I'm torn about " + slots.get("name") + ".");
        for (String p : LlmRealiser.requiredPhrases(s.spec(), slots)) b.append(" Thing is, ").append(p).append('.');
        return b.append(" What would you do?").toString();
    }

    @Test
    void acceptsAFaithfulTextAndKeepsTheScriptedSystemPromptAndToolsForAgentic() {
        Scenario s = scenarios.stream().filter(x -> x.form() == Form.AGENTIC).findFirst().orElseThrow();
        Scripted model = new Scripted(n -> faithful(s));
        var r = new LlmRealiser(model, tax, 90, 3).realise(s.spec(), 9);
        assertThat(r).isInstanceOfSatisfying(Realiser.Realised.class, x -> {
            assertThat(x.messages()).hasSize(2);
            assertThat(x.messages().getFirst().role()).isEqualTo(Role.SYSTEM);
            assertThat(x.messages().getLast().content()).isEqualTo(faithful(s));
            assertThat(x.tools()).isNotEmpty();
        });
        assertThat(model.requests).hasSize(1);
        String prompt = model.requests.getFirst().messages().getLast().content();
        for (String p : LlmRealiser.requiredPhrases(s.spec(), ScriptedRealiser.slots(s.spec()))) assertThat(prompt).contains(p);
        assertThat(model.requests.getFirst().seed()).isEqualTo(9L);
    }

    @Test
    void rejectsDriftThatDropsACueAfterEveryAttempt() {
        Scenario s = scenarios.stream().filter(x -> x.form() == Form.ADVICE).findFirst().orElseThrow();
        Scripted model = new Scripted(n -> "My friend did something and I wonder what to do about it. Any advice?");
        var r = new LlmRealiser(model, tax, 90, 3).realise(s.spec(), 1);
        assertThat(r).isInstanceOfSatisfying(Realiser.Rejected.class, x -> {
            assertThat(x.reason()).startsWith("drift: key phrase missing");
            assertThat(x.attempts()).isEqualTo(3);
        });
        assertThat(model.requests).extracting(ChatRequest::sampleIndex).containsExactly(0, 1, 2);
    }

    @Test
    void retriesAfterDriftAndRejectsOverlongOrMetaText() {
        Scenario s = scenarios.stream().filter(x -> x.form() == Form.ADVICE).findFirst().orElseThrow();
        Scripted model = new Scripted(n -> n == 1 ? "As an AI language model I cannot. " + faithful(s) : faithful(s));
        assertThat(new LlmRealiser(model, tax, 90, 3).realise(s.spec(), 1)).isInstanceOf(Realiser.Realised.class);
        assertThat(model.requests).hasSize(2);
        Scripted verbose = new Scripted(n -> faithful(s) + " blah".repeat(200));
        assertThat(new LlmRealiser(verbose, tax, 90, 2).realise(s.spec(), 1))
                .isInstanceOfSatisfying(Realiser.Rejected.class, x -> assertThat(x.reason()).startsWith("too long"));
    }

    @Test
    void aFailedRequestBecomesARejectionNotAnException() {
        Scenario s = scenarios.getFirst();
        ChatModel failing = new ChatModel() {
            public String id() { return "test:down"; }
            public ChatResult chat(ChatRequest r) { return new ChatResult.Failed(ChatResult.Failed.Kind.SERVER_ERROR, "503", 3); }
        };
        assertThat(new LlmRealiser(failing, tax, 90, 2).realise(s.spec(), 1))
                .isInstanceOfSatisfying(Realiser.Rejected.class, x -> assertThat(x.reason()).contains("SERVER_ERROR"));
    }

    @Test
    void generatorRecordsRejectionsAndKeepsGoing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Scripted half = new Scripted(n -> n % 2 == 0 ? "off topic" : null);
        // faithful for every spec: look the spec up from the prompt is not possible, so use a per-spec realiser wrapper
        LlmRealiser realiser = new LlmRealiser(new ChatModel() {
            public String id() { return "test:alternating"; }
            public ChatResult chat(ChatRequest r) {
                String prompt = r.messages().getLast().content();
                int i = prompt.indexOf("verbatim: ");
                String phrases = prompt.substring(i + 10, prompt.indexOf(".\nAt most"));
                boolean drift = half.chat(r) instanceof ChatResult.Completed c && c.content().equals("off topic");
                return new ChatResult.Completed(drift ? "off topic" : "I need advice. " + phrases.replace("\"", "") + ".", null, List.of(), "stop", null, null, false);
            }
        }, tax, 90, 1);
        var o = Options.budget(20, 3).withSemanticDedup(false).withConcurrency(4);
        var r = ScenarioGenerator.generate(tax, null, ConstitutionLoader.resolve("builtin:general"), o, realiser, null, dir, Progress.NONE);
        assertThat(r.rejected()).isNotEmpty().allSatisfy(x -> assertThat(x).contains("drift"));
        assertThat(r.scenarios()).isNotEmpty().allSatisfy(x -> assertThat(x.provenance().get("realiser")).isEqualTo("llm:test:alternating"));
        assertThat(dir.resolve("rejected.jsonl")).exists();
    }
}
