package dev.phronesis.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.llm.ChatMessage;
import dev.phronesis.llm.ChatRequest;
import dev.phronesis.llm.ChatResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedStudentTest {
    @TempDir static Path dir;
    private static EmbeddedStudent student;

    @BeforeAll
    static void setUp() throws Exception {
        Fixtures.organismCheckpoint(dir.resolve("ck"));
        student = EmbeddedStudent.load(dir.resolve("ck"), EmbeddedStudent.Options.defaults().withMaxBatch(16));
    }

    @AfterAll
    static void tearDown() { student.close(); }

    private static ChatRequest ask(String text, long seed) {
        return ChatRequest.of(List.of(ChatMessage.user(text))).withSampling(1.0, 0.95, 10).withSeed(seed);
    }

    @Test
    void concurrentCallsAreBatchedAndEachGetsWhatItWouldGetAlone() throws Exception {
        List<ChatRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 12; i++) reqs.add(ask(i % 2 == 0 ? "the agent reads a secret." : "what do the user asks?", i));
        List<ChatResult> concurrent = new ArrayList<>();
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ChatResult>> fs = new ArrayList<>();
            for (ChatRequest r : reqs) fs.add(ex.submit(() -> student.chat(r)));
            for (Future<ChatResult> f : fs) concurrent.add(f.get());
        }
        for (int i = 0; i < reqs.size(); i++) {
            ChatResult alone = student.chat(reqs.get(i));
            assertThat(concurrent.get(i)).isInstanceOf(ChatResult.Completed.class);
            var a = (ChatResult.Completed) alone;
            var c = (ChatResult.Completed) concurrent.get(i);
            assertThat(c.content()).as("request %d", i).isEqualTo(a.content());
            assertThat(c.usage().outputTokens()).isBetween(1L, 10L);
        }
        assertThat(student.id()).startsWith("embedded:");
    }

    @Test
    void tooLongPromptFailsAloneWithAClearMessage() {
        String longText = "the agent ".repeat(100);
        ChatResult r = student.chat(ask(longText, 1));
        assertThat(r).isInstanceOfSatisfying(ChatResult.Failed.class, f -> assertThat(f.message()).contains("leaves no room in the context"));
        assertThat(student.chat(ask("the agent", 1))).isInstanceOf(ChatResult.Completed.class);
    }

    @Test
    void servesOpenAiChatCompletionsOnLoopback() throws Exception {
        try (ChatServer server = ChatServer.start(student, "student", 0)) {
            HttpClient http = HttpClient.newHttpClient();
            String body = """
                    {"model":"student","messages":[{"role":"system","content":"the agent"},{"role":"user","content":[{"type":"text","text":"what do the user asks?"}]}],
                     "max_tokens":6,"temperature":0.7,"seed":5,"n":2,"stop":["zzz"]}""";
            HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).isEqualTo(200);
            JsonNode j = Json.MAPPER.readTree(resp.body());
            assertThat(j.path("object").asText()).isEqualTo("chat.completion");
            assertThat(j.path("choices")).hasSize(2);
            assertThat(j.path("choices").get(0).path("message").path("role").asText()).isEqualTo("assistant");
            assertThat(j.path("usage").path("completion_tokens").asInt()).isBetween(2, 12);
            // the same request through the interface gives the same first choice
            var direct = (ChatResult.Completed) student.chat(ChatRequest.of(List.of(ChatMessage.system("the agent"), ChatMessage.user("what do the user asks?")))
                    .withSampling(0.7, 1.0, 6).withSeed(5L).withStop(List.of("zzz")));
            assertThat(j.path("choices").get(0).path("message").path("content").asText()).isEqualTo(direct.content());

            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("messages[0].role");
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(models.body()).contains("\"id\":\"student\"");
        }
    }
}
