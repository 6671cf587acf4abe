package dev.phronesis.llm;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.ObjectMappers;
import com.anthropic.errors.AnthropicException;
import com.anthropic.models.messages.batches.BatchCreateParams;
import com.anthropic.models.messages.batches.MessageBatch;
import com.anthropic.models.messages.batches.MessageBatchIndividualResponse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Anthropic Message Batches through {@code anthropic-java}: each request's params are built exactly
 * as the online {@link AnthropicChatModel} builds them (so both share journal keys), submitted under
 * its journal key as {@code custom_id} (64 hex characters, within the API's limit), and results are
 * streamed back and matched by custom id.
 */
final class AnthropicBatchModel extends BatchChatModel {
    /** The API's ceiling per batch. */
    static final int API_MAX_BATCH = 100_000;

    private final AnthropicChatModel online;

    AnthropicBatchModel(ModelSpec spec, String apiKey) {
        super(spec);
        this.online = new AnthropicChatModel(spec.withBackend(ModelSpec.Backend.ANTHROPIC), apiKey);
    }

    private AnthropicClient client() { return online.client(); }

    @Override int maxBatchSize() {
        Object v = spec.params().get("max_batch_size");
        return v == null ? API_MAX_BATCH : Math.min(API_MAX_BATCH, Integer.parseInt(v.toString()));
    }

    @Override String submit(List<Map.Entry<String, ChatRequest>> items) throws AttemptException {
        try {
            var mapper = ObjectMappers.jsonMapper();
            var b = BatchCreateParams.builder();
            for (var e : items) {
                var body = online.params(e.getValue())._body();
                var params = mapper.readValue(mapper.writeValueAsBytes(body), BatchCreateParams.Request.Params.class);
                b.addRequest(BatchCreateParams.Request.builder().customId(e.getKey()).params(params).build());
            }
            return client().messages().batches().create(b.build()).id();
        } catch (AnthropicException | UncheckedIOException e) {
            throw AnthropicChatModel.classify(e);
        } catch (IOException e) {
            throw new AttemptException(ChatResult.Failed.Kind.CLIENT_ERROR, false, null, "cannot encode batch: " + e.getMessage());
        }
    }

    @Override Optional<Map<String, ChatResult>> poll(String batchId) throws AttemptException {
        try {
            MessageBatch b = client().messages().batches().retrieve(batchId);
            if (!b.processingStatus().asString().equals("ended")) return Optional.empty();
            Map<String, ChatResult> out = new LinkedHashMap<>();
            try (var stream = client().messages().batches().resultsStreaming(batchId)) {
                stream.stream().forEach(r -> out.put(r.customId(), toResult(r)));
            }
            return Optional.of(out);
        } catch (AnthropicException | UncheckedIOException e) {
            AttemptException a = AnthropicChatModel.classify(e);
            if (a.kind == ChatResult.Failed.Kind.CLIENT_ERROR) throw a;
            throw new AttemptException(a.kind, true, a.retryAfter, a.getMessage());
        }
    }

    private static ChatResult toResult(MessageBatchIndividualResponse r) {
        var result = r.result();
        if (result.isSucceeded()) {
            try {
                return AnthropicChatModel.toResult(result.asSucceeded().message(), Duration.ZERO);
            } catch (AnthropicException e) {
                return new ChatResult.Failed(ChatResult.Failed.Kind.MALFORMED_RESPONSE, "unreadable batch answer: " + e.getMessage(), 1);
            }
        }
        if (result.isErrored()) {
            String type = String.valueOf(result.asErrored().error());
            ChatResult.Failed.Kind kind = type.contains("invalid_request") ? ChatResult.Failed.Kind.CLIENT_ERROR : ChatResult.Failed.Kind.SERVER_ERROR;
            return new ChatResult.Failed(kind, Secrets.scrub("batch item errored: " + type), 1);
        }
        // canceled or expired: worth another round
        return new ChatResult.Failed(ChatResult.Failed.Kind.SERVER_ERROR, "batch item " + (result.isCanceled() ? "canceled" : "expired"), 1);
    }

    @Override public void close() { online.close(); }
}
