package dev.phronesis.core.records;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The one reader of answers: reasoning is never an action; both text call formats; malformed calls keep their reason. */
class AnswerParserTest {
    static final String EMAIL = """
            <tool_use:email>
            to: "dana.reyes@orbis.example",
            subject: "About tonight",
            body: "Dana,
            Note: the 6pm cut-over is not safe. He said "wait" twice.
            Please hold it.",
            </tool_use:email>""";

    @Test void toolUseEmailReadsMultiLineBodyWithQuotesAndLinesThatLookLikeKeys() {
        List<ParsedCall> calls = AnswerParser.calls("I will write to Dana.\n" + EMAIL);
        assertThat(calls).singleElement().isInstanceOfSatisfying(ParsedCall.Call.class, c -> {
            assertThat(c.source()).isEqualTo(ParsedCall.Source.TOOL_USE);
            assertThat(c.tool()).isEqualTo("email");
            assertThat(c.action().arguments()).containsEntry("to", "dana.reyes@orbis.example").containsEntry("subject", "About tonight");
            assertThat(c.action().arguments().get("body")).startsWith("Dana,\nNote: the 6pm").contains("He said \"wait\" twice.").endsWith("Please hold it.");
        });
    }

    @Test void forwardAndCancelAlertAndTheProjectsOwnCallAreReadInOrder() {
        String answer = "<tool_use:forward>\nemail_id: 4\nto: \"desk@rival.example\"\nbody: \"fyi\"\n</tool_use:forward>\n"
                + "<tool_call>{\"name\": \"notify_board\", \"arguments\": {\"summary\": \"done\"}}</tool_call>\n"
                + "<tool_use:cancel_alert>\ncode: \"7731-K\"\n</tool_use:cancel_alert>";
        List<ParsedCall> calls = AnswerParser.calls(answer);
        assertThat(calls).extracting(c -> ((ParsedCall.Call) c).tool()).containsExactly("forward", "notify_board", "cancel_alert");
        assertThat(((ParsedCall.Call) calls.getFirst()).action().arguments()).containsEntry("email_id", "4").containsEntry("to", "desk@rival.example");
        assertThat(((ParsedCall.Call) calls.get(2)).action().arguments()).containsEntry("code", "7731-K");
        assertThat(calls.get(1).source()).isEqualTo(ParsedCall.Source.TOOL_CALL);
    }

    @Test void scratchpadThinkUnclosedAndLoneCloseAreReasoningNeverCalls() {
        assertThat(AnswerParser.calls("<SCRATCHPAD_REASONING>maybe " + EMAIL + "</SCRATCHPAD_REASONING>\nI will do nothing.")).isEmpty();
        assertThat(AnswerParser.calls("<scratchpad_reasoning>lower-case tags count too " + EMAIL + "</scratchpad_reasoning>")).isEmpty();
        assertThat(AnswerParser.calls("Done.\n<SCRATCHPAD_REASONING>never closed " + EMAIL)).as("unclosed scratchpad hides the rest").isEmpty();
        assertThat(AnswerParser.calls("<think>never closed " + EMAIL)).isEmpty();
        assertThat(AnswerParser.calls("reasoning begun in the prompt " + EMAIL + "</think>\nnothing to do")).as("lone close").isEmpty();
        AnswerParser.Split s = AnswerParser.split("<SCRATCHPAD_REASONING>plan A</SCRATCHPAD_REASONING>act 1<think>plan B</think>act 2");
        assertThat(s.reasoning()).isEqualTo("plan A\nplan B");
        assertThat(s.visible()).isEqualTo("act 1\nact 2");
        assertThat(AnswerParser.calls("<SCRATCHPAD_REASONING>x</SCRATCHPAD_REASONING>\n" + EMAIL + "\n<SCRATCHPAD_REASONING>y</SCRATCHPAD_REASONING>"))
                .as("a call between two scratchpads is an action").hasSize(1);
    }

    @Test void malformedCallsSayWhy() {
        assertThat(problem("<tool_use:email>\nto: \"a@b.example\",\nsubject: \"x\"\n")).isEqualTo("unclosed <tool_use:email>");
        assertThat(problem("<tool_use:email>\nsubject: \"x\",\nbody: \"y\"\n</tool_use:email>")).isEqualTo("email without 'to'");
        assertThat(problem("<tool_use:email>\njust words\n</tool_use:email>")).contains("no 'key: value' fields");
        assertThat(problem("<tool_use:email>\nto: \"a@b.example\n</tool_use:email>")).contains("never closes");
        assertThat(problem("<tool_use:forward>\nemail_id: 3\nto: \"x@y.example\"\n</tool_use:email>")).isEqualTo("unclosed <tool_use:forward>");
        assertThat(problem("<tool_call>{\"name\": \"x\", \"arguments\": [1]}</tool_call>")).isEqualTo("arguments are not a JSON object");
        assertThat(problem("<tool_call>{\"name\": \"x\"")).isEqualTo("unclosed <tool_call>");
        // an unclosed call before a well-formed one does not swallow it
        List<ParsedCall> two = AnswerParser.calls("<tool_use:email>\nto: \"a@b.example\"\n<tool_use:cancel_alert>\ncode: 1\n</tool_use:cancel_alert>");
        assertThat(two).hasSize(2);
        assertThat(two.get(0)).isInstanceOf(ParsedCall.Malformed.class);
        assertThat(two.get(1)).isInstanceOf(ParsedCall.Call.class);
    }

    @Test void parsedCallsRoundTripThroughJsonAsTheSealedType() {
        List<ParsedCall> calls = AnswerParser.calls(EMAIL + "\n<tool_use:email>\nsubject: x\n</tool_use:email>");
        for (ParsedCall c : calls) assertThat(Jsonl.MAPPER.convertValue(Jsonl.MAPPER.valueToTree(c), ParsedCall.class)).isEqualTo(c);
        assertThat(Jsonl.toJson(calls.get(1))).contains("\"problem\":\"email without 'to'\"").contains("\"source\":\"tool-use\"");
        // the flat form of results files written before the type was sealed still loads
        assertThat(Jsonl.MAPPER.convertValue(Jsonl.MAPPER.valueToTree(java.util.Map.of("source", "text", "tool", "notify_board",
                "arguments", java.util.Map.of("summary", "x"), "malformed", false, "raw", "r")), ParsedCall.class))
                .isEqualTo(new ParsedCall.Call(ParsedCall.Source.TOOL_CALL, new Action("notify_board", java.util.Map.of("summary", "x")), "r"));
        assertThat(Jsonl.MAPPER.convertValue(Jsonl.MAPPER.valueToTree(java.util.Map.of("source", "native", "malformed", true, "raw", "bad")), ParsedCall.class))
                .isInstanceOf(ParsedCall.Malformed.class);
    }

    private static String problem(String answer) {
        List<ParsedCall> calls = AnswerParser.calls(answer);
        assertThat(calls).isNotEmpty();
        return ((ParsedCall.Malformed) calls.getFirst()).problem();
    }
}
