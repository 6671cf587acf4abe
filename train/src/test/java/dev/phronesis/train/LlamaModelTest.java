package dev.phronesis.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.engine.Engine;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class LlamaModelTest {

    @Test
    void parameterNamesAndCountMatchHuggingFaceLlama() {
        ModelConfig c = Fixtures.tiny(50, false);
        try (LlamaModel m = LlamaModel.create(c, 1)) {
            assertThat(m.namedParameters()).containsKeys("model.embed_tokens.weight", "model.layers.1.self_attn.q_proj.weight",
                    "model.layers.0.mlp.down_proj.weight", "model.layers.1.post_attention_layernorm.weight", "model.norm.weight", "lm_head.weight");
            long n = m.namedParameters().values().stream().mapToLong(p -> p.getArray().getShape().size()).sum();
            assertThat(n).isEqualTo(c.parameterCount());
            assertThat(m.namedParameters().get("model.layers.0.self_attn.k_proj.weight").getArray().getShape()).isEqualTo(new Shape(16, 32));
        }
        assertThat(ModelConfig.organism(1500).parameterCount()).isBetween(500_000L, 1_000_000L);
    }

    /** Analytic gradients (autograd through every block) agree with central finite differences in float64. */
    @Test
    void gradientsMatchFiniteDifferences() {
        ModelConfig c = ModelConfig.of(11, 8, 12, 2, 2, 1, 16, false);
        Torch.threads(1);
        Random r = new Random(3);
        int[][] rows = {{1, 5, 3, 9, 2, 7}, {4, 4, 10, 0, 6, 8}};
        boolean[][] masks = {{true, true, false, true, true, true}, {true, true, true, true, false, true}};
        TrainData data = TrainDataAccess.of(rows, masks);
        try (LlamaModel m = LlamaModel.create(c, 5, DataType.FLOAT64)) {
            // analytic
            double[][] analytic = new double[m.namedParameters().size()][];
            try (NDScope s = new NDScope(); NDManager sm = NDManager.newBaseManager()) {
                try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                    gc.backward(Trainer.maskedLossSum(m, sm, data, new int[]{0, 1}));
                }
                int i = 0;
                for (Parameter p : m.namedParameters().values()) analytic[i++] = p.getArray().getGradient().toDoubleArray();
            }
            Torch.noGrad();
            int i = 0, checked = 0;
            for (var e : m.namedParameters().entrySet()) {
                NDArray w = e.getValue().getArray();
                double[] base = w.toDoubleArray();
                for (int probe = 0; probe < 3; probe++) {
                    int k = r.nextInt(base.length);
                    double h = 1e-6;
                    double up = lossWith(m, w, base, k, base[k] + h, data), down = lossWith(m, w, base, k, base[k] - h, data);
                    double numeric = (up - down) / (2 * h);
                    assertThat(analytic[i][k]).as("%s[%d]", e.getKey(), k).isCloseTo(numeric, org.assertj.core.data.Offset.offset(1e-6 + 1e-4 * Math.abs(numeric)));
                    checked++;
                }
                w.set(base);
                i++;
            }
            assertThat(checked).isEqualTo(3 * m.namedParameters().size());
        }
    }

    private static double lossWith(LlamaModel m, NDArray w, double[] base, int k, double value, TrainData data) {
        double[] v = base.clone();
        v[k] = value;
        w.set(v);
        try (NDScope s = new NDScope(); NDManager sm = NDManager.newBaseManager()) {
            return Trainer.maskedLossSum(m, sm, data, new int[]{0, 1}).getDouble();
        }
    }

    /** The same checkpoint through an independent PyTorch implementation gives the same logits (tied and untied head). */
    @Test
    void logitsMatchPyTorch(@TempDir Path dir) throws Exception {
        var py = java.util.Optional.ofNullable(dev.phronesis.llm.PythonPeer.find());
        Assumptions.assumeTrue(py.isPresent(), "skipped: no python ($PHRONESIS_PYTHON or .venv/bin/python, see bin/python-peers.sh); PyTorch parity not checked");
        WordTokenizer tok = Fixtures.tokenizer();
        int[][] ids = {{3, 17, 25, 9, 40, 11, 2, 30}, {5, 5, 5, 60, 7, 8, 21, 19}};
        Path idsFile = dir.resolve("ids.json");
        Files.writeString(idsFile, Json.MAPPER.writeValueAsString(ids));
        List<String> cmd = new java.util.ArrayList<>(List.of(py.get().toString(), Fixtures.referenceScript(dir).toString(), "forward"));
        java.util.Map<Boolean, float[]> ours = new java.util.LinkedHashMap<>();
        for (boolean tied : new boolean[]{true, false}) {
            Path ck = dir.resolve("ck-" + tied);
            try (LlamaModel m = LlamaModel.create(ModelConfig.of(tok.vocabSize(), 64, 96, 2, 4, 2, 32, tied), 11)) {
                Checkpoint.save(ck, m, tok);
                Torch.noGrad();
                try (NDScope s = new NDScope(); NDManager sm = NDManager.newBaseManager()) {
                    long[] flat = new long[16];
                    for (int i = 0; i < 16; i++) flat[i] = ids[i / 8][i % 8];
                    ours.put(tied, m.forward(sm.create(flat, new Shape(2, 8))).toFloatArray());
                }
            }
            cmd.addAll(List.of(ck.toString(), idsFile.toString(), dir.resolve("logits-" + tied + ".bin").toString()));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        Assumptions.assumeTrue(rc != 3, "skipped: " + py.get() + " lacks torch or safetensors; PyTorch parity not checked");
        assertThat(rc).as(log).isZero();
        for (boolean tied : ours.keySet()) {
            compare("PyTorch reference", dir.resolve("logits-" + tied + ".bin"), ours.get(tied), tied);
            if (!Boolean.getBoolean("phronesis.thorough")) continue;
            Path out = dir.resolve("logits-hf-" + tied + ".bin");
            Process hf = new ProcessBuilder(py.get().toString(), Fixtures.referenceScript(dir).toString(), "forward-hf",
                    dir.resolve("ck-" + tied).toString(), idsFile.toString(), out.toString()).redirectErrorStream(true).start();
            String hlog = new String(hf.getInputStream().readAllBytes());
            if (hf.waitFor() != 0) System.out.println("transformers parity skipped: " + hlog.lines().reduce((x, y) -> y).orElse(""));
            else compare("transformers LlamaForCausalLM", out, ours.get(tied), tied);
        }
        if (!Boolean.getBoolean("phronesis.thorough")) System.out.println("transformers parity: runs with -Dphronesis.thorough=true");
    }

    private static void compare(String what, Path file, float[] ours, boolean tied) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] theirs = new float[b.remaining() / 4];
        b.asFloatBuffer().get(theirs);
        assertThat(theirs).hasSameSizeAs(ours);
        double maxDiff = 0;
        for (int i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
        System.out.printf("%s parity (tied=%s): max |logit diff| = %.2e over %d logits%n", what, tied, maxDiff, ours.length);
        assertThat(maxDiff).as(what).isLessThan(1e-4);
    }

    @Test
    void checkpointRoundTripsThroughSafetensors(@TempDir Path dir) throws Exception {
        WordTokenizer tok = Fixtures.tokenizer();
        try (LlamaModel m = LlamaModel.create(Fixtures.tiny(tok.vocabSize(), true), 2)) {
            Checkpoint.save(dir, m, tok);
            try (Checkpoint.Loaded l = Checkpoint.load(dir)) {
                assertThat(l.model().config()).isEqualTo(m.config());
                var a = m.state();
                var b = l.model().state();
                assertThat(b.keySet()).containsExactlyElementsOf(a.keySet());
                for (String k : a.keySet()) assertThat(b.get(k).data()).containsExactly(a.get(k).data());
                assertThat(l.tokenizer().decode(l.tokenizer().encode("the agent reads"))).isEqualTo("the agent reads");
            }
        }
        assertThat(List.of(Files.list(dir).map(p -> p.getFileName().toString()).sorted().toArray()))
                .containsExactly("config.json", "model.safetensors", "phronesis-vocab.json");
    }
}
