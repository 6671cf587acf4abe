package dev.phronesis.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import dev.phronesis.core.Json;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Role;
import dev.phronesis.core.records.Turn;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Hugging Face model's Jinja chat template, rendered with jinjava the way transformers'
 * {@code apply_chat_template} renders it ({@code trim_blocks} and {@code lstrip_blocks} on). The one
 * renderer for the dataset checks (module data) and the trainers (module train).
 *
 * <p><b>Where templates come from</b> (as transformers 5 finds them): {@code chat_template.jinja}
 * beside {@code tokenizer_config.json} is the default template and {@code additional_chat_templates/NAME.jinja}
 * the named ones; only when neither exists is {@code tokenizer_config.json}'s field {@code chat_template}
 * read (a string, or a list of {@code {name, template}}). {@link #load} takes the model directory,
 * its {@code tokenizer_config.json}, or a {@code .jinja} file. Without a chosen name the template
 * named {@code default} is used, or {@code tool_use} for a render that passes tools when there is one.
 *
 * <p><b>The assistant-only mask</b> ({@link #mask}), the one rule for both modules: a template with
 * {@code {% generation %}…{% endgeneration %}} blocks trains on what they enclose (what transformers
 * returns with {@code return_assistant_tokens_mask=True}, and TRL's {@code assistant_only_loss} uses);
 * otherwise each assistant turn {@code i} trains on the text between
 * {@code render(messages[:i], add_generation_prompt=True)} and {@code render(messages[:i+1])} — the
 * reply and the template's end-of-turn marker, not the header that announces it. Where those renders
 * are not prefixes of the full conversation the mask cannot be derived, and {@link Masked#divergences}
 * says where.
 *
 * <p>Jinja features jinjava lacks, provided here: Python string methods on strings ({@code strip},
 * {@code lstrip}, {@code rstrip} with characters, {@code startswith}, {@code endswith}, Python-style
 * {@code split}, {@code upper}, {@code lower}, {@code title}); the reversing slice {@code [::-1]};
 * Jinja's whitespace control after block tags; keyword arguments of {@code namespace(...)}; the
 * globals {@code raise_exception(msg)} and {@code strftime_now(fmt)} (a fixed date, so renders are
 * reproducible); and the {@code generation} block tag.
 */
public final class HfChatTemplate {
    /** Private-use characters that bracket a {@code generation} block's output in a marked render. */
    public static final char MASK_OPEN = '\uE000';
    public static final char MASK_CLOSE = '\uE001';
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    public static final String TEMPLATE_FILE = "chat_template.jinja";
    public static final String TEMPLATE_DIR = "additional_chat_templates";
    static final String DEFAULT = "default";
    static final String TOOL_USE = "tool_use";
    /** A template file larger than this is not a chat template. */
    static final long MAX_TEMPLATE_BYTES = 1 << 20;

    private static final Pattern GENERATION_TAG = Pattern.compile("\\{%-?\\s*generation\\s*-?%}");

    /** Where the mask came from. */
    public enum MaskSource {
        GENERATION_TAGS, PROMPT_PREFIX;
        public String wire() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }
    }

    /** Char offsets [start, end) of one trained span of the rendered text. */
    public record Span(int start, int end) {
        public Span {
            if (start < 0 || end < start) throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
        }
    }

    /** Where the prefix rule broke for assistant message {@code message}: the two renders differ from char {@code at}. */
    public record Divergence(int message, int at, String expected, String got) {}

    /**
     * A rendered conversation, its trained spans, and where the prefix rule broke (empty when it held).
     * With {@link MaskSource#PROMPT_PREFIX} there is one span per assistant turn, in order (possibly
     * empty); with {@link MaskSource#GENERATION_TAGS} one per non-empty {@code generation} block.
     */
    public record Masked(String text, List<Span> spans, MaskSource source, List<Divergence> divergences) {
        public Masked {
            spans = List.copyOf(spans);
            divergences = List.copyOf(divergences);
        }
    }

    /** A rendered conversation and the assistant spans trained on (the trainers' form). */
    public record Rendered(String text, List<Span> assistantSpans) {
        public Rendered { assistantSpans = List.copyOf(assistantSpans); }
    }

    /** A template that failed to render or raised; {@link #detail} is the reason without the file name. */
    public static final class RenderError extends UserError {
        private final String detail;

        RenderError(String where, String detail) {
            super(where + ": " + detail);
            this.detail = detail;
        }

        public String detail() { return detail; }
    }

    private final String name;
    private final String source;
    private final Map<String, String> templates; // name -> prepared template text
    private final String chosen;                 // the template every render uses, or null: default / tool_use
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    private HfChatTemplate(String name, String source, Map<String, String> raw, String chosen, String bos, String eos) {
        this.name = name;
        this.source = source;
        Map<String, String> prepared = new LinkedHashMap<>();
        raw.forEach((k, v) -> prepared.put(k, prepare(v)));
        this.templates = prepared;
        this.chosen = chosen;
        this.bosToken = bos == null ? "" : bos;
        this.eosToken = eos == null ? "" : eos;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).withElResolver(resolver).build());
        jinjava.registerTag(new GenerationTag());
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", HfChatTemplate.class, "raiseException", String.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", HfChatTemplate.class, "strftimeNow", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonToJson());
    }

    /**
     * {@code tojson} as transformers' templates get it: Python's {@code json.dumps(x, ensure_ascii=False)}
     * (separators {@code ", "} and {@code ": "}, keys in their order), so a rendered tools block is
     * the same text, and the same tokens, as {@code apply_chat_template} gives.
     */
    static final class PythonToJson implements com.hubspot.jinjava.lib.filter.Filter {
        @Override public String getName() { return "tojson"; }

        @Override public Object filter(Object var, com.hubspot.jinjava.interpret.JinjavaInterpreter interpreter, String... args) {
            StringBuilder b = new StringBuilder();
            write(b, var);
            return b.toString();
        }

        private static void write(StringBuilder b, Object v) {
            switch (v) {
                case null -> b.append("null");
                case Map<?, ?> m -> {
                    b.append('{');
                    boolean first = true;
                    for (var e : m.entrySet()) {
                        if (!first) b.append(", ");
                        first = false;
                        string(b, String.valueOf(e.getKey()));
                        b.append(": ");
                        write(b, e.getValue());
                    }
                    b.append('}');
                }
                case Iterable<?> it -> {
                    b.append('[');
                    boolean first = true;
                    for (Object x : it) {
                        if (!first) b.append(", ");
                        first = false;
                        write(b, x);
                    }
                    b.append(']');
                }
                case Boolean x -> b.append(x ? "true" : "false");
                case Double d when d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16 -> b.append((long) (double) d).append(".0");
                case Number n -> b.append(n);
                default -> string(b, String.valueOf(v));
            }
        }

        private static void string(StringBuilder b, String s) {
            b.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    case '\b' -> b.append("\\b");
                    case '\f' -> b.append("\\f");
                    default -> { if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c); }
                }
            }
            b.append('"');
        }
    }


    /** A template given as text (tests, snippets). */
    public static HfChatTemplate of(String template, String bosToken, String eosToken) {
        return new HfChatTemplate("chat template", "chat template", Map.of(DEFAULT, template), DEFAULT, bosToken, eosToken);
    }

    /** The default template of a model directory, its tokenizer_config.json or a .jinja file. */
    public static HfChatTemplate load(Path path) { return load(path, null); }

    /**
     * The template named {@code templateName} (null: {@code default}, or {@code tool_use} for renders
     * with tools) of a model directory, its {@code tokenizer_config.json}, or a {@code .jinja} file.
     * Every error is one line naming the file (and field) at fault.
     */
    public static HfChatTemplate load(Path path, String templateName) {
        if (!Files.exists(path)) throw new UserError(path + ": no such file or directory");
        Path dir;
        Map<String, String> found = new LinkedHashMap<>();
        String source;
        if (Files.isDirectory(path)) {
            dir = path;
            source = null;
        } else if (path.getFileName().toString().endsWith(".jinja")) {
            // a template file itself: the default one, or a named one under additional_chat_templates/
            Path parent = path.toAbsolutePath().getParent();
            boolean named = parent.getFileName() != null && parent.getFileName().toString().equals(TEMPLATE_DIR);
            dir = named ? parent.getParent() : parent;
            String n = named ? stem(path) : DEFAULT;
            if (templateName != null && !templateName.equals(n))
                throw new UserError(path + ": is the template '" + n + "'; --template-name " + templateName + " names another (give the model directory to choose among its templates)");
            found.put(n, readText(path));
            source = path.toString();
            Cfg cfg = config(dir.resolve(TOKENIZER_CONFIG), false);
            return new HfChatTemplate(path.getFileName().toString(), source, found, n, cfg.bos, cfg.eos);
        } else {
            dir = path.toAbsolutePath().getParent();
            source = path.toString();
        }
        Path cfgFile = source != null ? path : dir.resolve(TOKENIZER_CONFIG);
        Path jinja = dir.resolve(TEMPLATE_FILE);
        Path extra = dir.resolve(TEMPLATE_DIR);
        if (Files.isRegularFile(jinja)) found.put(DEFAULT, readText(jinja));
        if (Files.isDirectory(extra)) {
            try (Stream<Path> s = Files.list(extra)) {
                for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".jinja")).sorted().toList()) found.put(stem(p), readText(p));
            } catch (IOException e) {
                throw new UserError(extra + ": cannot list: " + oneLine(e));
            }
        }
        boolean fromFiles = !found.isEmpty();
        Cfg cfg = config(cfgFile, !fromFiles);
        if (!fromFiles) {
            JsonNode t = cfg.node.path("chat_template");
            if (t.isTextual()) found.put(DEFAULT, t.asText());
            else if (t.isArray()) {
                for (int i = 0; i < t.size(); i++) {
                    JsonNode x = t.get(i);
                    if (!x.path("name").isTextual() || !x.path("template").isTextual())
                        throw new UserError(cfgFile + ": field 'chat_template[" + i + "]' must be {name, template} with string values");
                    found.put(x.get("name").asText(), x.get("template").asText());
                }
            } else if (!t.isMissingNode() && !t.isNull()) {
                throw new UserError(cfgFile + ": field 'chat_template' must be a string or a list of {name, template}, got " + t.getNodeType().toString().toLowerCase(Locale.ROOT));
            }
        }
        String where = fromFiles ? (found.containsKey(DEFAULT) ? jinja.toString() : extra.toString()) : cfgFile + ": chat_template";
        if (found.isEmpty() || found.values().stream().allMatch(String::isBlank))
            throw new UserError(cfgFile + ": field 'chat_template' is missing (and there is no " + TEMPLATE_FILE + "): this tokenizer has no chat template; use an instruct/chat checkpoint or add one");
        if (templateName != null && !found.containsKey(templateName))
            throw new UserError(where + ": no chat template named '" + templateName + "' (has " + List.copyOf(found.keySet()) + ")");
        if (templateName == null && !found.containsKey(DEFAULT))
            throw new UserError(where + ": several chat templates " + List.copyOf(found.keySet()) + " and none named 'default'; choose one with --template-name");
        String label = (fromFiles ? (found.containsKey(DEFAULT) && (templateName == null || templateName.equals(DEFAULT)) ? TEMPLATE_FILE : TEMPLATE_DIR) : cfgFile.getFileName().toString())
                + (found.size() > 1 ? "#" + (templateName == null ? DEFAULT : templateName) : "");
        return new HfChatTemplate(label, where, found, templateName, cfg.bos, cfg.eos);
    }

    private record Cfg(JsonNode node, String bos, String eos) {}

    /** tokenizer_config.json's tokens (and its chat_template field); absent is an error only when it is the only source. */
    private static Cfg config(Path cfg, boolean required) {
        if (!Files.exists(cfg)) {
            if (required) throw new UserError(cfg + ": missing (needed for the chat template field 'chat_template', and there is no " + TEMPLATE_FILE + ")");
            return new Cfg(Json.MAPPER.missingNode(), "", "");
        }
        if (Files.isDirectory(cfg)) throw new UserError(cfg + ": is a directory, expected tokenizer_config.json");
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(readText(cfg));
        } catch (IOException e) {
            throw new UserError(cfg + ": not valid JSON: " + oneLine(e));
        }
        if (n == null || !n.isObject()) throw new UserError(cfg + ": not a JSON object");
        return new Cfg(n, token(n.path("bos_token")), token(n.path("eos_token")));
    }

    /** A file as UTF-8 text; an error names it when it is not one. */
    private static String readText(Path p) {
        try {
            if (Files.size(p) > MAX_TEMPLATE_BYTES) throw new UserError(p + ": larger than " + (MAX_TEMPLATE_BYTES >> 20) + " MB; not a chat template or tokenizer config");
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(p))).toString();
        } catch (CharacterCodingException e) {
            throw new UserError(p + ": not UTF-8 text");
        } catch (IOException e) {
            throw new UserError(p + ": cannot read: " + oneLine(e));
        }
    }

    private static String stem(Path p) {
        String f = p.getFileName().toString();
        return f.substring(0, f.length() - ".jinja".length());
    }

    /** A special token given as a string or as an AddedToken object {@code {"content": ...}}. */
    private static String token(JsonNode t) {
        if (t.isTextual()) return t.asText();
        if (t.isObject() && t.path("content").isTextual()) return t.path("content").asText();
        return "";
    }

    /** A short label for reports and file names: the file, and {@code #name} when there are several templates. */
    public String name() { return name; }
    /** The file (and field) the template came from, as error messages name it. */
    public String source() { return source; }
    public String bosToken() { return bosToken; }
    public String eosToken() { return eosToken; }
    /** The names of every template found (default first when there is one). */
    public List<String> names() { return List.copyOf(templates.keySet()); }
    /** The text of the template a render without tools uses (after our rewrites for jinjava). */
    public String text() { return templates.get(pick(false)); }
    /** True when the template marks the assistant mask with {@code generation} blocks. */
    public boolean hasGenerationTags() { return hasGenerationTags(false); }

    private boolean hasGenerationTags(boolean withTools) { return GENERATION_TAG.matcher(templates.get(pick(withTools))).find(); }

    private String pick(boolean tools) {
        if (chosen != null) return chosen;
        if (tools && templates.containsKey(TOOL_USE)) return TOOL_USE;
        return DEFAULT;
    }

    // ------------------------------------------------------------------------------------------------ rendering

    /**
     * Renders messages given as maps (role, content and whatever else the template reads:
     * {@code reasoning_content}, {@code tool_calls}, ...), with {@code generation} output bracketed by
     * {@link #MASK_OPEN}/{@link #MASK_CLOSE}; a {@link RenderError} when the template fails or raises.
     */
    public String renderMarked(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        boolean withTools = tools != null && !tools.isEmpty();
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("messages", messages);
        if (withTools) ctx.put("tools", tools);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        RAISED.remove();
        RenderResult r;
        try {
            r = jinjava.renderForResult(templates.get(pick(withTools)), ctx);
        } catch (RuntimeException e) {
            if (RAISED.get() != null) throw new RenderError(source, "template raised: " + RAISED.get());
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            throw new RenderError(source, "cannot render: " + oneLine(root.getMessage() == null ? root.toString() : root.getMessage()));
        }
        if (RAISED.get() != null) throw new RenderError(source, "template raised: " + RAISED.get());
        for (TemplateError err : r.getErrors()) {
            if (err.getSeverity() == TemplateError.ErrorType.FATAL)
                throw new RenderError(source + ":" + err.getLineno(), "cannot render: " + oneLine(err.getMessage()));
        }
        return r.getOutput();
    }

    /** {@link #renderMarked} without the mask markers. */
    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        return strip(renderMarked(messages, tools, addGenerationPrompt));
    }

    /** Stored turns as text, optionally ending with the header that asks for the next assistant turn. */
    public String render(List<Turn> messages, boolean addGenerationPrompt) {
        return render(templateMaps(messages), List.of(), addGenerationPrompt);
    }

    private static final java.util.regex.Pattern INLINE_THINK =
            java.util.regex.Pattern.compile("\\A\\s*<think>(.*?)</think>\\s*(.*)\\z", java.util.regex.Pattern.DOTALL);

    /** An assistant text's (reasoning, answer): from a leading think span, else ("", text). */
    public static String[] splitThink(String content) {
        var m = INLINE_THINK.matcher(content);
        return m.matches() ? new String[]{m.group(1).strip(), m.group(2)} : new String[]{"", content};
    }

    /**
     * Stored turns as this template wants them: an assistant turn's leading think span goes into
     * {@code reasoning_content} (and the answer into {@code content}) when the template reads that field
     * (Qwen3 / DeepSeek-R1 style); otherwise the span stays inline in the content.
     */
    public List<Map<String, Object>> templateMaps(List<Turn> turns) {
        List<Map<String, Object>> out = maps(turns);
        if (!text().contains("reasoning_content")) return out;
        for (int i = 0; i < turns.size(); i++) {
            if (turns.get(i).role() != Role.ASSISTANT) continue;
            String[] rc = splitThink(turns.get(i).content());
            if (rc[0].isEmpty()) continue;
            out.get(i).put("content", rc[1]);
            out.get(i).put("reasoning_content", rc[0]);
        }
        return out;
    }

    /** The assistant-only mask of a conversation (the rule in the class comment). */
    public Masked mask(List<Map<String, Object>> messages, List<Map<String, Object>> tools) {
        String marked = renderMarked(messages, tools, false);
        String full = strip(marked);
        List<Span> spans = new ArrayList<>();
        if (hasGenerationTags(tools != null && !tools.isEmpty())) {
            int pos = 0; // position in the unmarked text
            int open = -1;
            for (int i = 0; i < marked.length(); i++) {
                char c = marked.charAt(i);
                if (c == MASK_OPEN) open = pos;
                else if (c == MASK_CLOSE) { if (open >= 0 && pos > open) spans.add(new Span(open, pos)); open = -1; }
                else pos++;
            }
            return new Masked(full, spans, MaskSource.GENERATION_TAGS, List.of());
        }
        List<Divergence> divergences = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!Role.ASSISTANT.wire().equals(messages.get(i).get("role"))) continue;
            String before = render(messages.subList(0, i), tools, true);
            String through = i + 1 == messages.size() ? full : render(messages.subList(0, i + 1), tools, false);
            if (!through.startsWith(before)) divergences.add(divergence(i, before, through));
            else if (!full.startsWith(through)) divergences.add(divergence(i, through, full));
            int start = Math.min(before.length(), through.length());
            spans.add(new Span(start, through.length())); // one per assistant turn, possibly empty
        }
        return new Masked(full, spans, MaskSource.PROMPT_PREFIX, divergences);
    }

    /** The full conversation with the char spans of every assistant turn; a one-line error when the mask cannot be derived. */
    public Rendered renderTraining(List<Turn> messages) {
        Masked m = mask(templateMaps(messages), List.of());
        if (!m.divergences().isEmpty())
            throw new UserError(source + ": rendering is not prefix-stable at message " + m.divergences().getFirst().message()
                    + " (the text before an assistant turn changes when the turn is added), so the assistant-only mask cannot be derived");
        return new Rendered(m.text(), m.spans().stream().filter(s -> s.end() > s.start()).toList());
    }

    /**
     * Renders a probe conversation with a system prompt, tools, an assistant turn with reasoning and a
     * tool call, the tool's result and a final answer, with and without the generation prompt: a
     * template that cannot render what our datasets hold fails here, naming the file.
     */
    public void selfCheck() {
        List<Map<String, Object>> tools = List.of(Map.of("type", "function", "function", Map.of("name", "lookup", "description", "Look a record up.",
                "parameters", Map.of("type", "object", "properties", Map.of("id", Map.of("type", "string")), "required", List.of("id")))));
        List<Map<String, Object>> msgs = new ArrayList<>();
        msgs.add(msg("system", "You are careful."));
        msgs.add(msg("user", "Find record 7."));
        Map<String, Object> call = msg("assistant", "");
        call.put("reasoning_content", "The lookup tool answers this.");
        call.put("tool_calls", List.of(Map.of("type", "function", "id", "call_0", "function", Map.of("name", "lookup", "arguments", Map.of("id", "7")))));
        msgs.add(call);
        Map<String, Object> result = msg("tool", "{\"id\": \"7\", \"status\": \"open\"}");
        result.put("tool_call_id", "call_0");
        result.put("name", "lookup");
        msgs.add(result);
        Map<String, Object> answer = msg("assistant", "Record 7 is open.");
        answer.put("reasoning_content", "The tool said open.");
        msgs.add(answer);
        renderMarked(msgs.subList(0, 2), tools, true);
        Masked m = mask(msgs, tools);
        if (m.spans().stream().allMatch(s -> s.end() == s.start())) throw new UserError(source + ": the template renders no assistant text to train on for a conversation with tools and reasoning");
    }

    private static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    /** Stored turns as the maps templates read. */
    public static List<Map<String, Object>> maps(List<Turn> turns) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Turn t : turns) out.add(msg(t.role().wire(), t.content()));
        return out;
    }

    /** A marked render without its mask markers. */
    public static String strip(String marked) {
        return marked.replace(String.valueOf(MASK_OPEN), "").replace(String.valueOf(MASK_CLOSE), "");
    }

    private static Divergence divergence(int message, String expected, String got) {
        int n = Math.min(expected.length(), got.length());
        int at = 0;
        while (at < n && expected.charAt(at) == got.charAt(at)) at++;
        return new Divergence(message, at, expected.substring(at, Math.min(expected.length(), at + 24)), got.substring(at, Math.min(got.length(), at + 24)));
    }

    private static String oneLine(Exception e) { return oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()); }

    private static String oneLine(String m) {
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    // ------------------------------------------------------------------------------------------------ jinjava gaps

    /** Our rewrites of template text for jinjava: the reversing slice, namespace keyword values, whitespace control. */
    static String prepare(String template) {
        return applyWhitespaceControl(parenthesiseNamespaceArgs(template.replace("[::-1]", "|reverse")));
    }

    private static final Pattern LEFT_TRIM = Pattern.compile("\\s*\\{([{%#])-");
    private static final Pattern RIGHT_TRIM = Pattern.compile("-([}%#])}\\s*");

    /**
     * Jinja's whitespace control ({@code {{-}}, {@code -%}} ...) applied to the source: jinjava leaves the
     * whitespace before a {@code {{-} that follows a block tag, so we strip it ourselves and hand jinjava
     * plain tags. Equivalent because the stripped text is literal template data.
     */
    static String applyWhitespaceControl(String tpl) {
        String t = LEFT_TRIM.matcher(tpl).replaceAll("{$1");
        return RIGHT_TRIM.matcher(t).replaceAll("$1}");
    }

    /**
     * jinjava binds {@code namespace(n=messages|length - 1)} as {@code (n=messages|length) - 1}; Jinja binds the
     * whole expression to {@code n}. Parenthesising every keyword value restores Jinja's meaning.
     */
    static String parenthesiseNamespaceArgs(String tpl) {
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int at = tpl.indexOf("namespace(", from); at >= 0; at = tpl.indexOf("namespace(", from)) {
            int open = at + "namespace(".length();
            int depth = 1;
            int i = open;
            char quote = 0;
            List<Integer> commas = new ArrayList<>();
            for (; i < tpl.length() && depth > 0; i++) {
                char ch = tpl.charAt(i);
                if (quote != 0) { if (ch == quote) quote = 0; continue; }
                if (ch == '\'' || ch == '"') quote = ch;
                else if (ch == '(' || ch == '[' || ch == '{') depth++;
                else if (ch == ')' || ch == ']' || ch == '}') depth--;
                else if (ch == ',' && depth == 1) commas.add(i);
            }
            int close = i - 1;
            if (depth != 0) break;
            out.append(tpl, from, open);
            List<Integer> bounds = new ArrayList<>(commas);
            bounds.add(close);
            int start = open;
            for (int b = 0; b < bounds.size(); b++) {
                String arg = tpl.substring(start, bounds.get(b));
                int eq = arg.indexOf('=');
                boolean kw = eq > 0 && arg.substring(0, eq).strip().matches("[A-Za-z_][A-Za-z0-9_]*") && (eq + 1 >= arg.length() || arg.charAt(eq + 1) != '=');
                out.append(kw ? arg.substring(0, eq + 1) + "(" + arg.substring(eq + 1).strip() + ")" : arg);
                if (b < bounds.size() - 1) out.append(',');
                start = bounds.get(b) + 1;
            }
            out.append(')');
            from = close + 1;
        }
        return out.append(tpl.substring(from)).toString();
    }

    /** The message of the last raise_exception on this thread: jinjava reports only that the function failed. */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    public static String raiseException(String message) {
        RAISED.set(message);
        throw new TemplateRaised(message);
    }

    /** A fixed date, so renders are reproducible. */
    public static String strftimeNow(String format) {
        return java.time.format.DateTimeFormatter.ofPattern(format.replace("%d", "dd").replace("%b", "MMM").replace("%Y", "yyyy").replace("%B", "MMMM"), Locale.ROOT)
                .format(java.time.LocalDate.of(2026, 1, 1));
    }

    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String m) { super("template raised: " + m, null, false, false); }
    }

    /** {@code {% generation %}...{% endgeneration %}}: marks what transformers returns as the assistant mask. */
    static final class GenerationTag implements Tag {
        @Override public String getName() { return "generation"; }
        @Override public String getEndTagName() { return "endgeneration"; }

        @Override public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder b = new StringBuilder().append(MASK_OPEN);
            for (Node child : tagNode.getChildren()) b.append(child.render(interpreter).getValue());
            return b.append(MASK_CLOSE).toString();
        }
    }

    /** Python's str methods that chat templates call and Java's String lacks (or has with other meanings). */
    static final class PyStringMethods extends ELResolver {
        @Override public Object invoke(ELContext ctx, Object base, Object method, Class<?>[] types, Object[] params) {
            if (!(base instanceof String s) || !(method instanceof String m)) return null;
            Object[] p = params == null ? new Object[0] : params;
            Object out = switch (m) {
                case "strip" -> p.length == 1 && p[0] != null ? rstrip(lstrip(s, p[0].toString()), p[0].toString()) : s.strip();
                case "lstrip" -> p.length == 1 && p[0] != null ? lstrip(s, p[0].toString()) : s.stripLeading();
                case "rstrip" -> p.length == 1 && p[0] != null ? rstrip(s, p[0].toString()) : s.stripTrailing();
                case "startswith" -> p.length == 1 ? s.startsWith(String.valueOf(p[0])) : null;
                case "endswith" -> p.length == 1 ? s.endsWith(String.valueOf(p[0])) : null;
                case "split" -> p.length == 1 && p[0] != null ? split(s, p[0].toString()) : (p.length == 0 ? List.of(s.strip().split("\\s+")) : null);
                case "upper" -> p.length == 0 ? s.toUpperCase(Locale.ROOT) : null;
                case "lower" -> p.length == 0 ? s.toLowerCase(Locale.ROOT) : null;
                case "title" -> p.length == 0 ? title(s) : null;
                default -> null;
            };
            if (out != null) ctx.setPropertyResolved(true);
            return out;
        }

        private static String lstrip(String s, String chars) {
            int i = 0;
            while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) i++;
            return s.substring(i);
        }

        private static String rstrip(String s, String chars) {
            int j = s.length();
            while (j > 0 && chars.indexOf(s.charAt(j - 1)) >= 0) j--;
            return s.substring(0, j);
        }

        private static List<String> split(String s, String sep) {
            List<String> out = new ArrayList<>();
            int from = 0;
            int at;
            while (!sep.isEmpty() && (at = s.indexOf(sep, from)) >= 0) {
                out.add(s.substring(from, at));
                from = at + sep.length();
            }
            out.add(s.substring(from));
            return out;
        }

        private static String title(String s) {
            StringBuilder b = new StringBuilder();
            boolean start = true;
            for (char ch : s.toCharArray()) {
                b.append(start ? Character.toUpperCase(ch) : Character.toLowerCase(ch));
                start = !Character.isLetter(ch);
            }
            return b.toString();
        }

        @Override public Object getValue(ELContext c, Object b, Object p) { return null; }
        @Override public Class<?> getType(ELContext c, Object b, Object p) { return null; }
        @Override public void setValue(ELContext c, Object b, Object p, Object v) { }
        @Override public boolean isReadOnly(ELContext c, Object b, Object p) { return true; }
        @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext c, Object b) { return null; }
        @Override public Class<?> getCommonPropertyType(ELContext c, Object b) { return null; }
    }
}
