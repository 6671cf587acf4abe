package dev.phronesis.data.distill;

import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Turn;
import dev.phronesis.llm.HfChatTemplate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The chat-template round trip: renders every sample with a model's chat template and checks what
 * trainers get wrong. The assistant-only loss mask is {@link HfChatTemplate#mask} — the rule the
 * trainers use: what transformers returns for a template with {@code {% generation %}} blocks, or
 * otherwise what prompt-prefix masking gives (render the prompt with the generation prompt; train on
 * the rest). Violations, by kind:
 * <ul>
 *   <li>{@code render-error} — the template failed (incl. {@code raise_exception});</li>
 *   <li>{@code prefix-mismatch} — the prompt rendered with the generation prompt is not a prefix of the full render, so prefix masking cuts in the wrong place;</li>
 *   <li>{@code reasoning-dropped} / {@code response-dropped} — the text never appears in the render (e.g. a template that ignores {@code reasoning_content});</li>
 *   <li>{@code reasoning-outside-mask} / {@code response-outside-mask} — rendered, but not trained on;</li>
 *   <li>{@code eot-outside-mask} — the end-of-turn token is not inside the mask right after the response (the model never learns to stop);</li>
 *   <li>{@code mask-covers-extra} — the mask holds more than reasoning, response, think tags and end-of-turn (e.g. the prompt or the role header);</li>
 *   <li>{@code duplicated-think-tags}, {@code stray-think-tags}, {@code empty-think-block}, {@code reasoning-without-think-tags};</li>
 *   <li>{@code earlier-turn-reasoning-leak} — reasoning of an earlier assistant turn appears in the render (found with a probe conversation).</li>
 * </ul>
 */
public final class ChatTemplateCheck {
    /** End-of-turn markers of common template families, looked for in the template text; the eos token is the fallback. */
    static final List<String> EOT_MARKERS = List.of("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<｜end▁of▁sentence｜>");
    static final String PROBE_REASONING = "probe-earlier-turn-reasoning-7f3a";

    public record Violation(String sampleId, String format, String kind, String detail) {}

    public record Report(String template, String eot, String maskSource, int samples, Map<String, Integer> counts, List<Violation> violations) {
        public boolean clean() { return violations.isEmpty(); }
    }

    private final HfChatTemplate t;
    private final String eot;
    private final boolean generationTags;

    public ChatTemplateCheck(HfChatTemplate template) {
        this.t = template;
        String e = null;
        for (String m : EOT_MARKERS) if (template.text().contains(m)) { e = m; break; }
        this.eot = e != null ? e : template.eosToken();
        this.generationTags = template.hasGenerationTags();
    }

    /**
     * Checks every sample in the given export style: {@code THINK}/{@code OPENAI} (reasoning inside the
     * content in think tags) or {@code HF_REASONING} (reasoning in {@code reasoning_content}).
     */
    public Report check(List<Sample> samples, Map<String, List<Map<String, Object>>> toolsByScenario, DatasetBuilder.Format format) {
        List<Violation> out = new ArrayList<>();
        for (Sample s : samples) out.addAll(checkOne(s, toolsByScenario.getOrDefault(s.scenarioId(), List.of()), format));
        if (!samples.isEmpty()) out.addAll(probeEarlierTurns(samples.getFirst(), format));
        Map<String, Integer> counts = new TreeMap<>();
        out.forEach(v -> counts.merge(v.kind(), 1, Integer::sum));
        return new Report(t.name(), eot, generationTags ? "generation-tags" : "prompt-prefix", samples.size(), counts, out);
    }

    static List<Map<String, Object>> messages(List<Turn> prompt) { return HfChatTemplate.maps(prompt); }

    static Map<String, Object> assistant(String reasoning, String response, DatasetBuilder.Format f) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("role", "assistant");
        if (f == DatasetBuilder.Format.HF_REASONING) {
            a.put("content", response);
            if (!reasoning.isEmpty()) a.put("reasoning_content", reasoning);
        } else {
            a.put("content", reasoning.isEmpty() ? response
                    : AnswerFormat.THINK_OPEN + "\n" + reasoning + "\n" + AnswerFormat.THINK_CLOSE + "\n\n" + response);
        }
        return a;
    }

    private List<Violation> checkOne(Sample s, List<Map<String, Object>> tools, DatasetBuilder.Format f) {
        List<Violation> v = new ArrayList<>();
        String fw = f.wire();
        List<Map<String, Object>> msgs = messages(s.messages());
        List<Map<String, Object>> full = new ArrayList<>(msgs);
        full.add(assistant(s.reasoning(), s.response(), f));
        HfChatTemplate.Masked m;
        try {
            m = t.mask(full, tools);
        } catch (HfChatTemplate.RenderError e) {
            return List.of(new Violation(s.id(), fw, "render-error", e.detail()));
        }
        String text = m.text();
        int last = full.size() - 1; // the sample's own answer: the turn trained on
        for (HfChatTemplate.Divergence d : m.divergences()) {
            if (d.message() == last) v.add(new Violation(s.id(), fw, "prefix-mismatch", "prompt render diverges at char " + d.at() + ": expected "
                    + quote(d.expected()) + ", got " + quote(d.got())));
        }
        HfChatTemplate.Span span = m.spans().isEmpty() ? null : m.spans().getLast();
        String mask = span == null ? "" : text.substring(span.start(), span.end());
        String reasoning = s.reasoning().strip();
        String response = s.response().strip();
        if (!reasoning.isEmpty()) {
            if (!text.contains(reasoning)) v.add(new Violation(s.id(), fw, "reasoning-dropped", "the reasoning does not appear in the render"));
            else if (!mask.contains(reasoning)) v.add(new Violation(s.id(), fw, "reasoning-outside-mask", "the reasoning is rendered but not trained on"));
        }
        if (!text.contains(response)) v.add(new Violation(s.id(), fw, "response-dropped", "the response does not appear in the render"));
        else if (!mask.contains(response)) v.add(new Violation(s.id(), fw, "response-outside-mask", "the response is rendered but not trained on"));
        int respAt = mask.lastIndexOf(response);
        if (respAt >= 0 && !eot.isEmpty()) {
            String after = mask.substring(respAt + response.length());
            if (!after.strip().startsWith(eot)) v.add(new Violation(s.id(), fw, "eot-outside-mask", quote(eot) + " does not follow the response inside the mask"));
        }
        String extra = mask;
        if (!reasoning.isEmpty()) extra = extra.replace(reasoning, "");
        extra = extra.replace(response, "").replace(AnswerFormat.THINK_OPEN, "").replace(AnswerFormat.THINK_CLOSE, "");
        if (!eot.isEmpty()) extra = extra.replace(eot, "");
        if (!t.eosToken().isEmpty()) extra = extra.replace(t.eosToken(), "");
        if (!extra.isBlank()) v.add(new Violation(s.id(), fw, "mask-covers-extra", "the mask also trains on " + quote(extra.strip())));
        int opens = count(text, AnswerFormat.THINK_OPEN);
        int closes = count(text, AnswerFormat.THINK_CLOSE);
        if (!reasoning.isEmpty()) {
            if (opens > 1 || closes > 1) v.add(new Violation(s.id(), fw, "duplicated-think-tags", opens + " <think> and " + closes + " </think> in the render"));
            else if (opens == 0 && text.contains(reasoning)) v.add(new Violation(s.id(), fw, "reasoning-without-think-tags", "the reasoning is rendered as plain answer text"));
        } else if (opens > 0 || closes > 0) {
            int o = text.indexOf(AnswerFormat.THINK_OPEN);
            int c = text.indexOf(AnswerFormat.THINK_CLOSE);
            boolean empty = o >= 0 && c > o && text.substring(o + AnswerFormat.THINK_OPEN.length(), c).isBlank();
            v.add(new Violation(s.id(), fw, empty ? "empty-think-block" : "stray-think-tags",
                    empty ? "a demonstration sample is rendered with an empty think block" : "think tags in a sample without reasoning"));
        }
        return v;
    }

    /** Renders a probe: an earlier exchange whose assistant turn carries reasoning, then the sample. That reasoning must not appear. */
    private List<Violation> probeEarlierTurns(Sample s, DatasetBuilder.Format f) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        List<Map<String, Object>> prompt = messages(s.messages());
        int insert = !prompt.isEmpty() && "system".equals(prompt.getFirst().get("role")) ? 1 : 0;
        msgs.addAll(prompt.subList(0, insert));
        msgs.add(new LinkedHashMap<>(Map.of("role", "user", "content", "An earlier question.")));
        msgs.add(assistant(PROBE_REASONING, "An earlier answer.", f));
        msgs.addAll(prompt.subList(insert, prompt.size()));
        msgs.add(assistant(s.reasoning(), s.response(), f));
        String rendered;
        try {
            rendered = t.render(msgs, List.of(), false);
        } catch (HfChatTemplate.RenderError e) {
            return List.of();
        }
        if (rendered.contains(PROBE_REASONING)) {
            return List.of(new Violation("(probe)", f.wire(), "earlier-turn-reasoning-leak", "an earlier assistant turn's reasoning is kept in the render; at inference it is dropped"));
        }
        return List.of();
    }

    private static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    private static String quote(String s) {
        String t = s.replace("\n", "\\n");
        return "'" + (t.length() > 60 ? t.substring(0, 60) + "…" : t) + "'";
    }
}
