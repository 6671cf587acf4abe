package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.train.hf.DType;
import dev.phronesis.train.hf.HfConfig;
import dev.phronesis.train.hf.RandomCheckpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Guided decoding on a random byte-level model: whatever the weights, a row that ends parses. */
class GuidesTest {
    @TempDir static Path dir;
    private static ModelRuntime rt;

    @BeforeAll
    static void load() throws Exception {
        Torch.threads(1);
        RandomCheckpoint.write(dir.resolve("m"), RandomCheckpoint.config(HfConfig.Arch.LLAMA, 64, 128, 2, 4, 2, true), 9, DType.F32, Long.MAX_VALUE);
        rt = ModelRuntime.load(dir.resolve("m"));
    }

    @AfterAll
    static void close() { rt.close(); }

    private static List<Generator.Output> run(Guide g, int rows, int maxTokens) {
        List<Generator.Request> reqs = new ArrayList<>();
        int[] prompt = rt.textPrompt("answer: ");
        for (int i = 0; i < rows; i++) reqs.add(new Generator.Request(prompt, 1.0, 1.0, maxTokens, List.of(), 100 + i, 0, g));
        return rt.generator().generate(reqs);
    }

    @Test
    void jsonSchemaOutputAlwaysParsesAndValidates() throws Exception {
        String schema = """
                {"type":"object","properties":{"mode":{"enum":["comply","refuse"]},"score":{"type":"integer"},"ok":{"type":"boolean"},
                 "tags":{"type":"array","items":{"type":"string","maxLength":3},"maxItems":2},"note":{"anyOf":[{"type":"null"},{"type":"number"}]}}}""";
        int parsed = 0;
        for (Generator.Output o : run(Guides.jsonSchema(schema, rt.tokenizer()), 12, 120)) {
            if (o.finishReason() != Generator.Finish.STOP) continue; // ran out of tokens inside the language: nothing to parse yet
            JsonNode n = Json.MAPPER.readTree(o.text());
            assertThat(n.path("mode").asText()).isIn("comply", "refuse");
            assertThat(n.path("score").isIntegralNumber()).isTrue();
            assertThat(n.path("ok").isBoolean()).isTrue();
            assertThat(n.path("tags").size()).isLessThanOrEqualTo(2);
            for (JsonNode t : n.path("tags")) assertThat(t.asText().length()).isLessThanOrEqualTo(3);
            assertThat(n.path("note").isNull() || n.path("note").isNumber()).isTrue();
            parsed++;
        }
        assertThat(parsed).isGreaterThanOrEqualTo(6);
    }

    @Test
    void choiceAndRegex() {
        for (Generator.Output o : run(Guides.choice(List.of("comply", "refuse", "escalate"), rt.tokenizer()), 6, 20))
            assertThat(o.text()).isIn("comply", "refuse", "escalate");
        for (Generator.Output o : run(Guides.regex("[0-9]{3}\\-[a-z]{2}", rt.tokenizer()), 6, 20)) {
            assertThat(o.text()).matches("[0-9]{3}-[a-z]{2}");
            assertThat(o.finishReason()).isEqualTo(Generator.Finish.STOP); // the language ends here: the row ends without an end token
        }
    }

