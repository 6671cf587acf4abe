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
 *
 * <p>Context rule (the same in the exported script): a row is at most {@code min(max_len,
 * max_position_embeddings)} tokens; a longer row is cut at the end (counted as {@code truncated}), and a
 * row with no trained token left inside the limit is dropped (counted as {@code dropped}). No row longer
 * than the model's context reaches the engine.
 *
 * <p>Dataset files: JSONL or Parquet, one conversation per row, in any format the dataset builder writes:
 * Phronesis samples ({@code messages} + {@code reasoning} + {@code response}), chats with the reasoning in
 * the assistant message's {@code reasoning_content} (hf-reasoning, parquet), or inline in a leading
 * {@code <think>} span of its content (think, openai). All three become the same assistant turn,
 * {@link #assistantText}; {@link HfChatTemplate} hands the reasoning to the template as
 * {@code reasoning_content} when the template reads that field. A row whose reasoning the template does not
 * render is refused ({@link #row}): reasoning is never dropped silently.
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
    /** Rows cut at the context limit (still trained on). */
    public final int truncated;
    /** Rows dropped because no trained token was left inside the context limit. */
    public final int dropped;
    /** The limit applied: min(max_len, the model's max_position_embeddings). */
    public final int maxLen;

    private HfSftData(List<Row> rows, int truncated, int dropped, int maxLen) {
        this.rows = List.copyOf(rows);
        this.truncated = truncated;
        this.dropped = dropped;
        this.maxLen = maxLen;
    }

    /** An assistant turn's (reasoning, answer): from a leading think span in the text, else ("", text). */
    public static String[] splitThink(String content) {
        return HfChatTemplate.splitThink(content);
    }

    /** The assistant turn a sample trains on: its reasoning in a think span, then the answer. */
    public static String assistantText(String reasoning, String response) {
        return reasoning == null || reasoning.isBlank() ? response : "<think>\n" + reasoning.strip() + "\n</think>\n\n" + response;
    }

    /** Conversations of a JSONL or Parquet dataset; errors name file:line (Parquet: file:row). */
    public static List<List<Turn>> readConversations(Path jsonl) {
        List<String> lines;
        if (!Files.isRegularFile(jsonl)) throw new UserError(jsonl + ": no such file");
        if (ParquetRows.isParquet(jsonl)) {
            lines = ParquetRows.readAsJson(jsonl);
        } else {
            try {
                lines = Files.readAllLines(jsonl);
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new UserError(jsonl + ": not UTF-8 text (give a JSONL or Parquet dataset)");
            } catch (IOException e) {
                throw new UserError(jsonl + ": cannot read: " + HfSafetensors.firstLine(e));
            }
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
                    Role role = Role.parse(m.path("role").asText(null));
                    String content = m.path("content").asText("");
                    String reasoning = m.path("reasoning_content").asText("");
                    if (role == Role.ASSISTANT) {
                        String[] inline = splitThink(content);
                        if (!reasoning.isBlank() && !inline[0].isEmpty())
                            throw new UserError(where + ": messages[" + j + "]: reasoning given twice (field 'reasoning_content' and a <think> span in 'content')");
                        content = reasoning.isBlank() ? assistantText(inline[0], inline[1]) : assistantText(reasoning, content);
                    }
                    chat.add(new Turn(role, content));
                } catch (UserError e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw new UserError(where + ": messages[" + j + "]: " + e.getMessage());
                }
            }
            String response = n.path("response").asText("");
            // a Phronesis sample: the prompt in messages, the reply in response (a row whose messages already end with the reply,
            // like our Parquet files, keeps response/reasoning only as columns to read)
            boolean complete = !chat.isEmpty() && chat.getLast().role() == Role.ASSISTANT;
            if (!response.isEmpty() && !complete) chat.add(Turn.assistant(assistantText(n.path("reasoning").asText(""), splitThink(response)[1])));
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

    /**
     * One conversation as ids + mask. Refuses (one line) a conversation whose assistant reasoning the template
     * does not render inside that turn's span, rather than training on the answer alone.
     */
    public static Row row(HfChatTemplate template, HuggingFaceTokenizer tok, List<Turn> chat) {
        HfChatTemplate.Rendered r = template.renderTraining(chat);
        String text = r.text();
        int k = 0;
        for (int i = 0; i < chat.size(); i++) {
            if (chat.get(i).role() != Role.ASSISTANT) continue;
            String reasoning = splitThink(chat.get(i).content())[0];
            HfChatTemplate.Span span = k < r.assistantSpans().size() ? r.assistantSpans().get(k) : null;
            k++;
            if (reasoning.isEmpty()) continue;
            if (span == null || !text.substring(span.start(), span.end()).contains(reasoning))
                throw new UserError("the chat template drops the reasoning of assistant message " + i + " (it renders neither 'reasoning_content' nor a <think> span"
                        + " in the content there); use a template that renders reasoning, or train the demonstration variant");
        }
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

    /**
     * Every conversation tokenised under the context rule: {@code limit = min(maxLen, contextLen)}; longer rows
     * are cut at the end, rows with nothing trained on inside the limit are dropped; both are counted.
     *
     * @param contextLen the model's {@code max_position_embeddings}
     */
    public static HfSftData build(HfChatTemplate template, HuggingFaceTokenizer tok, List<List<Turn>> chats, int maxLen, int contextLen) {
        int limit = Math.min(maxLen, contextLen);
        List<Row> rows = new ArrayList<>();
        int truncated = 0, dropped = 0;
        for (int n = 0; n < chats.size(); n++) {
            Row r;
            try {
                r = row(template, tok, chats.get(n));
            } catch (UserError e) {
                throw new UserError("row " + (n + 1) + ": " + e.getMessage());
            }
            boolean cut = r.ids().length > limit;
            if (cut) r = new Row(java.util.Arrays.copyOf(r.ids(), limit), java.util.Arrays.copyOf(r.mask(), limit));
            boolean any = false;
            for (int i = 1; i < r.mask().length; i++) any |= r.mask()[i];
            if (!any) dropped++;
            else {
                if (cut) truncated++;
                rows.add(r);
            }
        }
        return new HfSftData(rows, truncated, dropped, limit);
    }

    /** {@link #build(HfChatTemplate, HuggingFaceTokenizer, List, int, int)} with the context of the model directory's config.json. */
    public static HfSftData build(HfChatTemplate template, HuggingFaceTokenizer tok, List<List<Turn>> chats, int maxLen, Path modelDir) {
        return build(template, tok, chats, maxLen, HfConfig.read(modelDir.resolve("config.json")).maxPositionEmbeddings());
    }

    public long trainedTokens() {
        long n = 0;
        for (Row r : rows) n += r.trainedTokens();
        return n;
    }
}
