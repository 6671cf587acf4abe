package dev.phronesis.train;

import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.TextFiles;
import dev.phronesis.core.UserError;
import dev.phronesis.llm.ChatMessage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Training inputs from files. Documents: {@code .jsonl} with a {@code "text"} field per line, or
 * plain text with documents separated by blank lines; a directory means all such files in it, in
 * name order. Chats: {@code .jsonl}, one {@code {"messages": [{"role", "content", "reasoning"?}]}}
 * per line (OpenAI's {@code reasoning_content} is accepted for {@code reasoning}).
 */
public final class Corpus {
    private Corpus() {}

    public static List<String> documents(Path path) {
        List<String> out = new ArrayList<>();
        for (Path f : files(path)) {
            if (f.toString().endsWith(".jsonl")) {
                List<String> lines = TextFiles.lines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).isBlank()) continue;
                    JsonNode n = parseAny(f, i + 1, lines.get(i));
                    if (n.isTextual()) { out.add(n.asText()); continue; } // a line that is a JSON string (what the organism's corpus stage writes)
                    if (!n.isObject()) throw new UserError(f + ":" + (i + 1) + ": expected a JSON object with a 'text' field, or a JSON string");
                    if (!n.path("text").isTextual()) throw new UserError(f + ":" + (i + 1) + ": field 'text' must be a string");
                    out.add(n.get("text").asText());
                }
            } else {
                for (String d : TextFiles.read(f).split("\\n\\s*\\n")) if (!d.isBlank()) out.add(d.strip());
            }
        }
        if (out.isEmpty()) throw new UserError(path + ": no documents");
        return out;
    }

    public static List<List<ChatMessage>> chats(Path path) {
        List<List<ChatMessage>> out = new ArrayList<>();
        for (Path f : files(path)) {
            List<String> lines = TextFiles.lines(f);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                String where = f + ":" + (i + 1);
                JsonNode msgs = parse(f, i + 1, lines.get(i)).path("messages");
                if (!msgs.isArray() || msgs.isEmpty()) throw new UserError(where + ": field 'messages' must be a non-empty array");
                List<ChatMessage> chat = new ArrayList<>();
                boolean assistant = false;
                for (int k = 0; k < msgs.size(); k++) {
                    JsonNode m = msgs.get(k);
                    String content = m.path("content").asText("");
                    String reasoning = m.hasNonNull("reasoning") ? m.get("reasoning").asText()
                            : m.hasNonNull("reasoning_content") ? m.get("reasoning_content").asText() : null;
                    String wire = m.path("role").asText();
                    Role role;
                    try {
                        role = Role.parse(wire);
                    } catch (IllegalArgumentException e) {
                        throw new UserError(where + ": messages[" + k + "].role must be system, user, assistant or tool, got '" + wire + "'");
                    }
                    assistant |= role == Role.ASSISTANT;
                    chat.add(ChatMessage.of(role, content, reasoning, m.path("tool_call_id").asText(null)));
                }
                if (!assistant) throw new UserError(where + ": a training chat needs at least one assistant message");
                out.add(chat);
            }
        }
        if (out.isEmpty()) throw new UserError(path + ": no chats");
        return out;
    }

    private static JsonNode parse(Path f, int line, String text) {
        JsonNode n = parseAny(f, line, text);
        if (!n.isObject()) throw new UserError(f + ":" + line + ": expected a JSON object");
        return n;
    }

    private static JsonNode parseAny(Path f, int line, String text) {
        try {
            JsonNode n = Json.MAPPER.readTree(text);
            if (n == null) throw new UserError(f + ":" + line + ": expected a JSON value");
            return n;
        } catch (IOException e) {
            throw new UserError(f + ":" + line + ": invalid JSON: " + Json.oneLine(e));
        }
    }

    private static List<Path> files(Path path) {
        if (!Files.exists(path)) throw new UserError(path + ": no such file or directory");
        if (!Files.isDirectory(path)) { TextFiles.requireRegularFile(path); return List.of(path); }
        try (Stream<Path> s = Files.list(path)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UserError(path + ": cannot list: " + Json.oneLine(e));
        }
    }
}