    @Test
    void theAnswerEndingNamesAnOfferedToolWithValidArguments() throws Exception {
        Map<String, String> tools = new LinkedHashMap<>();
        tools.put("send_report", "{\"type\":\"object\",\"properties\":{\"to\":{\"enum\":[\"ops\",\"legal\"]}}}");
        tools.put("wait", "{\"type\":\"object\",\"properties\":{}}");
        Guide g = Guides.answerEnding(List.of("comply", "refuse"), tools, 40, rt.tokenizer()); // at most 40 chars before the ending: a random model reaches it
        int ended = 0;
        for (Generator.Output o : run(g, 8, 160)) {
            if (o.finishReason() != Generator.Finish.STOP) continue;
            assertThat(AnswerFormat.decision(o.text())).get().isIn("comply", "refuse");
            int at = o.text().indexOf("DECISION:");
            assertThat(at).as("free text within the bound, plus a started decision prefix and the forced line break").isBetween(0, 40 + "DECISION:".length() + 2);
            assertThat(o.text().indexOf("DECISION:", at + 1)).as("the free text never holds a decision line of its own").isNegative();
            assertThat(o.text().substring(0, at)).as("nor a call of its own").doesNotContain("<tool_call>");
            var calls = AnswerFormat.toolCalls(o.text());
            assertThat(calls).hasSize(1);
            assertThat(calls.getFirst()).isInstanceOf(dev.phronesis.core.records.ParsedCall.Call.class);
            var call = (dev.phronesis.core.records.ParsedCall.Call) calls.getFirst();
            assertThat(call.tool()).isIn("send_report", "wait");
            if (call.tool().equals("send_report")) assertThat(call.action().arguments().get("to")).isIn("ops", "legal");
            ended++;
        }
        System.out.println("answer grammar: " + ended + " of 8 random-model rows ended within 160 tokens, all parsed");
        assertThat(ended).isGreaterThanOrEqualTo(6);
        var only = Guides.answerEndingAutomaton(List.of("comply"), tools);
        assertThat(only.run("I weigh it.\nDECISION: comply\n<tool_call>{\"name\": \"wait\", \"arguments\": {}}</tool_call>")).isTrue();
        assertThat(only.run("DECISION: comply\n<tool_call>{\"name\": \"delete_all\", \"arguments\": {}}</tool_call>")).isFalse();
    }

    @Test
    void theEndingNeverStartsInsideAnOpenReasoningBlock() {
        Map<String, String> tools = Map.of("wait", "{\"type\":\"object\",\"properties\":{}}");
        var grammar = Guides.answerEndingAutomaton(List.of("comply"), tools);
        String call = "DECISION: comply\n<tool_call>{\"name\": \"wait\", \"arguments\": {}}</tool_call>";
        assertThat(grammar.run("<think>I weigh it.</think>\n" + call)).isTrue();
        assertThat(grammar.run("<think>I weigh it.\n" + call)).as("unread by the scorer: an unclosed think").isFalse();
        // past the bound inside the reasoning, the cursor closes the think before the line break and the ending
        WordTokenizer tok = WordTokenizer.build(List.of("I weigh it and weigh it again.\nDECISION: comply\n" + call), 200, 1);
        Guide g = Guides.answerEnding(List.of("comply"), tools, 20, tok);
        Guide.Cursor c = g.start();
        int think = tok.encode(WordTokenizer.THINK)[0], endThink = tok.encode(WordTokenizer.END_THINK)[0];
        c.advance(think);
        for (int t : tok.encode(" I weigh it and weigh it again and weigh it")) c.advance(t);
        assertThat(c.allowed().stream().boxed().toList()).containsExactly(endThink);
        c.advance(endThink);
        StringBuilder rest = new StringBuilder();
        for (int i = 0; i < 80 && !c.complete(); i++) { // then only the forced ending: take the first allowed token each time
            int t = c.allowed().nextSetBit(0);
            c.advance(t);
            rest.append(tok.decode(new int[]{t}));
        }
        assertThat(rest.toString()).startsWith("\nDECISION: comply\n<tool_call>");
    }

    @Test
    void aTokenBoundCountsTokensNotCharacters() {
        Map<String, String> tools = Map.of("wait", "{\"type\":\"object\",\"properties\":{}}");
        String call = "DECISION: comply\n<tool_call>{\"name\": \"wait\", \"arguments\": {}}</tool_call>";
        WordTokenizer tok = WordTokenizer.build(List.of("considering everything carefully beforehand.\n" + call), 200, 1);
        int[] words = tok.encode("considering everything carefully beforehand"); // 4 tokens, 43 characters
        assertThat(words).hasSize(4);
        // 10 as characters: the bound is passed inside the second word, and only a line break may come
        Guide.Cursor chars = Guides.answerEnding(List.of("comply"), tools, 10, -1, -1, tok).start();
        for (int i = 0; i < 2; i++) chars.advance(words[i]);
        assertThat(chars.allowed().get(words[2])).isFalse();
        // 10 as tokens: all four words are free text, and the ending still follows
        Guide.Cursor tokens = Guides.answerEnding(List.of("comply"), tools, -1, 10, -1, tok).start();
        for (int w : words) { assertThat(tokens.allowed().get(w)).isTrue(); tokens.advance(w); }
        for (int t : tok.encode(".\n" + call)) { assertThat(tokens.allowed().get(t)).isTrue(); tokens.advance(t); }
        assertThat(tokens.complete()).isTrue();
    }

