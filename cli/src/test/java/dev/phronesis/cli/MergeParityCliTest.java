package dev.phronesis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.Json;
import dev.phronesis.train.ModelRuntime;
import dev.phronesis.train.hf.HfModel;
import dev.phronesis.train.hf.HostTensor;
import dev.phronesis.train.lora.Lora;
import dev.phronesis.train.lora.LoraConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static dev.phronesis.train.hf.ModelLogits.logits;
import static dev.phronesis.train.hf.ModelLogits.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Peers load what we write: peft loads the PEFT adapters our writer produces (the one {@code train lora}
 * saves with; attention-only and with the MLP) with our logits, and what {@code train merge} writes is a
 * checkpoint transformers loads with the same logits (≤ 1e-4) as our runtime on the same files and as base +
 * adapter before the merge. The peer is the venv's transformers + peft ($PHRONESIS_PYTHON or the repository's .venv); skipped with a
 * message without it. One Python process, about 20 s.
 */
class MergeParityCliTest {
    @TempDir Path dir;
    static final long[][] IDS = {{1, 5, 9, 200, 33, 7, 58, 100}, {57, 12, 13, 14, 15, 16, 17, 18}};

    /** A random adapter (B no longer zero) written by our PEFT writer, the one {@code train lora} uses; returns our logits with it. */
    static float[] writeAdapter(Path base, Path out, boolean mlp, long seed) throws Exception {
        try (HfModel m = HfModel.load(base); Lora l = Lora.attach(m, LoraConfig.of(4, 8, 0.0, mlp), 3)) {
            SplittableRandom rnd = new SplittableRandom(seed);
            Map<String, HostTensor> state = l.state();
            for (var e : state.values()) {
                float[] v = e.data();
                for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 0.2);
            }
            l.load(state, "test");
            float[] adapted = logits(m, IDS);
            l.savePeft(out, base.toString());
            return adapted;
        }
    }

    @Test void peftLoadsOurAdaptersAndMergedCheckpointsLoadInTransformersAndOurRuntimeWithEqualLogits() throws Exception {
        Path py = dev.phronesis.llm.PythonPeer.find(); // $PHRONESIS_PYTHON, else the repository's .venv (what .ci/run builds)
        if (py == null || !dev.phronesis.llm.PythonPeer.has(py, "torch", "transformers", "peft"))
            System.err.println("MergeParityCliTest skipped: no Python peer with torch + transformers + peft (PHRONESIS_PYTHON or .venv)");
        py = dev.phronesis.llm.PythonPeer.require("torch", "transformers", "peft");

        Path base = dir.resolve("base"), attn = dir.resolve("adapter-attention"), full = dir.resolve("adapter-mlp"), merged = dir.resolve("merged");
        var rc = CliHarness.run("train", "random-checkpoint", "--arch", "qwen3", "--dtype", "bf16", "--seed", "3", "--out", base.toString());
        assertThat(rc.exitCode()).as(rc.err()).isZero();
        float[] withAttn = writeAdapter(base, attn, false, 11);
        float[] withFull = writeAdapter(base, full, true, 12);
        var mr = CliHarness.run("train", "merge", "--base", base.toString(), "--adapter", full.toString(), "--out", merged.toString());
        assertThat(mr.exitCode()).as(mr.err()).isZero();
        float[] ours;
        try (ModelRuntime rt = ModelRuntime.load(merged)) { ours = logits(rt.weights(), IDS); }

        // one Python process (importing torch costs seconds): transformers on the merged files, peft on base + each adapter
        String script = """
                import json, sys, torch, transformers as T
                from peft import PeftModel
                ids = torch.tensor(json.loads(sys.argv[1]))
                out = {}
                for name, d, adapter in json.loads(sys.argv[2]):
                    m = T.AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32)
                    if adapter:
                        m = PeftModel.from_pretrained(m, adapter)
                    m.eval()
                    with torch.no_grad():
                        out[name] = {"cls": type(m).__name__, "logits": m(input_ids=ids).logits.float().flatten().tolist()}
                print(json.dumps(out))
                """;
        String jobs = Json.MAPPER.writeValueAsString(java.util.List.of(
                java.util.Arrays.asList("merged", merged.toString(), null),
                java.util.List.of("attention", base.toString(), attn.toString()),
                java.util.List.of("mlp", base.toString(), full.toString())));
        ProcessBuilder pb = new ProcessBuilder(py.toString(), "-c", script, Json.MAPPER.writeValueAsString(IDS), jobs)
                .redirectError(dir.resolve("python.err").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("HF_HUB_OFFLINE", "1");
        pb.environment().put("TRANSFORMERS_OFFLINE", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(600, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("transformers/peft load our files: %s", Files.readString(dir.resolve("python.err"))).isZero();
        JsonNode j = Json.MAPPER.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        assertThat(j.at("/merged/cls").asText()).isEqualTo("Qwen3ForCausalLM");
        assertThat(j.at("/attention/cls").asText()).isEqualTo("PeftModelForCausalLM");

        double merge = maxAbsDiff(floats(j.at("/merged/logits")), ours), unmerged = maxAbsDiff(withFull, ours);
        double peftAttn = maxAbsDiff(floats(j.at("/attention/logits")), withAttn), peftMlp = maxAbsDiff(floats(j.at("/mlp/logits")), withFull);
        System.out.printf("train merge output: transformers vs our runtime %.2e, merged vs base+adapter %.2e; peft on our adapters: attention %.2e, attention+mlp %.2e%n",
                merge, unmerged, peftAttn, peftMlp);
        assertThat(merge).isLessThan(1e-4);
        assertThat(unmerged).isLessThan(1e-4);
        assertThat(peftAttn).isLessThan(1e-4);
        assertThat(peftMlp).isLessThan(1e-4);
        assertThat(maxAbsDiff(withAttn, withFull)).as("the two adapters really differ").isGreaterThan(1e-3);
    }

    static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) a.get(i).asDouble();
        return f;
    }
}
