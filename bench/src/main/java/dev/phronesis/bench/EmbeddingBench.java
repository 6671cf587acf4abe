package dev.phronesis.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.phronesis.data.scenario.TextEmbedder;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Embedding throughput of the full dedup path ({@link TextEmbedder#miniLm()}: tokenise, ONNX
 * Runtime, mean pooling, normalisation, via langchain4j) against a raw ONNX Runtime session running
 * the same model file on the same texts, pre-tokenised outside the timed region, one text per run on
 * all cores. Ratio target: >= 0.8.
 */
public final class EmbeddingBench {
    private static final int TEXTS = 512;
    private static final double TARGET = 0.8;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : TEXTS;
        List<String> texts = ScenarioTexts.generate(n, 5);
        // full path
        try (TextEmbedder e = TextEmbedder.miniLm()) {
            e.embed(texts.subList(0, Math.min(32, n))); // load + warm-up
            long t0 = System.nanoTime();
            e.embed(texts);
            double fullS = (System.nanoTime() - t0) / 1e9;

            // raw session on the same model bytes
            Path model = extract("/all-minilm-l6-v2.onnx", ".onnx");
            Path tok = extract("/all-minilm-l6-v2-tokenizer.json", ".json");
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
                 HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tok, Map.of())) {
                Encoding[] enc = texts.stream().map(tokenizer::encode).toArray(Encoding[]::new);
                IntStream.range(0, Math.min(32, n)).parallel().forEach(i -> run(env, session, enc[i]));
                long t1 = System.nanoTime();
                IntStream.range(0, n).parallel().forEach(i -> run(env, session, enc[i]));
                double rawS = (System.nanoTime() - t1) / 1e9;
                double full = n / fullS, raw = n / rawS;
                System.out.printf(Locale.ROOT, "full dedup path (langchain4j all-MiniLM-L6-v2): %,.1f texts/s%n", full);
                System.out.printf(Locale.ROOT, "raw ONNX Runtime session (pre-tokenised):       %,.1f texts/s%n", raw);
                System.out.printf(Locale.ROOT, "RATIO full / raw: %.2f (target >= %.1f: %s)%n", full / raw, TARGET, full / raw >= TARGET ? "pass" : "FAIL");
            }
        }
    }

    private static float[] run(OrtEnvironment env, OrtSession session, Encoding e) {
        long[] ids = e.getIds(), mask = e.getAttentionMask(), types = e.getTypeIds();
        try (OnnxTensor a = OnnxTensor.createTensor(env, new long[][]{ids});
             OnnxTensor b = OnnxTensor.createTensor(env, new long[][]{mask});
             OnnxTensor c = OnnxTensor.createTensor(env, new long[][]{types});
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            float[][][] hidden = (float[][][]) r.get(0).getValue(); // (1, seq, 384)
            float[] pooled = new float[hidden[0][0].length];
            int count = 0;
            for (int t = 0; t < ids.length; t++) {
                if (mask[t] == 0) continue;
                count++;
                for (int d = 0; d < pooled.length; d++) pooled[d] += hidden[0][t][d];
            }
            double norm = 0;
            for (int d = 0; d < pooled.length; d++) { pooled[d] /= count; norm += pooled[d] * pooled[d]; }
            norm = Math.sqrt(norm);
            for (int d = 0; d < pooled.length; d++) pooled[d] /= (float) norm;
            return pooled;
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static Path extract(String resource, String suffix) throws Exception {
        try (InputStream in = TextEmbedder.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("resource " + resource + " not on the class path");
            Path p = Files.createTempFile("minilm", suffix);
            p.toFile().deleteOnExit();
            Files.copy(in, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return p;
        }
    }
}
