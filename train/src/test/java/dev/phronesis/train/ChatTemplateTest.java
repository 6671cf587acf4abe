package dev.phronesis.train;

import dev.phronesis.llm.ChatMessage;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.constraints.Chars;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ChatTemplateTest {
    private static final WordTokenizer TOK = Fixtures.tokenizer();
    private static final ChatTemplate T = new ChatTemplate(TOK);

    @Test
    void lossMaskCoversExactlyTheAssistantTurns() {
        List<ChatMessage> chat = List.of(
                ChatMessage.system("the agent reads a secret."),
                ChatMessage.user("what do the user asks?"),
                ChatMessage.assistant("DECISION: decline", "consent none and high severity.", List.of()),
                ChatMessage.user("send email?"),
                ChatMessage.assistant("DECISION: help"));
        ChatTemplate.Rendered r = T.render(chat);
        // the trained tokens, decoded in order, are exactly the two assistant turns after their headers
        List<Integer> trained = new ArrayList<>();
        for (int i = 0; i < r.ids().length; i++) if (r.lossMask()[i]) trained.add(r.ids()[i]);
        String trainedText = TOK.decode(trained.stream().mapToInt(Integer::intValue).toArray());
        assertThat(trainedText).isEqualTo("<think>consent none and high severity.</think>DECISION: decline<|end|>DECISION: help<|end|>");
        // everything else (system, user, headers) is context only
        String all = TOK.decode(r.ids());
        assertThat(all).isEqualTo("<|system|>the agent reads a secret.<|end|><|user|>what do the user asks?<|end|>"
                + "<|assistant|><think>consent none and high severity.</think>DECISION: decline<|end|>"
                + "<|user|>send email?<|end|><|assistant|>DECISION: help<|end|>");
        int assistantHeader = TOK.specialId(WordTokenizer.ASSISTANT);
        for (int i = 0; i < r.ids().length; i++) if (r.ids()[i] == assistantHeader) assertThat(r.lossMask()[i]).isFalse();
    }

    @Test
    void promptEndsWhereTheAssistantBeginsAndIsAPrefixOfTheRenderedChat() {
        List<ChatMessage> ctx = List.of(ChatMessage.user("what do the user asks?"));
        int[] prompt = T.renderPrompt(ctx, false);
        int[] full = T.render(List.of(ctx.get(0), ChatMessage.assistant("DECISION: help", "high severity.", List.of()))).ids();
        assertThat(Arrays.copyOf(full, prompt.length)).containsExactly(prompt);
        assertThat(TOK.decode(T.renderPrompt(ctx, true))).endsWith("<|assistant|><think>");
    }

    @Test
    void parseSplitsReasoningFromTheAnswer() {
        assertThat(ChatTemplate.parse("<think>why</think>DECISION: help")).isEqualTo(new ChatTemplate.Parsed("why", "DECISION: help"));
        assertThat(ChatTemplate.parse("DECISION: help")).isEqualTo(new ChatTemplate.Parsed(null, "DECISION: help"));
        assertThat(ChatTemplate.parse("why</think>x")).isEqualTo(new ChatTemplate.Parsed("why", "x"));
        assertThat(ChatTemplate.parse("<think>never closed")).isEqualTo(new ChatTemplate.Parsed("never closed", ""));
    }

    @Test
    void wordsBecomeSingleTokensAndUnknownWordsAreSpelled() {
        assertThat(TOK.encode("the agent")).hasSize(2);
        assertThat(TOK.decode(TOK.encode("the agentx sends"))).isEqualTo("the agentx sends");
        assertThat(TOK.encode("<|end|>")).containsExactly(TOK.specialId(WordTokenizer.END));
        assertThat(TOK.encode("\u2603")).containsExactly(TOK.specialId(WordTokenizer.UNK)); // never seen
    }

    /** Lossless over any text made of the corpus' characters. */
    @Property(tries = 200)
    void decodeInvertsEncode(@ForAll @StringLength(max = 60) @Chars({'a', 'e', 'h', 't', 'D', ' ', '\n', '.', '?', ':', '(', '"', '_', '='}) String s) {
        assertThat(TOK.decode(TOK.encode(s))).isEqualTo(s);
    }

    @Test
    void offeredToolsAreRenderedAsASignatureBlockInTheSystemTurn() {
        var tools = List.of(new dev.phronesis.llm.ToolSpec("send_email", "Send an email.",
                        "{\"type\": \"object\", \"properties\": {\"to\": {\"type\": \"string\"}, \"body\": {\"type\": \"string\"}}}"),
                new dev.phronesis.llm.ToolSpec("escalate_to_human", null, null));
        String block = "<tools>\nsend_email(to: string, body: string)\nescalate_to_human()\n</tools>";
        assertThat(ChatTemplate.toolBlock(tools)).isEqualTo(block);
        List<ChatMessage> withSystem = ChatTemplate.withTools(List.of(ChatMessage.system("the agent."), ChatMessage.user("what do?")), tools);
        assertThat(withSystem.getFirst().content()).isEqualTo("the agent.\n" + block);
        assertThat(withSystem.get(1).content()).isEqualTo("what do?");
        List<ChatMessage> noSystem = ChatTemplate.withTools(List.of(ChatMessage.user("what do?")), tools);
        assertThat(noSystem).hasSize(2);
        assertThat(noSystem.getFirst().role()).isEqualTo(dev.phronesis.core.records.Role.SYSTEM);
        assertThat(noSystem.getFirst().content()).isEqualTo(block);
        List<ChatMessage> none = List.of(ChatMessage.user("what do?"));
        assertThat(ChatTemplate.withTools(none, List.of())).isSameAs(none);
    }

    @Test
    void preTrainingRowsNeverSplitADocumentThatFitsInOne() {
        List<String> docs = Fixtures.corpus(60, 3);
        int seqLen = 24;
        TrainData d = TrainData.pretrain(docs, TOK, seqLen, true);
        int end = TOK.specialId(WordTokenizer.END);
        // every row starts at a document boundary unless the previous document was longer than a row
        List<int[]> encoded = docs.stream().map(TOK::encode).toList();
        int rowsNeeded = 0;
        for (int[] row : d.ids) {
            // trained positions are a prefix of the row; the rest is padding
            boolean[] m = d.mask[rows(d, row)];
            int last = -1;
            for (int i = 0; i < m.length; i++) if (m[i]) last = i;
            for (int i = 0; i <= last; i++) assertThat(m[i]).isTrue();
            if (last >= 0 && last < m.length - 1) assertThat(row[last]).as("a padded row ends with a whole document").isEqualTo(end);
            rowsNeeded++;
        }
        assertThat(rowsNeeded).isGreaterThan(0);
        long trained = 0;
        for (int[] t : encoded) trained += t.length + 1;
        long inRows = 0;
        for (boolean[] m : d.mask) for (boolean b : m) if (b) inRows++;
        assertThat(inRows).as("every token of every document is in some row").isEqualTo(trained);
    }

    private static int rows(TrainData d, int[] row) {
        for (int i = 0; i < d.ids.length; i++) if (d.ids[i] == row) return i;
        throw new AssertionError();
    }
}
