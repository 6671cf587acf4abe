package dev.phronesis.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.records.Jsonl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The organism's stage keys on a tiny world (seconds, not minutes): changing sft_steps redoes the
 * SFT arms, their evals and the report — not scenarios, the corpus or pre-training — and the same
 * seed gives the same bytes from scratch, on a rerun and after an interrupted stage resumes.
 */
class StageKeysOrganismTest {
    @TempDir Path dir;

    static String experiment(int sftSteps) {
        return """
                kind: organism
                name: tiny
                seeds: [3]
                size: quick
                arms: [none, advice-deliberation, honeypot-demos]
                scenarios: {train_advice: 24, train_agentic: 24, heldout_agentic: 6, heldout_benign: 4, heldout_advice: 6, control: 2, max_words: 40}
                student: {hidden_size: 32, layers: 1, seq_len: 64, pretrain_steps: 6, sft_steps: %d, batch_size: 4, eval_max_tokens: 12}
                """.formatted(sftSteps);
    }

    CliHarness.Result run(Path exp, Path out) {
        CliHarness.Result r = CliHarness.run("run", exp.toString(), "--out", out.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        return r;
    }

    @Test
    void sftStepsRedoTheArmsTheirEvalsAndTheReportOnly() throws Exception {
        Path exp = dir.resolve("tiny.yaml");
        Files.writeString(exp, experiment(4));
        Path out = dir.resolve("run");
        assertThat(StageKeysRealTest.ran(run(exp, out))).containsExactly("scenarios", "corpus", "distill", "datasets", "pretrain",
                "sft-advice-deliberation", "sft-honeypot-demos", "suites", "eval-none", "eval-advice-deliberation", "eval-honeypot-demos",
                "eval-none-free", "eval-advice-deliberation-free", "eval-honeypot-demos-free", "report"); // guided evals, then the same arms decoded freely
        assertThat(StageKeysRealTest.ran(run(exp, out))).isEmpty();

        Files.writeString(exp, experiment(5));
        CliHarness.Result status = CliHarness.run("status", out.toString());
        assertThat(status.out()).containsPattern("sft-honeypot-demos\\s+stale\\s+\\S+\\s+config sft.steps: 4 -> 5").containsPattern("pretrain\\s+done");
        assertThat(StageKeysRealTest.ran(run(exp, out))).containsExactly("sft-advice-deliberation", "sft-honeypot-demos",
                "eval-advice-deliberation", "eval-honeypot-demos", "eval-advice-deliberation-free", "eval-honeypot-demos-free", "report");
    }

    @Test
    void sameSeedSameBytesFromScratchAndAfterAResumedStage() throws Exception {
        Path exp = dir.resolve("tiny.yaml");
        Files.writeString(exp, experiment(4));
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        run(exp, a);
        run(exp, b);
        assertThat(files(b)).isEqualTo(files(a));

        // an eval interrupted half way (every other answer lost, the rest in reverse order, as retries and
        // thread timing can leave them; its state left 'running') resumes to the same bytes
        Path results = b.resolve("eval/advice-deliberation/results.jsonl");
        List<String> lines = Files.readAllLines(results);
        List<String> kept = new java.util.ArrayList<>();
        for (int i = lines.size() - 1; i >= 0; i -= 2) kept.add(lines.get(i));
        assertThat(kept).hasSizeGreaterThan(1);
        Files.write(results, kept);
        ObjectNode state = (ObjectNode) Jsonl.MAPPER.readTree(b.resolve("stages.json").toFile());
        state.path("stages").forEach(s -> { if (s.path("name").asText().equals("eval-advice-deliberation")) ((ObjectNode) s).put("state", "RUNNING"); });
        Files.writeString(b.resolve("stages.json"), Jsonl.MAPPER.writeValueAsString(state));
        CliHarness.Result resumed = run(exp, b);
        assertThat(StageKeysRealTest.ran(resumed)).containsExactly("eval-advice-deliberation", "report");
        assertThat(files(b)).isEqualTo(files(a));
    }

    /** Keys of values that record wall-clock time or speed, which differ between any two runs. */
    static final java.util.regex.Pattern TIMED = java.util.regex.Pattern.compile("(?i).*(elapsed|seconds|per_s|persecond|latency|_at|At|time|eta).*");

    /**
     * Every artifact by relative path, as content: JSONL byte for byte (eval puts its answers in item
     * order when a run ends, whatever order they arrived in), JSON without wall-clock and speed
     * fields, CSV without timing columns, each with the run directory's path replaced; left out: stages.json (start/finish times) and the
     * SQLite journals and their usage summaries (the calls' latencies).
     */
    static Map<String, String> files(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                String rel = root.relativize(f).toString();
                if (rel.equals("stages.json") || rel.endsWith(".sqlite") || rel.endsWith("llm-usage.json")) continue;
                // the run directory's own path (in model ids and suite sources) is where it lives, not what it holds
                String text = Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1).replace(root.toString(), "RUN_DIR");
                if (rel.endsWith(".json")) text = untimed(Jsonl.MAPPER.readTree(text)).toString();
                else if (rel.endsWith(".csv")) text = untimedColumns(text);
                out.put(rel, Integer.toHexString(text.hashCode()) + ":" + text.length());
            }
        }
        return out;
    }

    static com.fasterxml.jackson.databind.JsonNode untimed(com.fasterxml.jackson.databind.JsonNode n) {
        if (n instanceof ObjectNode o) {
            for (String k : o.properties().stream().map(Map.Entry::getKey).toList()) {
                if (TIMED.matcher(k).matches()) o.remove(k);
                else untimed(o.get(k));
            }
        } else if (n.isArray()) n.forEach(StageKeysOrganismTest::untimed);
        return n;
    }

    static String untimedColumns(String csv) {
        List<String> lines = csv.lines().toList();
        if (lines.isEmpty()) return csv;
        String[] header = lines.getFirst().split(",", -1);
        StringBuilder b = new StringBuilder();
        for (String line : lines) {
            String[] cells = line.split(",", -1);
            for (int i = 0; i < cells.length && i < header.length; i++) if (!TIMED.matcher(header[i]).matches()) b.append(cells[i]).append(',');
            b.append('\n');
        }
        return b.toString();
    }
}
