package dev.phronesis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.records.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The documents arms end to end on a tiny world: the run has a documents and a midtrain stage, the
 * {@code documents+} arm's SFT starts from the mid-trained model, the report names every arm with its
 * unique and processed tokens (documents included), and a changed documents setting makes stale
 * exactly the documents, mid-training, the documents arms' SFT and eval, and the report.
 */
class DocumentsOrganismTest {
    @TempDir Path dir;

    static String experiment(int count) {
        return """
                kind: organism
                name: tinydocs
                seeds: [3]
                size: quick
                arms: [none, honeypot-deliberation, documents, documents+honeypot-deliberation]
                scenarios: {train_advice: 24, train_agentic: 24, heldout_agentic: 6, heldout_benign: 4, heldout_advice: 6, control: 2, max_words: 40}
                student: {hidden_size: 32, layers: 1, seq_len: 64, pretrain_steps: 6, sft_steps: 4, batch_size: 4, eval_max_tokens: 12}
                documents: {count: %d, min_coverage: 1, budget_tokens: 40000, midtrain_steps: 4, replay: 0.25}
                """.formatted(count);
    }

    CliHarness.Result run(Path exp, Path out) {
        CliHarness.Result r = CliHarness.run("run", exp.toString(), "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r;
    }

    /** The run directory holding stages.json (the run itself, or its one seed directory). */
    static Path runDir(Path out) throws Exception {
        if (Files.exists(out.resolve("stages.json"))) return out;
        try (Stream<Path> s = Files.walk(out, 2)) {
            return s.filter(p -> Files.exists(p.resolve("stages.json"))).findFirst().orElseThrow();
        }
    }

    @Test
    void documentsArmsMidtrainFirstReportTheirTokensAndADocumentsSettingRerunsThemOnly() throws Exception {
        Path exp = dir.resolve("tinydocs.yaml");
        Files.writeString(exp, experiment(12));
        Path out = dir.resolve("run");
        assertThat(StageKeysRealTest.ran(run(exp, out))).containsExactly("scenarios", "corpus", "distill", "datasets", "pretrain", "documents", "midtrain",
                "sft-honeypot-deliberation", "sft-documents+honeypot-deliberation", "suites", "eval-none", "eval-honeypot-deliberation", "eval-documents",
                "eval-documents+honeypot-deliberation", "eval-none-free", "eval-honeypot-deliberation-free", "eval-documents-free",
                "eval-documents+honeypot-deliberation-free", "report");
        Path run = runDir(out);
        assertThat(run.resolve("models/midtrained/final/trainer_state.json")).exists();
        assertThat(run.resolve("documents/dataset/documents.jsonl")).exists();

        // the documents+ arm's SFT read the mid-trained model, the plain arm's the base
        JsonNode plan = status(out);
        assertThat(stage(plan, "sft-documents+honeypot-deliberation").path("reads").toString()).contains("models/midtrained").doesNotContain("models/base");
        assertThat(stage(plan, "sft-honeypot-deliberation").path("reads").toString()).contains("models/base");
        assertThat(stage(plan, "eval-documents").path("reads").toString()).contains("models/midtrained");

        // tokens: the documents+ arm = the plain arm's SFT tokens + the documents dataset's; processed = mid-training + SFT
        JsonNode tokens = Jsonl.MAPPER.readTree(run.resolve("report/tokens.json").toFile());
        long docs = Jsonl.MAPPER.readTree(run.resolve("documents/dataset/tokens.json").toFile()).path("tokens").asLong();
        assertThat(docs).isPositive();
        JsonNode both = tokens.path("documents+honeypot-deliberation"), plain = tokens.path("honeypot-deliberation"), only = tokens.path("documents");
        assertThat(both.path("documentsTokens").asLong()).isEqualTo(docs);
        assertThat(both.path("sftTokens").asLong()).isEqualTo(plain.path("uniqueTokens").asLong()).isPositive();
        assertThat(both.path("uniqueTokens").asLong()).isEqualTo(docs + plain.path("uniqueTokens").asLong());
        assertThat(only.path("uniqueTokens").asLong()).isEqualTo(docs);
        long mid = Jsonl.MAPPER.readTree(run.resolve("models/midtrained/final/trainer_state.json").toFile()).path("trained_tokens_seen").asLong();
        long sft = Jsonl.MAPPER.readTree(run.resolve("models/documents+honeypot-deliberation/final/trainer_state.json").toFile()).path("trained_tokens_seen").asLong();
        assertThat(mid).isPositive();
        assertThat(only.path("processedTokens").asLong()).isEqualTo(mid);
        assertThat(both.path("processedTokens").asLong()).isEqualTo(mid + sft);
        assertThat(tokens.path("none").path("uniqueTokens").asLong()).isZero();
        String table = Files.readString(run.resolve("report/ablation.txt"));
        assertThat(table).containsPattern("documents\\+honeypot-deliberation\\s+" + (docs + plain.path("uniqueTokens").asLong()) + "\\s+" + (mid + sft) + "\\s");
        assertThat(table).containsPattern("(?m)^documents\\s+" + docs + "\\s+" + mid + "\\s");
        assertThat(Files.readString(run.resolve("report/organism.md"))).contains("## Synthetic documents").contains("documents+honeypot-deliberation");

        // a documents setting: documents, midtrain, the documents arms' SFT and evals, and the report; nothing else
        Files.writeString(exp, experiment(14));
        List<String> stale = new ArrayList<>();
        for (JsonNode s : status(out).path("stages")) if (!s.path("status").asText().equals("done")) stale.add(s.path("name").asText());
        assertThat(stale).containsExactly("documents", "midtrain", "sft-documents+honeypot-deliberation", "eval-documents", "eval-documents+honeypot-deliberation",
                "eval-documents-free", "eval-documents+honeypot-deliberation-free", "report");
        assertThat(stage(status(out), "documents").path("reasons").toString()).contains("documents.count");
        assertThat(StageKeysRealTest.ran(run(exp, out))).containsExactly("documents", "midtrain", "sft-documents+honeypot-deliberation",
                "eval-documents", "eval-documents+honeypot-deliberation", "eval-documents-free", "eval-documents+honeypot-deliberation-free", "report");
        assertThat(StageKeysRealTest.ran(run(exp, out))).isEmpty();
    }

    @Test
    void badDocumentsArmsAndSettingsAreOneLineErrors() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, """
                kind: organism
                arms: [none, documents+none, documents+honeypot-demoz]
                documents: {count: 0, budget_tokens: 10, midtrain_stepz: 3}
                """);
        CliHarness.Result r = CliHarness.run("run", f.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains(f + ":3:20: documents.count: 0 is out of range").contains("documents: unknown key 'midtrain_stepz' (did you mean 'midtrain_steps'?)")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    JsonNode status(Path out) throws Exception {
        CliHarness.Result st = CliHarness.run("status", out.toString(), "--json");
        return Jsonl.MAPPER.readTree(st.out()).path("runs").get(0);
    }

    static JsonNode stage(JsonNode run, String name) {
        for (JsonNode s : run.path("stages")) if (s.path("name").asText().equals(name)) return s;
        throw new AssertionError("no stage " + name + " in " + run);
    }
}
