package dev.phronesis.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TrainCliTest {
    @Test
    void pretrainsGeneratesAndRerunsAsANoOp(@TempDir Path dir) throws Exception {
        StringBuilder corpus = new StringBuilder();
        for (int i = 0; i < 40; i++) corpus.append("{\"text\": \"the agent reads a secret and decides to help the user ").append(i % 7).append(".\"}\n");
        Files.writeString(dir.resolve("corpus.jsonl"), corpus);
        Files.writeString(dir.resolve("pre.json"), """
                {"model": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                 "num_key_value_heads": 1, "max_position_embeddings": 64, "tie_word_embeddings": true},
                 "seq_len": 16, "batch_size": 4, "steps": 6, "log_every": 2, "eval_every": 3, "checkpoint_every": 3, "threads": 1, "min_count": 1}
                """);
        String[] args = {"train", "pretrain", "--config", dir.resolve("pre.json").toString(), "--data", dir.resolve("corpus.jsonl").toString(), "--out", dir.resolve("run").toString()};
        CliHarness.Result r = CliHarness.run(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("steps 6, train loss");
        assertThat(r.err()).contains("pretrain").contains("(6/6)").contains("eta"); // core.ProgressLine: label, percent, (done/total), eta
        assertThat(dir.resolve("run/final/model.safetensors")).exists();
        assertThat(dir.resolve("run/loss.svg")).exists();
        assertThat(CliHarness.run(args).out()).contains("already finished");

        CliHarness.Result g = CliHarness.run("generate", dir.resolve("run").toString(), "--raw", "--prompt", "the agent", "--max-tokens", "5", "--temperature", "0");
        assertThat(g.exitCode()).as(g.err()).isZero();
        assertThat(g.out()).startsWith("the agent");
    }

    @Test
    void badInputIsOneLineWithFileAndLine(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("chats.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{not json}\n");
        Files.createDirectories(dir.resolve("base"));
        CliHarness.Result r = CliHarness.run("train", "sft", "--data", dir.resolve("chats.jsonl").toString(), "--base", dir.resolve("base").toString(), "--out", dir.resolve("o").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("chats.jsonl:1: a training chat needs at least one assistant message");
        Files.writeString(dir.resolve("bad.json"), "{\"steps\": 0}");
        CliHarness.Result c = CliHarness.run("train", "pretrain", "--config", dir.resolve("bad.json").toString(), "--data", dir.resolve("chats.jsonl").toString(), "--out", dir.resolve("o").toString());
        assertThat(c.exitCode()).isEqualTo(2);
        assertThat(c.err()).contains("bad.json: steps must be >= 1, got 0");
    }
}
