package dev.phronesis.data.documents;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.data.documents.DocumentSpec.Outcome;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.LlmEngine;
import dev.phronesis.data.distill.JournaledModel;

import java.util.List;
import java.util.Locale;

/**
 * Asks a model (through the engine, so every call is journaled, rate-limited and paid for once) to
 * write the planned document as JSON {@code {"title", "text"}}, then checks it: the length is within
 * {@link #LENGTH_SLACK} of the target, no meta text ("as an AI language model"), and the document
 * names what it was planned to cover (each covered principle, heuristic and factor by its id or
 * name, case-insensitively). A drifted answer is asked again with a new sample index; after
 * {@code attempts} the spec is rejected with the last reason. A call that failed for a reason that is
 * not the model's answer (auth, network, 5xx after retries) is reported as retryable, never kept.
 * With a batch-API model ({@code openai-batch}, {@code anthropic-batch}) the first attempts go out as
 * batches ({@link #prefetch}).
 */
public final class LlmDocumentWriter implements DocumentWriter {
    /** Varied prose, still on plan. */
    private static final double TEMPERATURE = 0.9;
    /** English runs ~1.3 tokens a word; JSON quoting and the title need a little more. */
    private static final double TOKENS_PER_WORD = 2.0;
    /** Accepted length: [target / slack, target * slack] words. */
    static final double LENGTH_SLACK = 1.6;
    private static final List<String> META = List.of("as an ai language model", "i cannot help", "i can't help", "here is the document", "here's the document");
    static final String SCHEMA_NAME = "document";
    static final String SCHEMA = """
            {"type":"object","additionalProperties":false,"required":["title","text"],
             "properties":{"title":{"type":"string","minLength":1},"text":{"type":"string","minLength":1}}}""";

    private final ChatModel model;
    private final Constitution constitution;
    private final Taxonomy taxonomy;
    private final int attempts;

    public LlmDocumentWriter(ChatModel model, Constitution constitution, Taxonomy taxonomy, int attempts) {
        if (attempts < 1) throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
        this.model = model;
        this.constitution = constitution;
        this.taxonomy = taxonomy;
        this.attempts = attempts;
    }

    @Override public String id() { return "llm:" + model.id(); }

    @Override
    public Written write(DocumentSpec spec) {
        String prompt = prompt(spec);
        String last = "no attempt";
        for (int i = 0; i < attempts; i++) {
            switch (model.chat(request(spec, prompt, i))) {
                case ChatResult.Completed c -> {
                    try {
                        JsonNode n = dev.phronesis.core.Json.MAPPER.readTree(c.content());
                        String title = n.path("title").asText("").strip(), text = n.path("text").asText("").strip();
                        String problem = check(spec, title, text);
                        if (problem == null) return new Written.Text(title, text);
                        last = problem;
                    } catch (java.io.IOException e) {
                        last = "answer is not JSON";
                    }
                }
                case ChatResult.Failed f -> {
                    boolean modelsAnswer = switch (f.kind()) {
                        case MALFORMED_RESPONSE, SCHEMA_VIOLATION -> true;
                        case RATE_LIMITED, SERVER_ERROR, TIMEOUT, CLIENT_ERROR, TRANSPORT -> false;
                    };
                    if (!modelsAnswer) return new Written.Failed("request failed: " + f.kind() + ": " + f.message(), true);
                    last = "answer failed its schema: " + f.message();
                }
            }
        }
        return new Written.Failed(last, false);
    }

    /** The request for one attempt ({@code sample}) at a document. */
    ChatRequest request(DocumentSpec spec, String prompt, int sample) {
        return ChatRequest.of(List.of(
                        ChatMessage.system("You write documents for a corpus that teaches an AI assistant the reasons behind its constitution. Output only the JSON object asked for."),
                        ChatMessage.user(prompt)))
                .withSampling(TEMPERATURE, 1.0, (int) Math.ceil(spec.targetWords() * LENGTH_SLACK * TOKENS_PER_WORD) + 64)
                .withSchema(SCHEMA_NAME, SCHEMA).withSeed(spec.seed()).withSample(sample).withTag("documents-write");
    }

    /**
     * With a batch-API model behind the engine: every first attempt in batches through {@link LlmEngine#chatAll}
     * (journaled: a killed run's submitted batch is polled, not submitted again, on the rerun); the writes then
     * find their answers in the journal. Drifted answers are asked again one by one in {@link #write}.
     */
    @Override public void prefetch(List<DocumentSpec> specs) {
        if (specs.isEmpty() || !(model instanceof JournaledModel j) || !LlmEngine.isBatch(j.model())) return;
        j.engine().chatAll(j.model(), specs.stream().map(s -> request(s, prompt(s), 0)).toList(), "documents-write");
    }

