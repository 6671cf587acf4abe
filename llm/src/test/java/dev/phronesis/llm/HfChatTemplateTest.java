package dev.phronesis.llm;

import dev.phronesis.core.Json;
import dev.phronesis.core.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/** Template discovery as transformers 5 does it, named templates, generation tags, and mask parity with transformers itself. */
class HfChatTemplateTest {
    @TempDir Path dir;

    static final String A = "{% for m in messages %}A:{{ m.content }};{% endfor %}";
    static final String B = "{% for m in messages %}B:{{ m.content }};{% endfor %}";
    static final String TOOLS = "{% for m in messages %}T:{{ m.content }};{% endfor %}";

    static String template() throws Exception {
        return new String(HfChatTemplateTest.class.getResourceAsStream("/chatml-generation-tools.jinja").readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String render(HfChatTemplate t) { return t.render(List.of(msg("user", "x")), List.of(), false); }

    @Test void chatTemplateJinjaBesideTheConfigWinsAndIsFoundFromTheDirTheConfigOrTheFile() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"chat_template\": " + Json.MAPPER.writeValueAsString(B) + "}");
        assertThat(render(HfChatTemplate.load(dir))).isEqualTo("B:x;");
        Files.writeString(dir.resolve("chat_template.jinja"), A);
        for (Path p : List.of(dir, dir.resolve("tokenizer_config.json"), dir.resolve("chat_template.jinja"))) {
            HfChatTemplate t = HfChatTemplate.load(p);
            assertThat(render(t)).as(p.toString()).isEqualTo("A:x;");
            assertThat(t.eosToken()).isEqualTo("</s>");
        }
    }