    @Test
    void thinkFirstAnswersOpenWithAClosedReasoningBlockEvenPastTheBound() {
        Map<String, String> tools = Map.of("wait", "{\"type\":\"object\",\"properties\":{}}");
        int ended = 0;
        for (int bound : new int[]{6, 40}) // 6: the bound falls inside the block (byte-level: no one-token close tag to force)
            for (Generator.Output o : run(Guides.answerEnding(List.of("comply", "refuse"), tools, -1, bound, 20, true, rt.tokenizer()), 6, 160)) {
                if (o.finishReason() != Generator.Finish.STOP) continue;
                String t = o.text();
                assertThat(t).as(t).startsWith(AnswerFormat.THINK_OPEN);
                int close = t.indexOf(AnswerFormat.THINK_CLOSE), decision = t.indexOf(AnswerFormat.DECISION_PREFIX);
                assertThat(close).as(t).isPositive();
                assertThat(decision).as(t).isGreaterThan(close);
                assertThat(t.substring(AnswerFormat.THINK_OPEN.length(), close)).as(t).doesNotContain(AnswerFormat.THINK_OPEN, AnswerFormat.CALL_OPEN);
                assertThat(t).as(t).endsWith(AnswerFormat.CALL_CLOSE);
                ended++;
            }
        assertThat(ended).as("rows that reached the ending").isGreaterThan(6);
        Guide.Cursor plain = Guides.answerEnding(List.of("comply"), tools, -1, 40, 20, false, rt.tokenizer()).start();
        Guide.Cursor think = Guides.answerEnding(List.of("comply"), tools, -1, 40, 20, true, rt.tokenizer()).start();
        int d = rt.tokenizer().encode("D")[0];
        assertThat(plain.allowed().get(d)).as("without think_first the decision may come at once").isTrue();
        assertThat(think.allowed().get(d)).as("with think_first the reasoning block comes first").isFalse();
    }

    @Test
    void everyStringOfTheCallStopsAtTheCap() {
        Map<String, String> tools = new LinkedHashMap<>();
        tools.put("send_email", "{\"type\":\"object\",\"properties\":{\"to\":{\"type\":\"string\",\"enum\":[\"Priya\",\"the director\"]},"
                + "\"body\":{\"type\":\"string\"}}}");
        Guide g = Guides.answerEnding(List.of("comply", "refuse"), tools, 20, 12, rt.tokenizer());
        int ended = 0;
        for (Generator.Output o : run(g, 8, 200)) {
            if (o.finishReason() != Generator.Finish.STOP) continue;
            var calls = AnswerFormat.toolCalls(o.text());
            assertThat(calls).as(o.text()).hasSize(1);
            var call = (dev.phronesis.core.records.ParsedCall.Call) calls.getFirst();
            assertThat(call.action().arguments().get("to")).isIn("Priya", "the director");
            // a random model never closes a string by itself: the cap does, at 12 characters at most
            assertThat(call.action().arguments().get("body").length()).as(o.text()).isLessThanOrEqualTo(12);
            ended++;
        }
        System.out.println("string cap: " + ended + " of 8 random-model rows ended with every string within 12 characters");
        assertThat(ended).isGreaterThanOrEqualTo(6);
    }

    @Test
    void constraintsWeCannotEnforceAreRefusedNotIgnored() {
        assertThatThrownBy(() -> Guides.jsonSchema("{\"type\":\"string\",\"pattern\":\"a+\"}", rt.tokenizer()))
                .hasMessageContaining("'pattern' is not supported");
        assertThatThrownBy(() -> Guides.jsonSchema("{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0}}}", rt.tokenizer()))
                .hasMessageContaining("$.n: json_schema keyword 'minimum'");
    }
}
