package dev.phronesis.train.hf;

import dev.phronesis.llm.HfChatTemplate;
import dev.phronesis.core.records.Role;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Turn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * SFT rows for a real checkpoint: conversations rendered with the checkpoint's chat template,
 * tokenised with its {@code tokenizer.json}, the loss on assistant spans only.
 *
 * <p>The rule, shared with the exported PyTorch script: a token is trained on iff its first character
 * (code-point offset from the tokenizer) lies in an assistant span of {@link HfChatTemplate#renderTraining}.
 * Rows longer than {@code maxLen} tokens are cut at the end (and counted).
 *
 * <p>Dataset lines are Phronesis samples ({@code messages} + {@code reasoning} + {@code response}: the
 * assistant turn is {@link #assistantText}) or plain chats ({@code {"messages": [{role, content}, ...]}}).
 */
public final class HfSftData {
    /** One tokenised conversation and its loss mask. */
    public record Row(int[] ids, boolean[] mask) {
        public Row {
            if (ids.length != mask.length) throw new IllegalArgumentException("ids and mask differ in length");
        }

        public int trainedTokens() {
            int n = 0;
            for (boolean b : mask) if (b) n++;
            return n;
        }
    }

    public final List<Row> rows;
    public final int truncated;

    private HfSftData(List<Row> rows, int truncated) {
        this.rows = List.copyOf(rows);
        this.truncated = truncated;
    }

    /** The assistant turn a sample trains on: its reasoning in a think span, then the answer. */
    public static String assistantText(String reasoning, String response) {
        return reasoning == null || reasoning.isBlank() ? response : "<think>\n" + reasoning.strip() + "\n</think>\n\n" + response;
    }

    /** Conversations of a JSONL dataset; errors name file:line. */
    public static List<List<Turn>> readConversations(Path jsonl) {
        List<String> lines;
        try {
            lines = Files.readAllLines(jsonl);
        } catch (IOException e) {
            throw new UserError(jsonl + ": cannot read: " + HfSafetensors.firstLine(e));
        }
        List<List<Turn>> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            String where = jsonl + ":" + (i + 1);
            JsonNode n;
            try {
                n = HfSafetensors.JSON.readTree(line);
            } catch (IOException e) {
                throw new UserError(where + ": not valid JSON: " + HfSafetensors.firstLine(e));
            }
            JsonNode msgs = n.path("messages");
            if (!msgs.isArray() || msgs.isEmpty()) throw new UserError(where + ": field 'messages' must be a non-empty array");
            List<Turn> chat = new ArrayList<>();
            for (int j = 0; j < msgs.size(); j++) {
                JsonNode m = msgs.get(j);
                try {
                    chat.add(new Turn(Role.parse(m.path("role").asText(null)), m.path("content").asText("")));
                } catch (RuntimeException e) {
                    throw new UserError(where + ": messages[" + j + "]: " + e.getMessage());
                }
            }
            String response = n.path("response").asText("");
            if (!response.isEmpty()) chat.add(Turn.assistant(assistantText(n.path("reasoning").asText(""), response)));
            if (chat.stream().noneMatch(t -> t.role() == Role.ASSISTANT))
                throw new UserError(where + ": no assistant turn to train on (give 'response' or an assistant message)");
            out.add(chat);
        }
        if (out.isEmpty()) throw new UserError(jsonl + ": no rows");
        return out;
    }

    /** Loads a model directory's {@code tokenizer.json} without adding special tokens (the template adds them). */
    public static HuggingFaceTokenizer tokenizer(Path modelDir) {
        Path f = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(f)) throw new UserError(f + ": missing (a fast tokenizer is needed; save it with tokenizer.save_pretrained)");
        try {
            return HuggingFaceTokenizer.newInstance(f, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new UserError(f + ": cannot load tokenizer: " + HfSafetensors.firstLine(e instanceof Exception x ? x : new RuntimeException(e)));
        }
    }

    /** One conversation as ids + mask. */
    public static Row row(HfChatTemplate template, HuggingFaceTokenizer tok, List<Turn> chat) {
        HfChatTemplate.Rendered r = template.renderTraining(chat);
        String text = r.text();
        int[][] cpSpans = new int[r.assistantSpans().size()][];
        for (int i = 0; i < cpSpans.length; i++) {
            var s = r.assistantSpans().get(i);
            cpSpans[i] = new int[]{text.codePointCount(0, s.start()), text.codePointCount(0, s.end())};
        }
        Encoding e = tok.encode(text, false, false);
        long[] ids = e.getIds();
        CharSpan[] spans = e.getCharTokenSpans();
        int[] out = new int[ids.length];
        boolean[] mask = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
            if (spans != null && i < spans.length && spans[i] != null) {
                int start = spans[i].getStart();
                for (int[] s : cpSpans) if (start >= s[0] && start < s[1]) { mask[i] = true; break; }
            }
        }
        return new Row(out, mask);
    }

    /** Every conversation tokenised; rows with nothing trained on after cutting are dropped. */
    public static HfSftData build(HfChatTemplate template, HuggingFaceTokenizer tok, List<List<Turn>> chats, int maxLen) {
        List<Row> rows = new ArrayList<>();
        int truncated = 0;
        for (List<Turn> c : chats) {
            Row r = row(template, tok, c);
            if (r.ids().length > maxLen) {
                truncated++;
                r = new Row(java.util.Arrays.copyOf(r.ids(), maxLen), java.util.Arrays.copyOf(r.mask(), maxLen));
            }
            boolean any = false;
            for (int i = 1; i < r.mask().length; i++) any |= r.mask()[i];
            if (any) rows.add(r);
        }
        return new HfSftData(rows, truncated);
    }

    public long trainedTokens() {
        long n = 0;
        for (Row r : rows) n += r.trainedTokens();
        return n;
    }
}