    @Test void namedTemplatesFromTheConfigListAndFromAdditionalChatTemplates() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": [{\"name\": \"default\", \"template\": " + Json.MAPPER.writeValueAsString(A)
                + "}, {\"name\": \"tool_use\", \"template\": " + Json.MAPPER.writeValueAsString(TOOLS) + "}, {\"name\": \"rag\", \"template\": " + Json.MAPPER.writeValueAsString(B) + "}]}");
        HfChatTemplate t = HfChatTemplate.load(dir);
        assertThat(t.names()).containsExactly("default", "tool_use", "rag");
        assertThat(render(t)).isEqualTo("A:x;");
        // as transformers: a render with tools and no chosen name uses tool_use
        assertThat(t.render(List.of(msg("user", "x")), List.of(Map.of("type", "function", "function", Map.of("name", "f"))), false)).isEqualTo("T:x;");
        assertThat(render(HfChatTemplate.load(dir, "rag"))).isEqualTo("B:x;");
        assertThatThrownBy(() -> HfChatTemplate.load(dir, "nope")).isInstanceOf(UserError.class)
                .hasMessageContaining("tokenizer_config.json").hasMessageContaining("no chat template named 'nope'").hasMessageContaining("rag");

        Files.writeString(dir.resolve("chat_template.jinja"), B);
        Files.createDirectories(dir.resolve("additional_chat_templates"));
        Files.writeString(dir.resolve("additional_chat_templates/short.jinja"), A);
        HfChatTemplate files = HfChatTemplate.load(dir); // files win over the config's list, as in transformers
        assertThat(files.names()).containsExactly("default", "short");
        assertThat(render(files)).isEqualTo("B:x;");
        assertThat(render(HfChatTemplate.load(dir, "short"))).isEqualTo("A:x;");
        assertThat(render(HfChatTemplate.load(dir.resolve("additional_chat_templates/short.jinja")))).isEqualTo("A:x;");
    }

    @Test void errorsNameTheFileAtFault() throws Exception {
        assertThatThrownBy(() -> HfChatTemplate.load(dir)).isInstanceOf(UserError.class).hasMessageStartingWith(dir.resolve("tokenizer_config.json").toString());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        assertThatThrownBy(() -> HfChatTemplate.load(dir)).hasMessageContaining("tokenizer_config.json: field 'chat_template' is missing");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{not json");
        assertThatThrownBy(() -> HfChatTemplate.load(dir)).hasMessageStartingWith(dir.resolve("tokenizer_config.json") + ": not valid JSON");
        Files.write(dir.resolve("chat_template.jinja"), new byte[]{(byte) 0xff, (byte) 0xfe, 'x'});
        assertThatThrownBy(() -> HfChatTemplate.load(dir.resolve("chat_template.jinja"))).hasMessage(dir.resolve("chat_template.jinja") + ": not UTF-8 text");
        Files.writeString(dir.resolve("chat_template.jinja"), "{% for m in messages %}{{ raise_exception('no') }}{% endfor %}");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
        assertThatThrownBy(() -> HfChatTemplate.load(dir).selfCheck()).isInstanceOf(HfChatTemplate.RenderError.class)
                .hasMessageContaining("chat_template.jinja").hasMessageContaining("template raised: no");
    }

    @Test void generationTagsGiveTheMaskAndSurviveWhitespaceControl() throws Exception {
        HfChatTemplate t = HfChatTemplate.of(template(), "", "");
        assertThat(t.hasGenerationTags()).isTrue();
        t.selfCheck();
        HfChatTemplate.Masked m = t.mask(conversation(), tools());
        assertThat(m.source()).isEqualTo(HfChatTemplate.MaskSource.GENERATION_TAGS);
        assertThat(m.spans()).hasSize(2);
        assertThat(m.text().substring(m.spans().get(1).start(), m.spans().get(1).end())).isEqualTo("<think>\nThe tool said open.\n</think>\n\nRecord 7 is open.<|im_end|>");
        assertThat(m.text()).doesNotContain(String.valueOf(HfChatTemplate.MASK_OPEN));
    }

    /** Our mask against transformers' apply_chat_template(..., return_assistant_tokens_mask=True) on the same template and messages. */
    @Test void assistantMaskEqualsTransformers() throws Exception {
        Path py = PythonPeer.find();
        assumeThat(py != null && PythonPeer.has(py, "transformers", "tokenizers"))
                .as("skipped: no Python venv with transformers (set PHRONESIS_PYTHON or create .venv)").isTrue();
        String tpl = template();
        HfChatTemplate.Masked ours = HfChatTemplate.of(tpl, "", "").mask(conversation(), tools());
        boolean[] ourMask = new boolean[ours.text().length()];
        for (HfChatTemplate.Span s : ours.spans()) for (int i = s.start(); i < s.end(); i++) ourMask[i] = true;

        Path in = dir.resolve("case.json");
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("template", tpl);
        c.put("messages", conversation());
        c.put("tools", tools());
        Files.writeString(in, Json.MAPPER.writeValueAsString(c));
        Process p = new ProcessBuilder(py.toString(), "-c", """
                import sys, json
                from tokenizers import Tokenizer, Regex, models, pre_tokenizers
                from transformers import PreTrainedTokenizerFast
                c = json.load(open(sys.argv[1]))
                chars = "".join(chr(i) for i in range(32, 127)) + "\\n"
                vocab = {"[UNK]": 0}
                for ch in chars: vocab.setdefault(ch, len(vocab))
                tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
                tok.pre_tokenizer = pre_tokenizers.Split(Regex("[\\\\s\\\\S]"), behavior="isolated")
                t = PreTrainedTokenizerFast(tokenizer_object=tok)
                text = t.apply_chat_template(c["messages"], tools=c["tools"], chat_template=c["template"], tokenize=False)
                out = t.apply_chat_template(c["messages"], tools=c["tools"], chat_template=c["template"], tokenize=True,
                                            return_dict=True, return_assistant_tokens_mask=True)
                ids, mask = out["input_ids"], out["assistant_masks"]
                assert len(ids) == len(text), (len(ids), len(text))
                print(json.dumps({"text": text, "mask": mask}))
                """, in.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        var theirs = Json.MAPPER.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        assertThat(ours.text()).isEqualTo(theirs.path("text").asText());
        List<Boolean> theirMask = new ArrayList<>();
        theirs.path("mask").forEach(x -> theirMask.add(x.asInt() == 1));
        List<Boolean> mine = new ArrayList<>();
        for (boolean b : ourMask) mine.add(b);
        assertThat(theirMask).contains(true);
        assertThat(mine).isEqualTo(theirMask);
    }

    static List<Map<String, Object>> conversation() {
        List<Map<String, Object>> msgs = new ArrayList<>();
        msgs.add(msg("system", "You are careful."));
        msgs.add(msg("user", "Find record 7."));
        Map<String, Object> call = msg("assistant", "");
        call.put("reasoning_content", "The lookup tool answers this.");
        call.put("tool_calls", List.of(Map.of("type", "function", "id", "call_0", "function", Map.of("name", "lookup", "arguments", "{\"id\": \"7\"}"))));
        msgs.add(call);
        Map<String, Object> result = msg("tool", "{\"status\": \"open\"}");
        result.put("tool_call_id", "call_0");
        msgs.add(result);
        Map<String, Object> answer = msg("assistant", "Record 7 is open.");
        answer.put("reasoning_content", "The tool said open.");
        msgs.add(answer);
        return msgs;
    }

    static List<Map<String, Object>> tools() {
        return List.of(Map.of("type", "function", "function", Map.of("name", "lookup", "description", "Look a record up.",
                "parameters", Map.of("type", "object", "properties", Map.of("id", Map.of("type", "string"))))));
    }

    static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

}
