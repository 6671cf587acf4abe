package dev.phronesis.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.ObjectMappers;
import com.openai.errors.OpenAIException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The OpenAI Batch API through {@code openai-java}: the requests go up as a JSONL file
 * ({@code purpose=batch}), a batch runs them against {@code /v1/chat/completions}, and the output
 * file is matched back by {@code custom_id}. Request bodies are built exactly as the online
 * {@link OpenAiChatModel} builds them, so online and batch answers share journal keys.
 */
final class OpenAiBatchModel extends BatchChatModel {
    /** The API's ceiling per batch file. */
    static final int API_MAX_BATCH = 50_000;

    private final OpenAiChatModel online;
    private final OpenAIClient client;

    OpenAiBatchModel(ModelSpec spec, String apiKey) {
        super(spec);
        this.online = new OpenAiChatModel(spec.withBackend(ModelSpec.Backend.OPENAI), apiKey);
        this.client = OpenAIOkHttpClient.builder()
                .baseUrl(spec.baseUrl())
                .apiKey(RemoteChatModel.keyOrPlaceholder(apiKey))
                .maxRetries(0)
                .timeout(spec.limits().timeout())
                .build();
    }

    @Override int maxBatchSize() {
        Object v = spec.params().get("max_batch_size");
        return v == null ? API_MAX_BATCH : Math.min(API_MAX_BATCH, Integer.parseInt(v.toString()));
    }

    @Override String submit(List<Map.Entry<String, ChatRequest>> items) throws AttemptException {
        try {
            StringBuilder jsonl = new StringBuilder();
            var mapper = ObjectMappers.jsonMapper();
            for (var e : items) {
                var line = mapper.createObjectNode();
                line.put("custom_id", e.getKey());
                line.put("method", "POST");
                line.put("url", "/v1/chat/completions");
                line.set("body", mapper.valueToTree(online.params(e.getValue())._body()));
                jsonl.append(mapper.writeValueAsString(line)).append('\n');
            }
            var file = client.files().create(FileCreateParams.builder()
                    .file(jsonl.toString().getBytes(StandardCharsets.UTF_8)).purpose(FilePurpose.BATCH).build());
            Batch b = client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                    .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
            return b.id();
        } catch (OpenAIException | UncheckedIOException e) {
            throw OpenAiChatModel.classify(e);
        } catch (IOException e) {
            throw new AttemptException(ChatResult.Failed.Kind.CLIENT_ERROR, false, null, "cannot encode batch: " + e.getMessage());
        }
    }

    @Override Optional<Map<String, ChatResult>> poll(String batchId) throws AttemptException {
        try {
            Batch b = client.batches().retrieve(batchId);
            String status = b.status().asString();
            switch (status) {
                case "completed", "failed", "expired", "cancelled" -> { }
                default -> { return Optional.empty(); }
            }
            Map<String, ChatResult> out = new LinkedHashMap<>();
            if (b.outputFileId().isPresent()) read(b.outputFileId().get(), out);
            if (b.errorFileId().isPresent()) read(b.errorFileId().get(), out);
            if (out.isEmpty() && !status.equals("completed"))
                throw new AttemptException(ChatResult.Failed.Kind.SERVER_ERROR, false, null, "batch " + batchId + " ended " + status + " without results");
            return Optional.of(out);
        } catch (OpenAIException | UncheckedIOException e) {
            AttemptException a = OpenAiChatModel.classify(e);
            // a batch that does not exist any more is not coming back: let the runner resubmit its requests
            if (a.kind == ChatResult.Failed.Kind.CLIENT_ERROR) throw a;
            throw new AttemptException(a.kind, true, a.retryAfter, a.getMessage());
        }
    }

    private void read(String fileId, Map<String, ChatResult> out) {
        var mapper = ObjectMappers.jsonMapper();
        try (var resp = client.files().content(fileId); InputStream in = resp.body()) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) continue;
                JsonNode n = mapper.readTree(line);
                String id = n.path("custom_id").asText();
                JsonNode resp2 = n.path("response");
                if (resp2.path("status_code").asInt() == 200) {
                    try {
                        out.put(id, OpenAiChatModel.toResult(resp2.path("body"), Duration.ZERO));
                    } catch (AttemptException e) {
                        out.put(id, new ChatResult.Failed(ChatResult.Failed.Kind.MALFORMED_RESPONSE, "unreadable batch answer: " + e.getMessage(), 1));
                    }
                } else {
                    int code = resp2.path("status_code").asInt(500);
                    String msg = n.path("error").path("message").asText(resp2.path("body").path("error").path("message").asText("batch item failed"));
                    ChatResult.Failed.Kind kind = code == 429 ? ChatResult.Failed.Kind.RATE_LIMITED : code >= 500 || code == 0 ? ChatResult.Failed.Kind.SERVER_ERROR : ChatResult.Failed.Kind.CLIENT_ERROR;
                    out.put(id, new ChatResult.Failed(kind, Secrets.scrub("batch item: " + msg), 1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override public void close() {
        online.close();
        client.close();
    }
}