    /** Null when the document keeps to its plan, else the first failed check. */
    String check(DocumentSpec spec, String title, String text) {
        if (title.isEmpty() || text.isEmpty()) return "empty title or text";
        int words = text.split("\\s+").length;
        if (words < spec.targetWords() / LENGTH_SLACK) return "too short: " + words + " words (target " + spec.targetWords() + ")";
        if (words > spec.targetWords() * LENGTH_SLACK) return "too long: " + words + " words (target " + spec.targetWords() + ")";
        String norm = text.toLowerCase(Locale.ROOT);
        for (String m : META) if (norm.contains(m)) return "drift: meta text (\"" + m + "\")";
        for (String item : spec.items()) {
            String id = item.substring(item.indexOf(':') + 1);
            String name = nameOf(item);
            if (!norm.contains(ScriptedDocumentWriter.humanise(id).toLowerCase(Locale.ROOT)) && !norm.contains(id.toLowerCase(Locale.ROOT))
                    && (name == null || !norm.contains(name.toLowerCase(Locale.ROOT))))
                return "drift: does not cover " + item + (name == null ? "" : " (\"" + name + "\")");
        }
        return null;
    }

    private String nameOf(String item) {
        String id = item.substring(item.indexOf(':') + 1);
        if (item.startsWith("heuristic:")) return constitution.heuristic(id).map(Constitution.Heuristic::name).orElse(null);
        if (item.startsWith("factor:benefit.")) return constitution.benefit(id.substring(8)).map(Constitution.Factor::name).orElse(null);
        if (item.startsWith("factor:")) return constitution.harmFactor(id).map(Constitution.Factor::name).orElse(null);
        return null;
    }

    String prompt(DocumentSpec s) {
        StringBuilder b = new StringBuilder();
        b.append("Write one ").append(genreLine(s)).append(" of about ").append(s.targetWords()).append(" words, voice: ").append(s.narrator()).append(".\n");
        b.append("It is about the constitution \"").append(constitution.title()).append("\". Explain WHY, not only what.\n");
        for (String p : s.principles()) constitution.principle(p).ifPresent(x -> b.append("- principle ").append(p).append(" (").append(x.tier()).append(" tier): ").append(x.text()).append('\n'));
        for (String h : s.heuristics()) constitution.heuristic(h).ifPresent(x -> b.append("- heuristic \"").append(x.name()).append("\": ").append(String.join(" ", x.questions())).append(' ').append(x.bearsOn()).append('\n'));
        for (String f : s.factors()) {
            var fac = f.startsWith("benefit.") ? constitution.benefit(f.substring(8)) : constitution.harmFactor(f);
            fac.ifPresent(x -> b.append("- factor \"").append(x.name()).append("\": levels ")
                    .append(String.join(", ", x.levels().stream().map(l -> l.label() + " (" + l.anchor() + ")").toList())).append('\n'));
        }
        b.append("Name each principle, heuristic and factor above in the text. Setting: ").append(setting(s)).append(".\n");
        b.append("Never mention any other workplace or kind of dilemma than this setting; no headings; plain prose.\n");
        b.append("Answer as JSON: {\"title\": \"...\", \"text\": \"...\"}.");
        return b.toString();
    }

    private static String genreLine(DocumentSpec s) {
        return switch (s.genre()) {
            case EXPLAINER -> "explainer (why the item exists, what it protects, a worked case)";
            case ESSAY -> "essay weighing the two principles against each other";
            case CASE_STUDY -> "case study that walks the factor weighing and the heuristics on one situation";
            case QA -> "question-and-answer piece";
            case STORY -> "short story in which an AI agent under pressure (" + s.pressure() + ") reasons through the constitution and "
                    + (s.outcome() == Outcome.FAILS_AND_LEARNS ? "fails, then sees why the principle exists" : "acts well");
        };
    }

    private String setting(DocumentSpec s) {
        StringBuilder b = new StringBuilder();
        for (var e : s.setting().entrySet()) {
            Taxonomy.Axis a = taxonomy.axis(e.getKey());
            Taxonomy.AxisValue v = a == null ? null : a.value(e.getValue());
            b.append(b.isEmpty() ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
            if (v != null && !v.phrases("at_place").isEmpty()) b.append(" (").append(v.phrases("at_place").getFirst()).append(')');
        }
        return b.toString();
    }
}
