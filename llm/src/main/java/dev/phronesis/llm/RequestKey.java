package dev.phronesis.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.Hashes;

import java.util.Map;
import java.util.TreeMap;

/**
 * The journal key of a request: SHA-256 over a canonical JSON of everything that determines the
 * answer (model identity, extra parameters, messages, tools, sampling, stop, seed, schema, sample
 * index). The {@code tag} is left out on purpose: it labels accounting, not the answer.
 */
final class RequestKey {
    private static final ObjectMapper JSON = dev.phronesis.core.Json.MAPPER;
    /** Bump when the canonical form changes, so old journal rows are not misread as answers to new keys. */
    private static final int VERSION = 1;

    private RequestKey() {}

    static String of(String modelId, Map<String, Object> params, ChatRequest r) {
        ObjectNode o = canonical(r);
        o.put("v", VERSION);
        o.put("model", modelId);
        o.set("params", paramsTree(params));
        return Hashes.sha256(o.toString());
    }

    /**
     * The parameters as written into keys since version 1: top-level names sorted, nested maps in their
     * own order (the shared mapper would sort those too, which would change existing journals' keys).
     */
    private static JsonNode paramsTree(Map<String, Object> params) {
        try {
            return JSON.readTree(JSON.writer().without(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).writeValueAsString(new TreeMap<>(params)));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("model params are not JSON values: " + e.getOriginalMessage());
        }
    }

    /** The request as canonical JSON (also what the journal stores as the request). */
    static ObjectNode canonical(ChatRequest r) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode msgs = o.putArray("messages");
        for (ChatMessage m : r.messages()) {
            ObjectNode mo = msgs.addObject();
            mo.put("role", m.role().wire());
            mo.put("content", m.content());
            if (m.reasoning() != null) mo.put("reasoning", m.reasoning());
            if (!m.toolCalls().isEmpty()) {
                ArrayNode calls = mo.putArray("tool_calls");
                for (ToolCall c : m.toolCalls()) calls.addObject().put("id", c.id()).put("name", c.name()).put("arguments", c.argumentsJson());
            }
            if (m.toolCallId() != null) mo.put("tool_call_id", m.toolCallId());
        }
        ArrayNode tools = o.putArray("tools");
        for (ToolSpec t : r.tools()) tools.addObject().put("name", t.name()).put("description", t.description()).put("parameters", t.parametersSchemaJson());
        o.put("temperature", r.temperature());
        o.put("top_p", r.topP());
        o.put("max_tokens", r.maxTokens());
        ArrayNode stop = o.putArray("stop");
        r.stop().forEach(stop::add);
        if (r.seed() != null) o.put("seed", r.seed()); else o.putNull("seed");
        o.put("schema", r.responseSchemaJson());
        o.put("schema_name", r.schemaName());
        o.put("sample", r.sampleIndex());
        return o;
    }

}
