package dev.phronesis.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

/**
 * Checks an answer against the JSON Schema a request asked for: the common subset models are asked
 * to produce (type, properties, required, additionalProperties: false, enum, const, items,
 * min/maxItems, min/maxLength, minimum/maximum, anyOf/oneOf). Unknown keywords are ignored, so a
 * richer schema is checked no less than this subset says.
 */
final class SchemaCheck {
    private static final ObjectMapper JSON = dev.phronesis.core.Json.MAPPER;

    private SchemaCheck() {}

    /** The JSON inside {@code text}: the text itself, or the body of a single ```json fenced block. */
    static String extractJson(String text) {
        String t = text.strip();
        if (t.startsWith("```")) {
            int nl = t.indexOf('\n');
            int end = t.lastIndexOf("```");
            if (nl > 0 && end > nl) return t.substring(nl + 1, end).strip();
        }
        return t;
    }

    /** Null when {@code json} satisfies {@code schemaJson}, else a one-line reason. */
    static String violation(String schemaJson, String json) {
        JsonNode schema, value;
        try { schema = JSON.readTree(schemaJson); } catch (IOException e) { return null; }
        try { value = JSON.readTree(json); } catch (com.fasterxml.jackson.core.JsonProcessingException e) { return "not valid JSON: " + e.getOriginalMessage(); }
        if (value == null || value.isMissingNode()) return "empty answer; expected JSON";
        return check(schema, value, "$");
    }

    private static String check(JsonNode s, JsonNode v, String at) {
        if (s == null || !s.isObject()) return null;
        if (s.has("anyOf") || s.has("oneOf")) {
            JsonNode alts = s.has("anyOf") ? s.get("anyOf") : s.get("oneOf");
            String first = null;
            for (JsonNode alt : alts) {
                String r = check(alt, v, at);
                if (r == null) { first = null; break; }
                if (first == null) first = r;
            }
            if (first != null) return at + ": matches none of the alternatives (" + first + ")";
        }
        if (s.has("const") && !s.get("const").equals(v)) return at + ": must be " + s.get("const");
        if (s.has("enum")) {
            boolean ok = false;
            for (JsonNode e : s.get("enum")) ok |= e.equals(v);
            if (!ok) return at + ": " + v + " is not one of " + s.get("enum");
        }
        JsonNode type = s.get("type");
        if (type != null) {
            boolean ok = false;
            if (type.isArray()) for (JsonNode t : type) ok |= hasType(t.asText(), v);
            else ok = hasType(type.asText(), v);
            if (!ok) return at + ": expected " + type.asText(type.toString()) + ", got " + kind(v);
        }
        if (v.isObject()) {
            for (JsonNode r : s.path("required")) if (!v.has(r.asText())) return at + ": missing required property '" + r.asText() + "'";
            JsonNode props = s.path("properties");
            boolean closed = s.path("additionalProperties").isBoolean() && !s.path("additionalProperties").asBoolean();
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                var e = it.next();
                if (props.has(e.getKey())) {
                    String r = check(props.get(e.getKey()), e.getValue(), at + "." + e.getKey());
                    if (r != null) return r;
                } else if (closed) {
                    return at + ": unexpected property '" + e.getKey() + "'";
                } else if (s.path("additionalProperties").isObject()) {
                    String r = check(s.get("additionalProperties"), e.getValue(), at + "." + e.getKey());
                    if (r != null) return r;
                }
            }
        }
        if (v.isArray()) {
            if (s.has("minItems") && v.size() < s.get("minItems").asInt()) return at + ": needs at least " + s.get("minItems").asInt() + " items, has " + v.size();
            if (s.has("maxItems") && v.size() > s.get("maxItems").asInt()) return at + ": allows at most " + s.get("maxItems").asInt() + " items, has " + v.size();
            for (int i = 0; i < v.size(); i++) {
                String r = check(s.get("items"), v.get(i), at + "[" + i + "]");
                if (r != null) return r;
            }
        }
        if (v.isTextual()) {
            int n = v.asText().codePointCount(0, v.asText().length());
            if (s.has("minLength") && n < s.get("minLength").asInt()) return at + ": shorter than " + s.get("minLength").asInt() + " characters";
            if (s.has("maxLength") && n > s.get("maxLength").asInt()) return at + ": longer than " + s.get("maxLength").asInt() + " characters";
        }
        if (v.isNumber()) {
            if (s.has("minimum") && v.asDouble() < s.get("minimum").asDouble()) return at + ": " + v + " is below the minimum " + s.get("minimum");
            if (s.has("maximum") && v.asDouble() > s.get("maximum").asDouble()) return at + ": " + v + " is above the maximum " + s.get("maximum");
        }
        return null;
    }

    private static boolean hasType(String t, JsonNode v) {
        return switch (t) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()));
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> true;
        };
    }

    private static String kind(JsonNode v) {
        return v.isObject() ? "object" : v.isArray() ? "array" : v.isTextual() ? "string" : v.isNumber() ? "number" : v.isBoolean() ? "boolean" : "null";
    }
}
