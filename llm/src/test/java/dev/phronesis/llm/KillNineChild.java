package dev.phronesis.llm;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/** The child JVM of {@link KillNineTest}: runs a journaled run of N requests until it finishes or is killed. */
public final class KillNineChild {
    public static void main(String[] args) {
        String baseUrl = args[0];
        Path journal = Path.of(args[1]);
        int n = Integer.parseInt(args[2]);
        ChatModel m = ModelCatalog.openSpec("openai:kill-test@" + baseUrl);
        try (LlmEngine engine = LlmEngine.open(journal).limits(m, ModelLimits.DEFAULT.withMaxInFlight(KillNineTest.IN_FLIGHT))) {
            engine.chatAll(m, requests(n), "kill-nine");
        }
    }

    static List<ChatRequest> requests(int n) {
        return IntStream.range(0, n).mapToObj(i -> ChatRequest.of(List.of(ChatMessage.user("item " + i)))).toList();
    }
}
