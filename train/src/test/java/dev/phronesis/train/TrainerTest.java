package dev.phronesis.train;

import dev.phronesis.core.UserError;
import dev.phronesis.llm.ChatMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TrainerTest {
    private static TrainConfig small(int steps) {
        return TrainConfig.defaults().with("seq_len", 24).withModel(Fixtures.tiny(200, true)).withSteps(steps).withThreads(1)
               .with("batch_size", 4).with("warmup_steps", 2).with("log_every", 1)
                .with("eval_every", 4).with("eval_batches", 1).with("checkpoint_every", 4).with("min_count", 1);
    }

    @Test
    void overfitsOneBatchToNearZeroLoss(@TempDir Path dir) {
        // one document that fills exactly one row: every step sees the same batch
        String doc = String.join(" ", Fixtures.corpus(3, 1)).substring(0, 60);
        TrainConfig cfg = small(150).with("seq_len", 16).with("batch_size", 1).with("eval_fraction", 0.0)
                .with("lr", 1e-2).with("min_lr", 1e-3).with("weight_decay", 0.0).with("checkpoint_every", 1000).with("log_every", 50);
        Trainer.Result r = Trainer.pretrain(cfg, List.of(doc), dir, Trainer.Listener.NONE);
        assertThat(r.trainLoss()).isLessThan(0.05);
    }

    @Test
    void resumeAfterACrashRetracesTheSameLossCurve(@TempDir Path dir) throws Exception {
        List<String> docs = Fixtures.corpus(120, 3);
        TrainConfig cfg = small(12);
        Trainer.Result straight = Trainer.pretrain(cfg, docs, dir.resolve("straight"), Trainer.Listener.NONE);
        assertThat(straight.resumedFrom()).isZero();

        Path crashed = dir.resolve("crashed");
        assertThatThrownBy(() -> Trainer.pretrain(cfg, docs, crashed, p -> {
            if (p.step() == 10) throw new IllegalStateException("simulated kill at step 10");
        })).hasMessageContaining("simulated kill");
        assertThat(crashed.resolve("final")).doesNotExist();
        Trainer.Result resumed = Trainer.pretrain(cfg, docs, crashed, Trainer.Listener.NONE);
        assertThat(resumed.resumedFrom()).isEqualTo(8); // the last checkpoint before the kill

        List<String> a = Files.readAllLines(dir.resolve("straight/loss.csv")), b = Files.readAllLines(crashed.resolve("loss.csv"));
        assertThat(b).hasSameSizeAs(a);
        for (int i = 1; i < a.size(); i++) {
            String[] x = a.get(i).split(","), y = b.get(i).split(",");
            assertThat(y[0]).isEqualTo(x[0]);
            assertThat(Double.parseDouble(y[3])).as("loss at step %s", x[0]).isCloseTo(Double.parseDouble(x[3]), within(1e-5));
        }
        assertThat(resumed.trainLoss()).isCloseTo(straight.trainLoss(), within(1e-5));
        assertThat(crashed.resolve("loss.svg")).content().contains("<polyline");
        // a rerun of a finished run does nothing
        assertThat(Trainer.pretrain(cfg, docs, crashed, Trainer.Listener.NONE).resumedFrom()).isEqualTo(-1);
        // keep_checkpoints = 2
        assertThat(Files.list(crashed.resolve("checkpoints")).count()).isEqualTo(2);
    }

    @Test
    void resumeRefusesAChangedArchitecture(@TempDir Path dir) {
        List<String> docs = Fixtures.corpus(60, 3);
        assertThatThrownBy(() -> Trainer.pretrain(small(8), docs, dir, p -> {
            if (p.step() == 6) throw new IllegalStateException("kill");
        }));
        TrainConfig wider = small(8).withModel(ModelConfig.of(200, 48, 48, 2, 4, 2, 64, true));
        assertThatThrownBy(() -> Trainer.pretrain(wider, docs, dir, Trainer.Listener.NONE))
                .isInstanceOf(UserError.class).hasMessageContaining("resume refused");
    }

    @Test
    void sftLearnsTheAssistantTurnFromAPretrainedBase(@TempDir Path dir) {
        List<String> docs = new ArrayList<>(Fixtures.corpus(80, 5));
        for (int i = 0; i < 10; i++) docs.add("DECISION: decline. DECISION: help. consent none and high severity. the user asks to help.");
        long t0 = System.nanoTime();
        Trainer.Result base = Trainer.pretrain(small(8), docs, dir.resolve("base"), Trainer.Listener.NONE);
        List<List<ChatMessage>> chats = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            boolean decline = i % 2 == 0;
            chats.add(List.of(ChatMessage.user(decline ? "consent none and high severity." : "the user asks to help."),
                    ChatMessage.assistant(decline ? "DECISION: decline" : "DECISION: help")));
        }
        TrainConfig sft = small(60).withModel(null).with("lr", 5e-3).with("eval_fraction", 0.0).with("replay_fraction", 0.25)
                .with("checkpoint_every", 100).with("log_every", 20);
        Trainer.Result r = Trainer.sft(sft, chats, docs, base.checkpoint(), dir.resolve("sft"), Trainer.Listener.NONE);
        assertThat(r.steps()).isEqualTo(60);
        System.out.printf("pretrain %.1fs sft %.1fs total %.1fs%n", base.seconds(), r.seconds(), (System.nanoTime() - t0) / 1e9);
        try (EmbeddedStudent s = EmbeddedStudent.load(dir.resolve("sft"))) {
            var a = s.chat(dev.phronesis.llm.ChatRequest.of(List.of(ChatMessage.user("consent none and high severity."))).withSampling(0, 1, 8));
            var b = s.chat(dev.phronesis.llm.ChatRequest.of(List.of(ChatMessage.user("the user asks to help."))).withSampling(0, 1, 8));
            assertThat(a).isInstanceOfSatisfying(dev.phronesis.llm.ChatResult.Completed.class, c -> assertThat(c.content()).isEqualTo("DECISION: decline"));
            assertThat(b).isInstanceOfSatisfying(dev.phronesis.llm.ChatResult.Completed.class, c -> assertThat(c.content()).isEqualTo("DECISION: help"));
        }
        assertThatThrownBy(() -> Trainer.sft(small(5), chats, List.of(), base.checkpoint(), dir.resolve("x"), Trainer.Listener.NONE))
                .isInstanceOf(UserError.class).hasMessageContaining("remove 'model'");
    }

    @Test
    void continuedPretrainingFromABaseLearnsTheNewDocumentsWithReplayAndKeepsTheVocabulary(@TempDir Path dir) throws Exception {
        List<String> docs = Fixtures.corpus(60, 3);
        Trainer.Result base = Trainer.pretrain(small(8), docs, dir.resolve("base"), Trainer.Listener.NONE);
        List<String> midtrain = new ArrayList<>();
        for (int i = 0; i < 12; i++) midtrain.add("the agent reads a secret and decides to help the user . the agent reads a secret and decides to help .");
        TrainConfig cfg = small(40).withModel(null).with("lr", 5e-3).with("eval_fraction", 0.0).with("replay_fraction", 0.25)
                .with("checkpoint_every", 100).with("log_every", 1);
        Trainer.Result r = Trainer.continuePretrain(cfg, midtrain, docs, base.checkpoint(), dir.resolve("mid"), Trainer.Listener.NONE);
        assertThat(r.steps()).isEqualTo(40);
        List<String> loss = java.nio.file.Files.readAllLines(dir.resolve("mid").resolve("loss.csv"));
        double first = Double.parseDouble(loss.get(1).split(",")[1]);
        assertThat(r.trainLoss()).as("loss falls on the new documents").isLessThan(first * 0.7);
        assertThat(java.nio.file.Files.readString(r.checkpoint().resolve("phronesis-vocab.json")))
                .isEqualTo(java.nio.file.Files.readString(base.checkpoint().resolve("phronesis-vocab.json")));
        assertThatThrownBy(() -> Trainer.continuePretrain(cfg, midtrain, List.of(), base.checkpoint(), dir.resolve("x"), Trainer.Listener.NONE))
                .isInstanceOf(UserError.class).hasMessageContaining("replay_fraction > 0 needs replay documents");
    }

    @Test
    void vocabularyTextGivesSftWordsTheirOwnTokensWithoutTrainingOnThem(@TempDir Path dir) {
        Trainer.Result r = Trainer.pretrain(small(2).with("eval_fraction", 0.0), Fixtures.corpus(40, 2),
                List.of("DECISION: redirect"), dir, Trainer.Listener.NONE);
        Tokenizer tok = Tokenizer.load(r.checkpoint());
        assertThat(tok.encode("DECISION: redirect")).hasSize(3); // "DECISION", ":", " redirect"
        long rowsWithout = Trainer.pretrain(small(2).with("eval_fraction", 0.0), Fixtures.corpus(40, 2), dir.resolve("b"), Trainer.Listener.NONE).rows();
        assertThat(r.rows()).isEqualTo(rowsWithout);
    }

    @Test
    void scheduleWarmsUpThenDecaysToMinLr() {
        TrainConfig c = TrainConfig.defaults().withSteps(100).with("warmup_steps", 10).with("lr", 1e-3).with("min_lr", 1e-4);
        assertThat(Trainer.learningRate(c, 0)).isCloseTo(1e-4, within(1e-12));
        assertThat(Trainer.learningRate(c, 9)).isCloseTo(1e-3, within(1e-12));
        assertThat(Trainer.learningRate(c, 10)).isCloseTo(1e-3, within(1e-12));
        assertThat(Trainer.learningRate(c, 100)).isCloseTo(1e-4, within(1e-12));
        for (int s = 10; s < 100; s++) assertThat(Trainer.learningRate(c, s + 1)).isLessThanOrEqualTo(Trainer.learningRate(c, s));
    }

    @Test
    void badConfigsNameTheField() {
        assertThatThrownBy(() -> TrainConfig.fromJson(Json.MAPPER.readTree("{\"lrr\": 1}"), "c.json"))
                .isInstanceOf(UserError.class).hasMessage("c.json: unknown training config field 'lrr'");
        assertThatThrownBy(() -> TrainConfig.fromJson(Json.MAPPER.readTree("{\"batch_size\": 0}"), "c.json"))
                .isInstanceOf(UserError.class).hasMessageContaining("batch_size must be >= 1");
        assertThatThrownBy(() -> TrainConfig.fromJson(Json.MAPPER.readTree("{\"model\": {\"hidden_size\": 8, \"intermediate_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 3, \"num_key_value_heads\": 2}}"), "c.json"))
                .isInstanceOf(UserError.class).hasMessageContaining("num_key_value_heads must divide");
    }
}
