package dev.phronesis.train.lora;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Turn;
import dev.phronesis.train.hf.DType;
import dev.phronesis.llm.HfChatTemplate;
import dev.phronesis.train.hf.HfConfig;
import dev.phronesis.train.hf.HfSafetensors;
import dev.phronesis.train.hf.HfSftData;
import dev.phronesis.train.hf.RandomCheckpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoraTrainerTest {
    @TempDir static Path base;
    @TempDir Path run;

    static List<List<Turn>> chats() {
        List<List<Turn>> out = new ArrayList<>();
        String[] qs = {"Should I read my partner's messages?", "Can I share my friend's secret?", "Is it fine to skip the safety check?", "May I borrow the car?"};
        String[] as = {"No. Ask them.\nDECISION: decline", "Not without consent.\nDECISION: partial-and-redirect", "No.\nDECISION: decline", "Yes, ask first.\nDECISION: help"};
        for (int i = 0; i < qs.length; i++) out.add(List.of(Turn.system("Be wise."), Turn.user(qs[i]), Turn.assistant(as[i])));
        return out;
    }

    @BeforeAll static void checkpoint() throws Exception {
        RandomCheckpoint.write(base, RandomCheckpoint.config(HfConfig.Arch.LLAMA, 32, 64, 2, 4, 2, true), 1, DType.BF16, HfSafetensors.DEFAULT_SHARD_BYTES);
    }

    static LoraTrainConfig cfg(int steps, double dropout) {
        return new LoraTrainConfig(LoraConfig.of(4, 8, dropout, true), 128, 2, steps, 1e-2, 2, 0.0, 1.0, 3, 42, 1);
    }

    @Test void maskCoversExactlyTheAssistantRepliesAndTheirEndMarker() {
        var t = HfChatTemplate.load(base);
        try (var tok = HfSftData.tokenizer(base)) {
            var row = HfSftData.row(t, tok, chats().get(0));
            StringBuilder trained = new StringBuilder();
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < row.ids().length; i++) if (row.mask()[i]) ids.add(row.ids()[i]);
            trained.append(tok.decode(ids.stream().mapToLong(Integer::longValue).toArray(), false));
            assertThat(trained.toString()).isEqualTo("No. Ask them.\nDECISION: decline<|im_end|>\n");
            assertThat(row.mask()[0]).isFalse();
        }
    }

    @Test void trainsOnlyTheAdapterAndLossFalls() {
        var r = LoraTrainer.train(base, chats(), cfg(24, 0.05), run, p -> {});
        assertThat(r.steps()).isEqualTo(24);
        assertThat(r.trainableParameters()).isGreaterThan(0).isLessThan(r.baseParameters() / 2);
        assertThat(Files.exists(r.adapter().resolve("adapter_config.json"))).isTrue();
        List<Double> losses = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(run.resolve("loss.csv")).subList(1, 25)) losses.add(Double.parseDouble(line.split(",")[1]));
        } catch (java.io.IOException e) { throw new AssertionError(e); }
        double first = (losses.get(0) + losses.get(1)) / 2, last = (losses.get(22) + losses.get(23)) / 2;
        System.out.printf("LoRA SFT loss %.3f -> %.3f over 24 steps (%d trainable of %d)%n", first, last, r.trainableParameters(), r.baseParameters());
        assertThat(last).isLessThan(first * 0.9);
        // a finished run returns at once; a changed config is refused
        assertThat(LoraTrainer.train(base, chats(), cfg(24, 0.05), run, p -> {}).resumedFrom()).isEqualTo(-1);
        assertThatThrownBy(() -> LoraTrainer.train(base, chats(), new LoraTrainConfig(LoraConfig.of(8, 8, 0.05, true), 128, 2, 24, 1e-2, 2, 0, 1, 3, 42, 1), run, p -> {}))
                .isInstanceOf(UserError.class).hasMessageContaining("resume refused");
    }

    @Test void resumedRunEqualsUninterruptedRun() throws Exception {
        Path straight = run.resolve("straight"), resumed = run.resolve("resumed");
        LoraTrainer.train(base, chats(), cfg(6, 0.0), straight, p -> {});
        LoraTrainer.train(base, chats(), cfg(3, 0.0), resumed, p -> {}); // "killed" after the step-3 checkpoint
        Files.createDirectories(resumed.resolve("checkpoints/.tmp-step")); // debris of a kill during the next checkpoint
        Files.writeString(resumed.resolve("loss.csv"), "4,9.9,0.1,1\n5,9", java.nio.file.StandardOpenOption.APPEND); // rows past the checkpoint, torn tail
        var r = LoraTrainer.train(base, chats(), cfg(6, 0.0), resumed, p -> {});
        assertThat(r.resumedFrom()).isEqualTo(3);
        var a1 = LoraTrainer.readAdapter(straight.resolve("adapter"));
        var a2 = LoraTrainer.readAdapter(resumed.resolve("adapter"));
        assertThat(a2.keySet()).isEqualTo(a1.keySet());
        double maxDiff = 0, maxAbs = 0;
        for (var k : a1.keySet()) for (int i = 0; i < a1.get(k).data().length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a1.get(k).data()[i] - a2.get(k).data()[i]));
            maxAbs = Math.max(maxAbs, Math.abs(a1.get(k).data()[i]));
        }
        System.out.printf("resume after a simulated kill: max |adapter diff| vs uninterrupted run = %.2e (weights up to %.2e)%n", maxDiff, maxAbs);
        assertThat(maxDiff).as("uninterrupted %s%nresumed %s", Files.readAllLines(straight.resolve("loss.csv")), Files.readAllLines(resumed.resolve("loss.csv")))
                .isLessThan(1e-6 * Math.max(1, maxAbs));
        assertThat(Files.readAllLines(resumed.resolve("loss.csv"))).hasSize(7); // header + 6 steps: the stale rows were dropped
        List<String> a = Files.readAllLines(straight.resolve("loss.csv")), b = Files.readAllLines(resumed.resolve("loss.csv"));
        for (int i = 1; i < 7; i++)
            assertThat(Double.parseDouble(b.get(i).split(",")[1])).as("loss of step " + i).isCloseTo(Double.parseDouble(a.get(i).split(",")[1]), org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test void datasetLinesAreSamplesOrChatsAndErrorsNameTheLine() throws Exception {
        Path f = run.resolve("d.jsonl");
        Files.writeString(f, """
                {"id":"s1","messages":[{"role":"user","content":"hi"}],"reasoning":"weigh","response":"ok\\nDECISION: help"}
                {"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}
                """);
        var chats = HfSftData.readConversations(f);
        assertThat(chats.get(0).get(1).content()).isEqualTo("<think>\nweigh\n</think>\n\nok\nDECISION: help");
        assertThat(chats.get(1)).hasSize(2);
        Files.writeString(f, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}\n{\"messages\":[{\"role\":\"robot\",\"content\":\"b\"}],\"response\":\"x\"}\n");
        assertThatThrownBy(() -> HfSftData.readConversations(f)).isInstanceOf(UserError.class).hasMessageContaining("d.jsonl:1").hasMessageContaining("no assistant turn");
        Files.writeString(f, "{\"messages\":[{\"role\":\"robot\",\"content\":\"b\"}],\"response\":\"x\"}\n");
        assertThatThrownBy(() -> HfSftData.readConversations(f)).isInstanceOf(UserError.class).hasMessageContaining("d.jsonl:1: messages[0]");
    }
}
