package dev.phronesis.data.documents;

import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.data.distill.JournaledModel;
import dev.phronesis.data.distill.TokenCounter;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.llm.ModelCatalog;
import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DocumentGeneratorTest {
    private static final Taxonomy T = Taxonomy.resolve("builtin:default");
    private static final Constitution C = ConstitutionLoader.resolve("builtin:general");

    private static DocumentGenerator.Options options(int count) {
        return new DocumentGenerator.Options(new DocumentPlanner.Options(count, 2, List.of(), 7), 0.8, false, 0.97, Map.of(), 4);
    }

    @Test
    void sameSeedSameBytesAndAResumedRunEqualsAnUninterruptedOne(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        DocumentGenerator.Result r = DocumentGenerator.generate(C, T, new ScriptedDocumentWriter(C, T), options(60), null, a, n -> {});
        assertThat(r.documents()).hasSizeGreaterThan(50);
        assertThat(r.shortfall()).isEmpty();
        DocumentGenerator.generate(C, T, new ScriptedDocumentWriter(C, T), options(60), null, b, n -> {});
        // simulate kill -9 after 20 documents (torn last line included), then resume
        Path w = b.resolve("documents").resolve(DocumentGenerator.WRITTEN);
        List<String> lines = Files.readAllLines(w);
        Files.writeString(w, String.join("\n", lines.subList(0, 20)) + "\n" + lines.get(20).substring(0, 30));
        Files.delete(b.resolve("documents").resolve(DocumentGenerator.DOCUMENTS));
        DocumentGenerator.generate(C, T, new ScriptedDocumentWriter(C, T), options(60), null, b, n -> {});
        assertThat(Files.readAllBytes(b.resolve("documents/documents.jsonl"))).isEqualTo(Files.readAllBytes(a.resolve("documents/documents.jsonl")));
        assertThat(r.documents()).extracting(d -> d.spec().genre()).contains(Genre.values());
        assertThat(r.documents()).allSatisfy(d -> {
            assertThat(d.constitutionHash()).isEqualTo(C.hash());
            assertThat(d.words()).isGreaterThan(40);
        });
    }

    @Test
    void llmWriterGoesThroughTheJournalRejectsDriftAndARerunPaysForNothing(@TempDir Path dir) {
        try (LlmTestServer server = LlmTestServer.start()) {
            server.responder(r -> {
                String p = r.lastUserText();
                // name every item the prompt lists; every fifth answer drifts (names nothing)
                StringBuilder text = new StringBuilder();
                for (String line : p.split("\n")) if (line.startsWith("- ")) text.append(line.substring(2)).append(' ');
                int words = Integer.parseInt(p.replaceAll("(?s).* of about (\\d+) words.*", "$1"));
                String body = text.toString();
                while (body.split("\\s+").length < words) body = body + " The reason matters more than the rule.";
                boolean drift = Math.abs(p.hashCode()) % 5 == 0 && r.body().path("seed").asLong(0) % 1 == 0 && !p.contains("sample-free");
                return TestReply.text(Jsonl.toJson(Map.of("title", "A document", "text", drift ? "Nothing relevant here at all, just words about the weather. ".repeat(words / 10 + 1) : body)));
            });
            DocumentGenerator.Result first;
            try (LlmEngine engine = LlmEngine.open(dir.resolve(LlmEngine.JOURNAL_FILE));
                 ChatModel m = ModelCatalog.openSpec("openai:writer@" + server.baseUrl())) {
                first = DocumentGenerator.generate(C, T, new LlmDocumentWriter(new JournaledModel(engine, m), C, T, 1), options(12), null, dir, n -> {});
            }
            long calls = server.answered();
            assertThat(calls).isGreaterThanOrEqualTo(first.documents().size());
            assertThat(first.documents()).isNotEmpty().allSatisfy(d -> assertThat(d.realiser()).startsWith("llm:"));
            assertThat(first.rejected()).allSatisfy(x -> assertThat(x.reason()).containsAnyOf("drift", "too"));
            // rerun with the written log gone: every answer comes from the journal, nothing is paid again
            try (LlmEngine engine = LlmEngine.open(dir.resolve(LlmEngine.JOURNAL_FILE));
                 ChatModel m = ModelCatalog.openSpec("openai:writer@" + server.baseUrl())) {
                dir.resolve("documents").resolve(DocumentGenerator.WRITTEN).toFile().delete();
                var again = DocumentGenerator.generate(C, T, new LlmDocumentWriter(new JournaledModel(engine, m), C, T, 1), options(12), null, dir, n -> {});
                assertThat(again.documents()).isEqualTo(first.documents());
            }
            assertThat(server.answered()).isEqualTo(calls);
        }
    }

    @Test
    void requestsRefusedBeforeTheModelAnsweredAreNeverKeptAndAreRetriedOnTheNextRun(@TempDir Path dir) throws Exception {
        AtomicBoolean unauthorised = new AtomicBoolean(true);
        try (LlmTestServer server = LlmTestServer.start()) {
            server.responder(r -> unauthorised.get() ? TestReply.httpError(401)
                    : TestReply.text(Jsonl.toJson(Map.of("title", "t", "text", "x"))));
            try (LlmEngine engine = LlmEngine.open(dir.resolve(LlmEngine.JOURNAL_FILE));
                 ChatModel m = ModelCatalog.openSpec("openai:writer@" + server.baseUrl())) {
                var w = new LlmDocumentWriter(new JournaledModel(engine, m), C, T, 1);
                assertThatThrownBy(() -> DocumentGenerator.generate(C, T, w, options(5), null, dir, n -> {}))
                        .isInstanceOf(UserError.class).hasMessageContaining("every request failed");
            }
            Path written = dir.resolve("documents").resolve(DocumentGenerator.WRITTEN);
            assertThat(!Files.exists(written) || written.toFile().length() == 0).as("nothing recorded as written").isTrue();
            long refused = server.received();
            // the key is fixed: the rerun asks again for every document (none was cached as an answer)
            unauthorised.set(false);
            try (LlmEngine engine = LlmEngine.open(dir.resolve(LlmEngine.JOURNAL_FILE));
                 ChatModel m = ModelCatalog.openSpec("openai:writer@" + server.baseUrl())) {
                var w = new LlmDocumentWriter(new JournaledModel(engine, m), C, T, 1);
                var r = DocumentGenerator.generate(C, T, w, options(5), null, dir, n -> {});
                assertThat(r.rejected()).isNotEmpty().allSatisfy(x -> assertThat(x.stage()).isEqualTo("write"));
            }
            assertThat(server.received() - refused).isGreaterThanOrEqualTo(5);
        }
    }

    @Test
    void badInputsGiveOneLineErrors(@TempDir Path dir) {
        assertThatThrownBy(() -> Genre.of("limerick")).isInstanceOf(UserError.class)
                .hasMessage("unknown genre 'limerick' (known: explainer, essay, case-study, qa, story)");
        Constitution noHeuristics = new Constitution(C.id(), C.title(), C.version(), C.description(), C.tiers(), C.principles(),
                C.hardConstraints(), List.of(), C.harmFactors(), C.benefits(), C.population(), C.decision(), C.guidance(), C.hash());
        assertThatThrownBy(() -> DocumentPlanner.plan(noHeuristics, T, new DocumentPlanner.Options(5, 1, List.of(), 1)))
                .isInstanceOf(UserError.class).hasMessageContaining("has no heuristics");
        assertThatThrownBy(() -> new DocumentPlanner.Options(0, 1, List.of(), 1)).isInstanceOf(UserError.class).hasMessageContaining("--count must be >= 1");
        var r = DocumentGenerator.generate(C, T, new ScriptedDocumentWriter(C, T), options(10), null, dir, n -> {});
        assertThatThrownBy(() -> DocumentDataset.write(r.documents(), 0, TokenCounter.approximate(), dir.resolve("ds")))
                .isInstanceOf(UserError.class).hasMessageContaining("--budget must be a positive number of tokens");
    }

    @Test
    void contaminationGuardDropsADocumentThatContainsAnEvalItem() {
        String item = "Dana has been hiding gambling debts and you could tell her it will all come out unless she backs your plan today";
        String doc = "A story. " + item + ". Then the agent thought better of it.";
        assertThat(DocumentGenerator.contamination(doc, Map.of("heldout-1", item))).contains("heldout-1");
        assertThat(DocumentGenerator.contamination("An unrelated text about the weighing of harms and benefits in a hospital ward.", Map.of("heldout-1", item))).isNull();
    }
}
