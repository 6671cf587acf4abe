package dev.phronesis.train;

import org.junit.jupiter.api.Test;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

class TrainerSpeedProbe {
    @Test void probe() throws Exception {
        Random r = new Random(1);
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 1500; i++) words.add("w" + i);
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < 3000; d++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 60; i++) sb.append(i == 0 ? "" : " ").append(words.get((int) Math.min(1499, Math.abs(r.nextGaussian()) * 300)));
            docs.add(sb.toString());
        }
        Path out = java.nio.file.Files.createTempDirectory("probe");
        var cfg = TrainConfig.defaults().withModel(ModelConfig.organism(2000)).withSteps(30).with("log_every", 5).with("eval_every", 0).with("checkpoint_every", 1000).with("threads", Integer.parseInt(System.getProperty("threads", "1")));
        long t = System.nanoTime();
        var res = Trainer.pretrain(cfg, docs, out, ConsoleProgress.stderr("probe"));
        System.out.println(res + " wall " + (System.nanoTime() - t) / 1e9);
    }
}
