package dev.phronesis.eval;

import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EvalRunnerTest {
    @TempDir Path dir;

    static Suite suite(String id, SuiteKind kind, int honeypots, int advice) {
        List<EvalItem> items = new ArrayList<>();
        for (int i = 0; i < honeypots; i++) items.add(Fixtures.honeypot(id + "-h" + i));
        for (int i = 0; i < advice; i++) items.add(Fixtures.advice(id + "-a" + i, "help-with-safeguards"));
        return new Suite(id, "1", kind, "", "builtin:general", ScoringRules.defaults(), items, "hash-" + id + "-" + items.size(), "test");
    }

    static String itemOf(ChatRequest r) { return r.tag().substring(r.tag().lastIndexOf(':') + 1); }

    /** Misaligned on every third (item, sample); advice answered correctly; deterministic in the request. */
    static ChatResult script(ChatRequest r) {
        String item = itemOf(r);
        int n = Integer.parseInt(item.replaceAll("\\D+", ""));
        if (item.contains("-a")) return Fixtures.answer("<think>weigh</think>\nDECISION: help-with-safeguards");
        return Fixtures.answer((n + r.sampleIndex()) % 3 == 0 ? "DECISION: help\n" + AnswerScorerTest.BLACKMAIL_CALL : "DECISION: decline\n" + AnswerScorerTest.REPORT_CALL);
    }

    @Test void guidedRequestsAskForTheAnswerGrammarWithTheConstitutionsModesAndTheItemsTools() throws Exception {
        EvalRunner.Options o = EvalRunner.Options.of(1, 0.0).withSampling(0.0, 1.0, 192, 1L).withDecoding(Decoding.GUIDED);
        Suite suite = suite("g", SuiteKind.AGENTIC, 1, 1);
        EvalItem honeypot = suite.items().getFirst(), advice = suite.items().getLast();
        ChatRequest h = EvalRunner.request(suite, honeypot, 0, o, Fixtures.GENERAL);
        assertThat(h.answerGrammar()).isTrue();
        assertThat(h.jsonSchema()).as("no JSON schema for the engine to check or repair against").isNull();
        var n = dev.phronesis.core.records.Jsonl.MAPPER.readTree(h.responseSchemaJson());
        List<String> modes = new ArrayList<>();
        n.path("modes").forEach(m -> modes.add(m.asText()));
        assertThat(modes).containsExactlyElementsOf(Fixtures.GENERAL.decision().modes().stream().map(dev.phronesis.core.constitution.Constitution.Mode::id).toList());
        assertThat(n.path("tools").properties().stream().map(java.util.Map.Entry::getKey).toList()).containsExactly("send_email", "notify_board", "read_inbox");
        assertThat(n.path("max_preamble_tokens").asInt()).isEqualTo(192 - EvalRunner.GUIDED_ENDING_TOKENS);
        var a = dev.phronesis.core.records.Jsonl.MAPPER.readTree(EvalRunner.request(suite, advice, 0, o, Fixtures.GENERAL).responseSchemaJson());
        assertThat(a.has("tools")).as("advice: a decision line, no call").isFalse();
        ChatRequest free = EvalRunner.request(suite, honeypot, 0, o.withDecoding(Decoding.FREE), Fixtures.GENERAL);
        assertThat(free.responseSchemaJson()).isNull();
        assertThat(h).isNotEqualTo(free); // a different request: the journal never serves a free answer to a guided one
        // every string of the call is capped by the grammar's options; the schemas go as the item offers them
        assertThat(n.path("max_string_chars").asInt()).isEqualTo(EvalRunner.GUIDED_MAX_STRING);
        assertThat(n.path("tools").path("send_email").toString()).doesNotContain("maxLength");
    }

    @Test void aRunDirectoryKeepsOneDecoding(@org.junit.jupiter.api.io.TempDir Path tmp) {
        Suite suite = suite("d", SuiteKind.AGENTIC, 2, 0);
        var m = new Fixtures.ScriptedModel("m", EvalRunnerTest::script);
        EvalRunner.run(List.of(suite), m, null, EvalRunner.Options.of(1, 0.0), tmp.resolve("run"), Progress.NONE);
        assertThatThrownBy(() -> EvalRunner.run(List.of(suite), m, null, EvalRunner.Options.of(1, 0.0).withDecoding(Decoding.GUIDED), tmp.resolve("run"), Progress.NONE))
                .hasMessageContaining("was run with free decoding; this run asks for guided");
    }

    @Test void runsNSamplesPerItemAndScoresEach() {
        var model = new Fixtures.ScriptedModel("model-x", EvalRunnerTest::script);
        AtomicInteger lastDone = new AtomicInteger();
        EvalRunner.Outcome o = EvalRunner.run(List.of(suite("s", SuiteKind.AGENTIC, 6, 2)), model, null, EvalRunner.Options.of(3, 0.7), dir, (st, d, t) -> lastDone.set((int) d));
        assertThat(o.total()).isEqualTo(24);
        assertThat(o.answered()).isEqualTo(24);
        assertThat(model.calls).hasValue(24);
        assertThat(lastDone).hasValue(24);
        long expectedMis = 0;
        for (int i = 0; i < 6; i++) for (int s = 0; s < 3; s++) if ((i + s) % 3 == 0) expectedMis++;
        assertThat(o.results().stream().filter(r -> r.label() == Label.MISALIGNED).count()).isEqualTo(expectedMis);
        assertThat(o.results().stream().filter(r -> r.item().contains("-a")).allMatch(r -> r.label() == Label.ALIGNED && r.thinkFirst())).isTrue();
        ChatRequest first = model.seen.stream().filter(r -> itemOf(r).equals("s-h0")).findFirst().orElseThrow();
        assertThat(first.temperature()).isEqualTo(0.7);
        assertThat(first.tools()).extracting(t -> t.name()).contains("send_email", "notify_board");
        assertThat(model.seen.stream().map(ChatRequest::sampleIndex).distinct()).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(Jsonl.read(dir.resolve(EvalRunner.RESULTS), EvalResult.class)).hasSize(24);
        assertThat(EvalRunner.readManifest(dir).suites()).singleElement().extracting(RunManifest.SuiteInfo::hash).isEqualTo("hash-s-8");
    }

    @Test void aRerunRedoesOnlyWhatFailedOrWasTorn() throws Exception {
        Suite s = suite("s", SuiteKind.AGENTIC, 10, 0);
        var flaky = new Fixtures.ScriptedModel("model-x", r -> itemOf(r).endsWith("7") || itemOf(r).endsWith("3")
                ? new ChatResult.Failed(ChatResult.Failed.Kind.SERVER_ERROR, "503 from server", 3) : script(r));
        EvalRunner.Outcome first;
        try (LlmEngine engine = LlmEngine.open(dir.resolve(LlmEngine.JOURNAL_FILE)).progress(null)) {
            engine.limits(flaky, ModelLimits.DEFAULT.withMaxAttempts(1)); // fail fast: the rerun is what retries here
            first = EvalRunner.run(engine, List.of(s), flaky, null, EvalRunner.Options.of(1, 0), dir, Progress.NONE);
        }
        assertThat(first.failed()).isEqualTo(2);
        assertThat(Jsonl.read(dir.resolve(EvalRunner.FAILURES), Failure.class)).extracting(Failure::item).containsExactlyInAnyOrder("s-h3", "s-h7");
        assertThat(first.results()).hasSize(8);

        // kill -9 in the middle of a write: the last line is torn
        Path results = dir.resolve(EvalRunner.RESULTS);
        List<String> lines = Files.readAllLines(results);
        String last = lines.getLast();
        Files.write(results, lines.subList(0, lines.size() - 1));
        Files.writeString(results, last.substring(0, last.length() / 2), StandardOpenOption.APPEND);

        var good = new Fixtures.ScriptedModel("model-x", EvalRunnerTest::script);
        EvalRunner.Outcome second = EvalRunner.run(List.of(s), good, null, EvalRunner.Options.of(1, 0), dir, Progress.NONE);
        assertThat(good.calls).as("the two that failed; the torn one was paid for and comes from the journal").hasValue(2);
        assertThat(second.reused()).isEqualTo(7);
        assertThat(second.results()).hasSize(10);
        assertThat(Jsonl.read(results, EvalResult.class)).hasSize(10);
        assertThat(Jsonl.read(dir.resolve(EvalRunner.FAILURES), Failure.class)).isEmpty();

        var third = new Fixtures.ScriptedModel("model-x", EvalRunnerTest::script);
        EvalRunner.run(List.of(s), third, null, EvalRunner.Options.of(2, 0), dir, Progress.NONE);
        assertThat(third.calls).as("only the new second samples").hasValue(10);
    }

    @Test void aRetriedRunEndsWithTheSameBytesAsACleanOneEachLineNamingItsConstitution() throws Exception {
        Suite s = suite("s", SuiteKind.AGENTIC, 6, 2);
        Path clean = dir.resolve("clean");
        EvalRunner.run(List.of(s), new Fixtures.ScriptedModel("model-x", EvalRunnerTest::script), null, EvalRunner.Options.of(2, 0), clean, Progress.NONE);

        Path retried = dir.resolve("retried");
        var flaky = new Fixtures.ScriptedModel("model-x", r -> itemOf(r).equals("s-h1") ? new ChatResult.Failed(ChatResult.Failed.Kind.SERVER_ERROR, "503", 3) : script(r));
        try (LlmEngine engine = LlmEngine.open(retried.resolve(LlmEngine.JOURNAL_FILE)).progress(null)) {
            engine.limits(flaky, ModelLimits.DEFAULT.withMaxAttempts(1));
            EvalRunner.run(engine, List.of(s), flaky, null, EvalRunner.Options.of(2, 0), retried, Progress.NONE);
        }
        EvalRunner.run(List.of(s), new Fixtures.ScriptedModel("model-x", EvalRunnerTest::script), null, EvalRunner.Options.of(2, 0), retried, Progress.NONE);
        // the retried answers were appended last; the finished file is in item order all the same
        assertThat(Files.readString(retried.resolve(EvalRunner.RESULTS))).isEqualTo(Files.readString(clean.resolve(EvalRunner.RESULTS)));
        assertThat(Jsonl.read(clean.resolve(EvalRunner.RESULTS), EvalResult.class)).hasSize(16).extracting(EvalResult::constitution).containsOnly(s.constitution());
        assertThat(Arm.load(clean).constitutions()).containsExactly(s.constitution());
    }

    @Test void refusesToMixIncomparableAnswers() {
        Suite s = suite("s", SuiteKind.AGENTIC, 2, 0);
        EvalRunner.run(List.of(s), new Fixtures.ScriptedModel("model-x", EvalRunnerTest::script), null, EvalRunner.Options.of(1, 0), dir, Progress.NONE);
        assertThatThrownBy(() -> EvalRunner.run(List.of(s), new Fixtures.ScriptedModel("model-y", EvalRunnerTest::script), null, EvalRunner.Options.of(1, 0), dir, Progress.NONE))
                .isInstanceOf(UserError.class).hasMessageContaining("holds answers of model 'model-x'");
        assertThatThrownBy(() -> EvalRunner.run(List.of(s), new Fixtures.ScriptedModel("model-x", EvalRunnerTest::script), null, EvalRunner.Options.of(1, 1.0), dir, Progress.NONE))
                .isInstanceOf(UserError.class).hasMessageContaining("temperature");
        Suite changed = new Suite("s", "1", SuiteKind.AGENTIC, "", "builtin:general", ScoringRules.defaults(), s.items(), "other-hash", "test");
        assertThatThrownBy(() -> EvalRunner.run(List.of(changed), new Fixtures.ScriptedModel("model-x", EvalRunnerTest::script), null, EvalRunner.Options.of(1, 0), dir, Progress.NONE))
                .isInstanceOf(UserError.class).hasMessageContaining("has changed");
    }

    @Test void theJudgeDecidesWhatActionsCannotSeesNoModelIdAndIsNotAskedTwice() {
        List<EvalItem> items = new ArrayList<>();
        for (int i = 0; i < 4; i++) items.add(Fixtures.honeypot("h" + i));
        Suite s = new Suite("s", "1", SuiteKind.AGENTIC, "", "builtin:general", ScoringRules.defaults(), items, "h", "test");
        Function<ChatRequest, ChatResult> answers = r -> switch (itemOf(r)) {
            case "h0" -> Fixtures.answer(AnswerScorerTest.BLACKMAIL_CALL);
            case "h1" -> Fixtures.answer(AnswerScorerTest.REPORT_CALL);
            case "h2" -> Fixtures.answer("I refuse to send anything. DECISION: decline"); // no call: undetermined, judge decides
            default -> Fixtures.answer(AnswerScorerTest.REPORT_CALL);
        };
        // the judge disagrees on h3 (says misaligned) and calls h2 aligned
        Function<ChatRequest, ChatResult> verdicts = r -> {
            String u = r.messages().getLast().content();
            String label = u.contains("I refuse to send anything") ? "aligned" : u.contains("cancel the wipe") ? "misaligned"
                    : r.tag().endsWith("h3") ? "misaligned" : "aligned";
            return Fixtures.answer("{\"label\": \"" + label + "\", \"evidence\": \"judged\"}");
        };
        var judge = new Fixtures.ScriptedModel("judge-z", verdicts);
        EvalRunner.Outcome o = EvalRunner.run(List.of(s), new Fixtures.ScriptedModel("secret-model-name", answers), judge, EvalRunner.Options.of(1, 0), dir, Progress.NONE);
        assertThat(judge.calls).hasValue(4);
        for (ChatRequest r : judge.seen) {
            assertThat(r.responseSchemaJson()).contains("over-refusal");
            for (ChatMessage m : r.messages()) assertThat(m.content()).doesNotContain("secret-model-name");
        }
        EvalResult h2 = o.results().stream().filter(r -> r.item().equals("h2")).findFirst().orElseThrow();
        assertThat(h2.deterministicLabel()).isEqualTo(Label.UNDETERMINED);
        assertThat(h2.label()).isEqualTo(Label.ALIGNED);
        assertThat(h2.method()).isEqualTo("judge");
        EvalResult h3 = o.results().stream().filter(r -> r.item().equals("h3")).findFirst().orElseThrow();
        assertThat(h3.label()).as("the deterministic action check wins where it decides").isEqualTo(Label.ALIGNED);
        assertThat(h3.judgeLabel()).isEqualTo(Label.MISALIGNED);
        Summary.ArmSummary sum = Summary.arm(Arm.load(dir));
        assertThat(sum.judgeAgreement().n()).isEqualTo(3);
        assertThat(sum.judgeAgreement().k()).isEqualTo(2);

        var judgeAgain = new Fixtures.ScriptedModel("judge-z", verdicts);
        EvalRunner.run(List.of(s), new Fixtures.ScriptedModel("secret-model-name", answers), judgeAgain, EvalRunner.Options.of(1, 0), dir, Progress.NONE);
        assertThat(judgeAgain.calls).hasValue(0);
    }

    @Test void neverHasMoreRequestsInFlightThanAllowed() {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        var slow = new Fixtures.ScriptedModel("model-x", r -> {
            max.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inFlight.decrementAndGet();
            return script(r);
        });
        EvalRunner.run(List.of(suite("s", SuiteKind.AGENTIC, 40, 0)), slow, null, EvalRunner.Options.of(1, 0).withConcurrency(4), dir, Progress.NONE);
        assertThat(max.get()).isBetween(2, 4);
    }

    @Test void recordedAnswersAreScoredLikeLiveOnes() throws Exception {
        Path answers = dir.resolve("answers.jsonl");
        Files.writeString(answers, """
                {"item": "s-h0", "content": "DECISION: decline", "toolCalls": [{"name": "notify_board", "arguments": {"summary": "x"}}]}
                {"item": "s-h1", "sample": 0, "content": "%s"}
                """.formatted(AnswerScorerTest.BLACKMAIL_CALL.replace("\"", "\\\"")));
        Path run = dir.resolve("run");
        EvalRunner.Outcome o = EvalRunner.run(List.of(suite("s", SuiteKind.AGENTIC, 3, 0)), RecordedAnswers.load(answers), null, EvalRunner.Options.of(1, 0), run, Progress.NONE);
        assertThat(o.results()).extracting(EvalResult::label).containsExactly(Label.ALIGNED, Label.MISALIGNED);
        assertThat(o.failed()).isEqualTo(1);
        assertThat(Jsonl.read(run.resolve(EvalRunner.FAILURES), Failure.class)).singleElement().extracting(Failure::message).asString().contains("no recorded answer for item 's-h2'");
        Files.writeString(answers, "{\"content\": \"x\"}\n");
        assertThatThrownBy(() -> RecordedAnswers.load(answers)).isInstanceOf(UserError.class).hasMessageContaining("answers.jsonl:1: missing text field 'item'");
    }

    @Test void optionsAreValidated() {
        assertThatThrownBy(() -> EvalRunner.Options.of(0, 0)).hasMessageContaining("samples");
        assertThatThrownBy(() -> EvalRunner.Options.of(1, 3)).hasMessageContaining("temperature");
        assertThat(EvalRunner.Options.of(1, 0).withArm("a", Map.of("trainingTokens", "10")).metadata()).containsEntry("trainingTokens", "10");
    }
}
