package dev.phronesis.llm;

import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.MessageCreateParams;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.InternalServerException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.phronesis.llm.testserver.LlmTestServer;
import dev.phronesis.llm.testserver.TestReply;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The official SDKs, used plainly (their own typed parsing, response validation on), accept what the test server sends. */
class LlmTestServerFidelityTest {
    @Test void openAiSdkParsesCompletionsAndErrorsStrictly() {
        try (LlmTestServer server = LlmTestServer.start()) {
            var client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl()).apiKey("sk-test").maxRetries(0).responseValidation(true).build();
            server.responder(r -> switch (r.lastUserText()) {
                case "429" -> TestReply.rateLimited(Duration.ofSeconds(2));
                case "500" -> TestReply.serverError();
                default -> TestReply.text("hello").withToolCalls(List.of(new dev.phronesis.llm.ToolCall("c1", "f", "{\"a\":1}")));
            });
            var cc = client.chat().completions().create(ChatCompletionCreateParams.builder().model("m").addUserMessage("hi").build());
            assertThat(cc.choices().getFirst().message().content()).contains("hello");
            assertThat(cc.choices().getFirst().message().toolCalls().orElseThrow().getFirst().asFunction().function().arguments()).isEqualTo("{\"a\":1}");
            assertThat(cc.usage().orElseThrow().totalTokens()).isPositive();
            assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model("m").addUserMessage("429").build()))
                    .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.headers().values("retry-after")).containsExactly("2"));
            assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model("m").addUserMessage("500").build()))
                    .isInstanceOf(InternalServerException.class);
            client.close();
        }
    }

    @Test void anthropicSdkParsesMessagesStrictly() {
        try (LlmTestServer server = LlmTestServer.start()) {
            var client = AnthropicOkHttpClient.builder().baseUrl(server.anthropicBaseUrl()).apiKey("sk-ant-test").maxRetries(0).build();
            server.responder(r -> TestReply.text("bonjour").withReasoning("hmm"));
            var m = client.messages().create(MessageCreateParams.builder().model("claude-x").maxTokens(100).addUserMessage("hi").build());
            m.validate();
            assertThat(m.content()).hasSize(2);
            assertThat(m.content().get(0).asThinking().thinking()).isEqualTo("hmm");
            assertThat(m.content().get(1).asText().text()).isEqualTo("bonjour");
            assertThat(m.usage().outputTokens()).isPositive();
            assertThat(server.credentialsSeen()).anyMatch(h -> h.contains("sk-ant-test"));
            client.close();
        }
    }
}
