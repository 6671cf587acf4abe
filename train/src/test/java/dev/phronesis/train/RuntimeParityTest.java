package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ToolSpec;
import dev.phronesis.llm.PythonPeer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runtime against transformers on checkpoints transformers itself wrote: Llama in the
 * transformers 5 config format (rope_parameters) and the transformers 4 format (rope_theta,
 * rope_scaling), Llama 3 RoPE scaling saved as sharded BF16, Qwen2 (q/k/v biases) and Qwen3
 * (per-head q/k norms). Greedy generation must match {@code generate} token for token, for plain
 * text and for chat-template prompts (which must tokenize to the same ids, tools included).
 * All prompts of a checkpoint run in one batch, so batching must not change a row either.
 */
class RuntimeParityTest {
    @TempDir static Path dir;
    private static Path py;
    private static JsonNode expected;

    @BeforeAll
    static void writeCheckpoints() throws Exception {
        py = PythonPeer.require("torch", "transformers", "tokenizers");
        Path script = PythonPeer.script(dir, "/runtime/hf_generate.py");
        System.out.println(PythonPeer.run(py, dir, List.of(script.toString(), dir.resolve("ck").toString()), 1800).lines()
                .filter(l -> l.startsWith("wrote")).findFirst().orElse(""));
        expected = Json.MAPPER.readTree(dir.resolve("ck/expected.json").toFile());
    }

    @Test
    void greedyGenerationMatchesTransformersTokenForToken() {
        Torch.threads(2);
        int checked = 0;
        for (var e : expected.properties()) {
            try (ModelRuntime rt = ModelRuntime.load(dir.resolve("ck").resolve(e.getKey()))) {
                assertThat(rt.format()).as(e.getKey()).isInstanceOf(ModelRuntime.PromptFormat.Jinja.class);
                List<Generator.Request> reqs = new ArrayList<>();
                for (JsonNode c : e.getValue()) {
                    int[] ids;
                    if (c.path("kind").asText().equals("plain")) ids = rt.textPrompt(c.path("text").asText());
                    else {
                        List<ChatMessage> msgs = new ArrayList<>();
                        for (JsonNode m : c.path("messages"))
                            msgs.add(m.path("role").asText().equals("system") ? ChatMessage.system(m.path("content").asText()) : ChatMessage.user(m.path("content").asText()));
                        List<ToolSpec> tools = new ArrayList<>();
                        for (JsonNode t : c.path("tools"))
                            tools.add(new ToolSpec(t.path("function").path("name").asText(), t.path("function").path("description").asText(),
                                    t.path("function").path("parameters").toString()));
                        ids = rt.chatPrompt(msgs, tools, false);
                    }
                    assertThat(rt.tokenizer().decode(ids)).as("%s %s prompt", e.getKey(), c.path("kind").asText()).isEqualTo(rt.tokenizer().decode(ints(c.path("prompt_ids"))));
                    assertThat(ids).as("%s %s prompt ids", e.getKey(), c.path("kind").asText()).containsExactly(ints(c.path("prompt_ids")));
                    reqs.add(new Generator.Request(ids, 0.0, 1.0, 24, List.of(), 0));
                }
                var outs = rt.generator().generate(reqs);
                for (int i = 0; i < outs.size(); i++) {
                    JsonNode c = e.getValue().get(i);
                    assertThat(outs.get(i).tokens()).as("%s case %d (%s)", e.getKey(), i, c.path("kind").asText()).containsExactly(ints(c.path("generated")));
                    checked++;
                }
            }
        }
        System.out.println("runtime vs transformers generate: " + checked + " greedy cases identical over " + expected.size() + " checkpoints");
        assertThat(checked).isEqualTo(20);
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    @SuppressWarnings("unused")
    private static String show(int[] a) { return Arrays.toString(a); }
}
