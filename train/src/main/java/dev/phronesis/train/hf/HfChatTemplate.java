package dev.phronesis.train.hf;

import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.FatalTemplateErrorsException;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Turn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's own chat template (Jinja, from {@code tokenizer_config.json}'s {@code chat_template}
 * or a {@code chat_template.jinja} beside it), rendered with jinjava the way transformers'
 * {@code apply_chat_template} renders it (trim_blocks, lstrip_blocks, {@code raise_exception}).
 *
 * <p>The assistant-only loss mask comes from prefix rendering, the same rule the exported PyTorch
 * script applies: for each assistant turn {@code i}, its span is the text between
 * {@code render(messages[:i], add_generation_prompt=True)} and {@code render(messages[:i+1])}, so it
 * holds the reply and the template's end-of-turn marker, and not the header that announces it.
 * A template for which these renders are not prefixes of the full conversation is rejected.
 *
 * <p>Note: the dataset builder (module data) renders chat templates with jinjava too; the two must
 * agree on this rule (train may not depend on data, DESIGN §3).
 */
public final class HfChatTemplate {
    /** Char offsets [start, end) of one assistant span in the rendered text. */
    public record Span(int start, int end) {
        public Span {
            if (start < 0 || end < start) throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
        }
    }

    /** A rendered conversation and the assistant spans trained on. */
    public record Rendered(String text, List<Span> assistantSpans) {
        public Rendered { assistantSpans = List.copyOf(assistantSpans); }
    }

    private final String where;
    private final String template;
    private final String bosToken, eosToken;
    private final Jinjava jinja;

    HfChatTemplate(String where, String template, String bosToken, String eosToken) {
        this.where = where;
        this.template = template;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.jinja = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build());
        jinja.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", HfChatTemplate.class, "raiseException", String.class));
    }

    /** Raised from inside a template by {@code raise_exception(msg)}. */
    public static String raiseException(String message) {
        throw new TemplateRaised(message);
    }

    private static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String m) { super(m, null, false, false); }
    }

    /** Reads the template of a model directory; an error names the file and field when there is none. */
    public static HfChatTemplate load(Path modelDir) {
        Path cfg = modelDir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(cfg)) throw new UserError(cfg + ": missing (needed for the chat template field 'chat_template')");
        JsonNode n;
        try {
            n = HfSafetensors.JSON.readTree(cfg.toFile());
        } catch (IOException e) {
            throw new UserError(cfg + ": not valid JSON: " + HfSafetensors.firstLine(e));
        }
        String template = null;
        JsonNode t = n.path("chat_template");
        if (t.isTextual()) template = t.asText();
        else if (t.isArray()) { // [{name, template}, ...]: transformers uses the one named "default"
            for (JsonNode x : t) if ("default".equals(x.path("name").asText())) template = x.path("template").asText(null);
            if (template == null) throw new UserError(cfg + ": field 'chat_template' lists templates but none is named 'default'");
        }
        Path jinjaFile = modelDir.resolve("chat_template.jinja");
        if (template == null && Files.isRegularFile(jinjaFile)) {
            try {
                template = Files.readString(jinjaFile);
            } catch (IOException e) {
                throw new UserError(jinjaFile + ": cannot read: " + HfSafetensors.firstLine(e));
            }
        }
        if (template == null || template.isBlank())
            throw new UserError(cfg + ": field 'chat_template' is missing (and there is no chat_template.jinja): this tokenizer has no chat template; use an instruct/chat checkpoint or add one");
        return new HfChatTemplate(cfg + ": chat_template", template, token(n.path("bos_token")), token(n.path("eos_token")));
    }

    /** A special token given as a string or as an AddedToken object {@code {"content": ...}}. */
    private static String token(JsonNode t) {
        if (t.isTextual()) return t.asText();
        if (t.isObject() && t.path("content").isTextual()) return t.path("content").asText();
        return "";
    }

    public static HfChatTemplate of(String template, String bosToken, String eosToken) {
        return new HfChatTemplate("chat template", template, bosToken, eosToken);
    }

    public String bosToken() { return bosToken; }
    public String eosToken() { return eosToken; }

    /** The conversation as text, optionally ending with the header that asks for the next assistant turn. */
    public String render(List<Turn> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (Turn t : messages) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", t.role().wire());
            m.put("content", t.content());
            msgs.add(m);
        }
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("messages", msgs);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        RenderResult r;
        try {
            r = jinja.renderForResult(template, ctx);
        } catch (TemplateRaised e) {
            throw new UserError(where + ": the template refused the conversation: " + e.getMessage());
        } catch (FatalTemplateErrorsException e) {
            throw new UserError(where + ": cannot render: " + HfSafetensors.firstLine(e));
        } catch (RuntimeException e) {
            Throwable c = e;
            while (c != null && !(c instanceof TemplateRaised)) c = c.getCause();
            if (c != null) throw new UserError(where + ": the template refused the conversation: " + c.getMessage());
            throw new UserError(where + ": cannot render: " + HfSafetensors.firstLine(e));
        }
        for (var err : r.getErrors()) {
            Throwable c = err.getException();
            while (c != null && !(c instanceof TemplateRaised)) c = c.getCause();
            if (c != null) throw new UserError(where + ": the template refused the conversation: " + c.getMessage());
            if (err.getSeverity() == com.hubspot.jinjava.interpret.TemplateError.ErrorType.FATAL)
                throw new UserError(where + ":" + err.getLineno() + ": cannot render: " + err.getMessage());
        }
        return r.getOutput();
    }

    /** The full conversation with the char spans of every assistant turn (the assistant-only loss mask). */
    public Rendered renderTraining(List<Turn> messages) {
        String full = render(messages, false);
        List<Span> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).role() != Role.ASSISTANT) continue;
            String before = render(messages.subList(0, i), true);
            String through = render(messages.subList(0, i + 1), false);
            if (!through.startsWith(before) || !full.startsWith(through))
                throw new UserError(where + ": rendering is not prefix-stable at message " + i
                        + " (the text before an assistant turn changes when the turn is added), so the assistant-only mask cannot be derived");
            if (through.length() > before.length()) spans.add(new Span(before.length(), through.length()));
        }
        return new Rendered(full, spans);
    }
}
