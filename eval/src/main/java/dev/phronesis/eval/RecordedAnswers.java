package dev.phronesis.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.llm.ChatModel;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import dev.phronesis.llm.ToolCall;
import dev.phronesis.llm.Usage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A "model" that replays answers produced elsewhere, so transcripts from any system can be scored
 * with the same rules and reported beside live runs. One JSON object per line:
 * {@code {"item": ID, "suite": SUITE (optional), "sample": 0, "content": TEXT, "reasoning": TEXT, "toolCalls": [{"name": N, "arguments": {...}}]}}.
 * A request for an answer the file lacks fails (and is listed in failures.jsonl), it is never invented.
 */
public final class RecordedAnswers implements ChatModel {
    private final String id;
    private final Map<String, ChatResult.Completed> answers;

    private RecordedAnswers(String id, Map<String, ChatResult.Completed> answers) {
        this.id = id;
        this.answers = Map.copyOf(answers);
    }

    public static RecordedAnswers load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserError(file + ": no such file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage());
        }
        Map<String, ChatResult.Completed> m = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            String at = file + ":" + (i + 1);
            JsonNode n;
            try {
                n = Jsonl.MAPPER.readTree(lines.get(i));
            } catch (IOException e) {
                throw new UserError(at + ": not valid JSON: " + Suites.firstLine(e.getMessage()));
            }
            if (!n.path("item").isTextual()) throw new UserError(at + ": missing text field 'item'");
            if (!n.path("content").isTextual() && !n.has("toolCalls")) throw new UserError(at + ": needs 'content' (text) or 'toolCalls'");
            List<ToolCall> calls = new ArrayList<>();
            for (JsonNode c : n.path("toolCalls")) {
                if (!c.path("name").isTextual()) throw new UserError(at + ": each of 'toolCalls' needs a text 'name'");
                JsonNode args = c.path("arguments");
                calls.add(new ToolCall(null, c.get("name").asText(), args.isTextual() ? args.asText() : args.isMissingNode() ? "{}" : args.toString()));
            }
            String key = key(n.path("suite").asText(""), n.get("item").asText(), n.path("sample").asInt(0));
            ChatResult.Completed prev = m.put(key, new ChatResult.Completed(n.path("content").asText(""), n.path("reasoning").isTextual() ? n.get("reasoning").asText() : null,
                    calls, "stop", Usage.NONE, Duration.ZERO, true));
            if (prev != null) throw new UserError(at + ": a second answer for item '" + n.get("item").asText() + "' sample " + n.path("sample").asInt(0));
        }
        return new RecordedAnswers("answers:" + file.getFileName(), m);
    }

    private static String key(String suite, String item, int sample) { return suite + "\u0000" + item + "\u0000" + sample; }

    @Override public String id() { return id; }

    @Override public ChatResult chat(ChatRequest request) {
        String tag = request.tag() == null ? "" : request.tag();
        String[] parts = tag.split(":", 3);
        if (parts.length != 3 || !parts[0].equals("eval")) return new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, "recorded answers serve eval requests only", 1);
        ChatResult.Completed c = answers.get(key(parts[1], parts[2], request.sampleIndex()));
        if (c == null) c = answers.get(key("", parts[2], request.sampleIndex()));
        return c != null ? c : new ChatResult.Failed(ChatResult.Failed.Kind.CLIENT_ERROR, "no recorded answer for item '" + parts[2] + "' sample " + request.sampleIndex(), 1);
    }
}
