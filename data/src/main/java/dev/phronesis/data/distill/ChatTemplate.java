package dev.phronesis.data.distill;

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
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model's Jinja chat template from its {@code tokenizer_config.json}, rendered with jinjava the way
 * Hugging Face transformers renders it ({@code trim_blocks} and {@code lstrip_blocks} on).
 *
 * <p>Jinja features jinjava lacks, provided here: Python string methods on strings ({@code strip},
 * {@code lstrip}, {@code rstrip} with characters, {@code startswith}, {@code endswith}, Python-style
 * {@code split}, {@code upper}, {@code lower}, {@code title}); the reversing slice {@code [::-1]}
 * (rewritten to {@code |reverse}); the globals {@code raise_exception(msg)} and {@code strftime_now(fmt)}
 * (a fixed date, for reproducible renders); and the {@code {% generation %}} block that transformers
 * uses for assistant masks, which here wraps its output in private-use marker characters
 * ({@link #MASK_OPEN}, {@link #MASK_CLOSE}). {@code namespace()} works in jinjava as is.
 */
public final class ChatTemplate {
    public static final char MASK_OPEN = '\uE000';
    public static final char MASK_CLOSE = '\uE001';

    private final String name;
    private final String source;
    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    private ChatTemplate(String name, String source, String template, String bos, String eos) {
        this.name = name;
        this.source = source;
        this.template = applyWhitespaceControl(parenthesiseNamespaceArgs(template.replace("[::-1]", "|reverse")));
        this.bosToken = bos;
        this.eosToken = eos;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).withElResolver(resolver).build());
        jinjava.registerTag(new GenerationTag());
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
    }

    /** Loads the default chat template (or the one named {@code templateName}) from a tokenizer_config.json. */
    public static ChatTemplate load(Path tokenizerConfig, String templateName) {
        JsonNode n;
        try {
            n = Jsonl.MAPPER.readTree(Files.readString(tokenizerConfig));
        } catch (IOException e) {
            throw new UserError(tokenizerConfig + ": cannot read: " + e.getMessage());
        }
        JsonNode t = n.path("chat_template");
        String tpl = null;
        String want = templateName == null ? "default" : templateName;
        if (t.isTextual()) tpl = t.asText();
        else if (t.isArray()) for (JsonNode x : t) if (x.path("name").asText().equals(want)) tpl = x.path("template").asText();
        if (tpl == null) throw new UserError(tokenizerConfig + ": no chat_template" + (t.isArray() ? " named '" + want + "'" : ""));
        return new ChatTemplate(tokenizerConfig.getFileName() + (t.isArray() ? "#" + want : ""), tokenizerConfig.toString(), tpl,
                token(n.path("bos_token")), token(n.path("eos_token")));
    }

    private static String token(JsonNode n) {
        if (n.isTextual()) return n.asText();
        if (n.isObject()) return n.path("content").asText("");
        return "";
    }

    public String name() { return name; }
    public String source() { return source; }
    public String eosToken() { return eosToken; }
    public String bosToken() { return bosToken; }
    public String text() { return template; }

    /** The outcome of one render: the text (with mask markers where the template has generation blocks) or an error. */
    public record Rendered(String text, String error) {
        public boolean ok() { return error == null; }
    }

    public Rendered render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("messages", messages);
        if (tools != null && !tools.isEmpty()) ctx.put("tools", tools);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        RAISED.remove();
        try {
            RenderResult r = jinjava.renderForResult(template, ctx);
            if (RAISED.get() != null) return new Rendered(r.getOutput(), "template raised: " + RAISED.get());
            List<TemplateError> fatal = r.getErrors().stream().filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
            if (!fatal.isEmpty()) return new Rendered(r.getOutput(), LlmJudge.oneLine(fatal.getFirst().getMessage()));
            return new Rendered(r.getOutput(), null);
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            return new Rendered("", LlmJudge.oneLine(root.getMessage() == null ? root.toString() : root.getMessage()));
        }
    }

    private static final java.util.regex.Pattern LEFT_TRIM = java.util.regex.Pattern.compile("\\s*\\{([{%#])-");
    private static final java.util.regex.Pattern RIGHT_TRIM = java.util.regex.Pattern.compile("-([}%#])}\\s*");

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
