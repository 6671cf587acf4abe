package dev.phronesis.train;

import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.HfConfig;
import dev.phronesis.llm.PythonPeer;
import dev.phronesis.train.hf.RandomCheckpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Clients nobody here wrote against {@code serve} on a random HF checkpoint: the official openai client and lm-evaluation-harness. */
class ServePeerTest {
    @TempDir static Path dir;
    private static EmbeddedStudent student;
    private static ChatServer server;
    private static final String KEY = "sk-peer";

    @BeforeAll
    static void start() throws Exception {
        Torch.threads(1);
        RandomCheckpoint.write(dir.resolve("tiny"), RandomCheckpoint.config(HfConfig.Arch.LLAMA, 64, 128, 2, 4, 2, true), 3, DType.F32, Long.MAX_VALUE);
        student = EmbeddedStudent.load(dir.resolve("tiny"));
        server = ChatServer.start(student, "tiny", ChatServer.Options.loopback(0).withApiKey(KEY));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (student != null) student.close();
    }

    @Test
    void theOfficialOpenAiClient() throws Exception {
        Path py = PythonPeer.require("openai");
        Path script = PythonPeer.script(dir, "/runtime/openai_client.py");
        String out = PythonPeer.run(py, dir, List.of(script.toString(), "http://127.0.0.1:" + server.port() + "/v1", "tiny", KEY), 900);
        System.out.println(out.strip());
        assertThat(out).contains("ok models", "ok chat", "ok stream joins", "ok tools round trip", "ok json_schema", "ok logprobs",
                "ok malformed requests are 4xx", "ok wrong key is 401", "ok completions");
    }

    @Test
    void lmEvaluationHarnessLocalCompletions() throws Exception {
        Path py = PythonPeer.require("lm_eval", "lm_eval.evaluator", "lm_eval.models.openai_completions", "tenacity", "sacrebleu", "aiohttp");
        Path script = PythonPeer.script(dir, "/runtime/lm_eval_serve.py");
        String out = PythonPeer.run(py, dir, List.of(script.toString(), dir.resolve("lm").toString(),
                "http://127.0.0.1:" + server.port() + "/v1/completions", "tiny", KEY), 1200);
        String line = out.lines().filter(l -> l.startsWith("lm_eval results")).findFirst().orElse("");
        System.out.println(line);
        assertThat(line).contains("exact_match,none", "\"effective\": 4");
    }
}
