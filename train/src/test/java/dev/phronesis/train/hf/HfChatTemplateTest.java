package dev.phronesis.train.hf;

import dev.phronesis.llm.HfChatTemplate;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Turn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HfChatTemplateTest {
    /** SmolLM2-Instruct's ChatML template (with its default system prompt). */
    static final String CHATML = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
    /** Llama-3-Instruct's template. */
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    @TempDir Path dir;

    static final List<Turn> CHAT = List.of(Turn.user("Should I tell her?"), Turn.assistant("<think>weigh it</think>Yes.\nDECISION: help"),
            Turn.user("Sure?"), Turn.assistant("Sure."));

    @Test void chatmlRendersAndMasksOnlyAssistantReplies() {
        var t = HfChatTemplate.of(CHATML, "", "<|im_end|>");
        var r = t.renderTraining(CHAT);
        assertThat(r.text()).startsWith("<|im_start|>system\nYou are a helpful AI assistant<|im_end|>\n<|im_start|>user\nShould I tell her?<|im_end|>\n");
        assertThat(r.assistantSpans()).hasSize(2);
        var s = r.assistantSpans().get(0);
        assertThat(r.text().substring(s.start(), s.end())).isEqualTo("<think>weigh it</think>Yes.\nDECISION: help<|im_end|>\n");
        var s2 = r.assistantSpans().get(1);
        assertThat(r.text().substring(s2.start(), s2.end())).isEqualTo("Sure.<|im_end|>\n");
        assertThat(t.render(CHAT.subList(0, 1), true)).endsWith("<|im_start|>assistant\n");
    }

    @Test void llama3UsesBosAndTrim() {
        var t = HfChatTemplate.of(LLAMA3, "<|begin_of_text|>", "<|eot_id|>");
        var r = t.renderTraining(List.of(Turn.system("Be wise. "), Turn.user("hi"), Turn.assistant(" hello ")));
        assertThat(r.text()).isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe wise.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nhello<|eot_id|>");
        var s = r.assistantSpans().getFirst();
        assertThat(r.text().substring(s.start(), s.end())).isEqualTo("hello<|eot_id|>");
    }

    @Test void loadsFromTokenizerConfigAndNamesTheMissingField() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": {\"content\": \"<s>\"}, \"eos_token\": \"</s>\", \"chat_template\": "
                + HfSafetensors.JSON.writeValueAsString(LLAMA3) + "}");
        var t = HfChatTemplate.load(dir);
        assertThat(t.bosToken()).isEqualTo("<s>");
        assertThat(t.render(List.of(Turn.user("x")), false)).startsWith("<s><|start_header_id|>user");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        assertThatThrownBy(() -> HfChatTemplate.load(dir)).isInstanceOf(UserError.class)
                .hasMessageContaining("tokenizer_config.json").hasMessageContaining("field 'chat_template'");
        Files.writeString(dir.resolve("chat_template.jinja"), CHATML); // newer transformers save it beside
        assertThat(HfChatTemplate.load(dir).render(List.of(Turn.user("x")), true)).endsWith("<|im_start|>assistant\n");
    }

    @Test void raiseExceptionBecomesAUserError() {
        var t = HfChatTemplate.of("{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversation must start with user') }}{% endif %}ok", "", "");
        assertThat(t.render(List.of(Turn.user("a")), false)).isEqualTo("ok");
        assertThatThrownBy(() -> t.render(List.of(Turn.assistant("a")), false)).isInstanceOf(UserError.class)
                .hasMessageContaining("Conversation must start with user");
    }
}
