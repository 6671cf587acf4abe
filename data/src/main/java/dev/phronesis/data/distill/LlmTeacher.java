package dev.phronesis.data.distill;

import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;

import java.util.List;
import java.util.Map;

/**
 * A real model as teacher: the constitution in the system prompt, the scenario as the user turn, the
 * structured deliberation requested through a JSON Schema. Sample i of a scenario is request
 * {@code sampleIndex = i} with a seed derived from it, so N samples are N distinct (journaled) calls.
 * An answer that violates the schema (after the engine's repair turns) is kept as a malformed deliberation, so the schema gate rejects it with
 * its reason; a request that fails for transient reasons throws {@link Teacher.Unavailable}: nothing is recorded, a rerun retries it.
 */
public final class LlmTeacher implements Teacher {
    /** Enough room for a full deliberation plus the answer. */
    public static final int MAX_OUTPUT_TOKENS = 4096;

    private final ChatModel model;
    private final Constitution c;
    private final String systemPrompt;
    private final String schema;
    private final double temperature;
    private final long seed;

    public LlmTeacher(ChatModel model, Constitution constitution, Verbosity verbosity, double temperature, long seed) {
        this.model = model;
        this.c = constitution;
        this.systemPrompt = TeacherPrompt.system(constitution, verbosity);
        this.schema = TeacherPrompt.schemaJson(constitution);
        this.temperature = temperature;
        this.seed = seed;
    }

    @Override public String id() { return "llm:" + model.id(); }

    /**
     * Only the model's own bad answer (a schema violation after the engine's repairs) is kept as a rejection.
     * Everything else failed for a reason that is not the answer — a refused key (401/403), a wrong model or
     * URL (404), a bad request, 5xx after retries, a dropped connection — and is never recorded as finished:
     * a rerun (after fixing the key) asks again.
     */
    static boolean retryable(ChatResult.Failed.Kind k) {
        return switch (k) {
            case RATE_LIMITED, SERVER_ERROR, TIMEOUT, MALFORMED_RESPONSE, TRANSPORT, CLIENT_ERROR -> true;
            case SCHEMA_VIOLATION -> false;
        };
    }

    @Override public Deliberation deliberate(Scenario s, int sampleIndex) {
        ChatRequest req = ChatRequest.of(List.of(ChatMessage.system(systemPrompt), ChatMessage.user(TeacherPrompt.scenario(s))))
                .withSampling(temperature, 1.0, MAX_OUTPUT_TOKENS)
                .withSchema(TeacherPrompt.SCHEMA_NAME, schema)
                .withSeed(seed + sampleIndex)
                .withSample(sampleIndex)
                .withTag("distill/" + s.id());
        return switch (model.chat(req)) {
            case ChatResult.Completed done -> TeacherPrompt.parse(c, s.id(), sampleIndex, id(), done.content(),
                    Map.of("input_tokens", done.usage().inputTokens(), "output_tokens", done.usage().outputTokens()));
            case ChatResult.Failed failed when !retryable(failed.kind()) -> new Deliberation(s.id(), sampleIndex, id(), null, null, null, null, null,
                    null, null, null, 0, null, "teacher answer rejected (" + failed.kind() + "): " + failed.message(), Map.of());
            case ChatResult.Failed failed -> throw new Teacher.Unavailable("teacher request for " + s.id() + "#" + sampleIndex
                    + " failed (" + failed.kind() + ", " + failed.attempts() + " attempts): " + failed.message());
        };
    }

    /** A deliberation written as an LLM teacher answers (the schema of {@link TeacherPrompt#schemaJson}), for stand-in servers. */
    public static String answerJson(dev.phronesis.core.records.Deliberation d) {
        com.fasterxml.jackson.databind.node.ObjectNode n = dev.phronesis.core.records.Jsonl.MAPPER.createObjectNode();
        n.put("population", d.population());
        com.fasterxml.jackson.databind.node.ObjectNode mix = n.putObject("intent_mix");
        d.intentMix().forEach(mix::put);
        d.principlesAtStake().forEach(n.putArray("principles_at_stake")::add);
        com.fasterxml.jackson.databind.node.ObjectNode hf = n.putObject("heuristic_findings");
        d.heuristicFindings().forEach(hf::put);
        var ha = n.putArray("harms");
        for (dev.phronesis.core.records.FactorAssessment f : d.harms()) ha.addObject().put("factor", f.factor()).put("level", f.label()).put("rationale", f.rationale());
        var ba = n.putArray("benefits");
        for (dev.phronesis.core.records.FactorAssessment f : d.benefits()) ba.addObject().put("factor", f.factor()).put("level", f.label()).put("rationale", f.rationale());
        d.flags().forEach(n.putArray("flags")::add);
        n.put("weighing", "weighed");
        n.put("decision", d.decision());
        n.put("reasoning", d.reasoning());
        n.put("response", d.response());
        return dev.phronesis.core.records.Jsonl.toJson(n);
    }

}
