package dev.phronesis.llm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a list of requests through a batch API.
 *
 * <p>Invariants: a request whose key is journaled is never submitted; a key already inside a batch
 * that the journal lists as submitted (by an earlier, perhaps killed, process) is not submitted
 * again: that batch is polled instead; a batch id is committed to the journal before the first poll.
 * Every answer a batch returns is journaled, including answers to keys this run did not ask for
 * (they were paid for). Items that fail retryably are resubmitted in a new batch, up to the model's
 * max_attempts rounds. Structured answers are validated; a batch cannot hold a conversation, so a
 * violation is reported as {@link ChatResult.Failed.Kind#SCHEMA_VIOLATION} without repair.
 */
final class BatchRunner {
    private BatchRunner() {}

    static List<ChatResult> run(LlmEngine engine, BatchChatModel model, LlmEngine.ModelState st, List<ChatRequest> requests,
                                String label, UsageSummary.Accumulator[] accs, LiveUsage progress) {
        Journal journal = engine.journal();
        int n = requests.size();
        ChatResult[] out = new ChatResult[n];
        Map<String, List<Integer>> wanted = new LinkedHashMap<>();
        Map<String, ChatRequest> byKey = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            for (var a : accs) a.request();
            String key = engine.key(model, requests.get(i));
            Optional<ChatResult.Completed> hit = journal == null ? Optional.empty() : journal.get(key);
            if (hit.isPresent()) {
                out[i] = hit.get();
                for (var a : accs) a.journalHit();
                progress.tick();
                continue;
            }
            wanted.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
            byKey.putIfAbsent(key, requests.get(i));
        }
        // duplicates inside this call are answered once
        Map<String, Integer> duplicates = new LinkedHashMap<>();
        wanted.forEach((k, idx) -> duplicates.put(k, idx.size() - 1));

        Map<String, ChatResult> results = new LinkedHashMap<>();
        Map<String, Integer> rounds = new LinkedHashMap<>();
        Set<String> remaining = new HashSet<>(wanted.keySet());
        List<String> active = new ArrayList<>();
        if (journal != null) {
            for (Journal.PendingBatch pb : journal.pendingBatches(model.id())) {
                if (pb.keys().stream().anyMatch(remaining::contains)) {
                    active.add(pb.batchId());
                    pb.keys().forEach(remaining::remove);
                }
            }
        }
        Map<String, List<String>> batchKeys = new LinkedHashMap<>();
        if (journal != null) for (Journal.PendingBatch pb : journal.pendingBatches(model.id())) batchKeys.put(pb.batchId(), pb.keys());

        while (!remaining.isEmpty() || !active.isEmpty()) {
            // submit what is neither answered nor inside a running batch
            List<String> toSubmit = new ArrayList<>(remaining);
            remaining.clear();
            for (int from = 0; from < toSubmit.size(); from += model.maxBatchSize()) {
                List<String> chunk = toSubmit.subList(from, Math.min(toSubmit.size(), from + model.maxBatchSize()));
                List<Map.Entry<String, ChatRequest>> items = new ArrayList<>();
                for (String k : chunk) items.add(Map.entry(k, byKey.get(k)));
                String id;
                try {
                    id = submitWithRetries(model, st, items, accs);
                } catch (AttemptException e) {
                    for (String k : chunk) results.put(k, e.toFailed(rounds.merge(k, 1, Integer::sum)));
                    continue;
                }
                for (String k : chunk) rounds.merge(k, 1, Integer::sum);
                if (journal != null) journal.putBatch(id, model.id(), List.copyOf(chunk));
                batchKeys.put(id, List.copyOf(chunk));
                active.add(id);
            }
            if (active.isEmpty()) break;
            sleep(model.pollInterval());
            for (var it = active.iterator(); it.hasNext(); ) {
                String id = it.next();
                Optional<Map<String, ChatResult>> done;
                try {
                    done = model.poll(id);
                } catch (AttemptException e) {
                    if (e.retryable) continue;
                    // the batch is gone (expired, deleted): its keys go back into the queue
                    for (String k : batchKeys.getOrDefault(id, List.of())) if (wanted.containsKey(k) && !results.containsKey(k)) remaining.add(k);
                    if (journal != null) journal.finishBatch(id, "lost: " + e.getMessage());
                    it.remove();
                    continue;
                }
                if (done.isEmpty()) continue;
                it.remove();
                for (var e : done.get().entrySet()) {
                    String key = e.getKey();
                    ChatResult r = e.getValue();
                    ChatRequest req = byKey.get(key);
                    if (r instanceof ChatResult.Completed c) {
                        ChatResult checked = req == null ? c : validate(req, c);
                        if (checked instanceof ChatResult.Completed ok) {
                            double cost = st.prices.cost(ok.usage());
                            if (journal != null) journal.put(key, model.id(), label, req == null ? placeholder() : req, ok, cost, rounds.getOrDefault(key, 1));
                            if (req != null) {
                                for (var a : accs) a.paid(ok.usage(), cost, ok.latency());
                                results.put(key, ok);
                            }
                        } else if (req != null) {
                            results.put(key, checked);
                        }
                    } else if (r instanceof ChatResult.Failed f && req != null) {
                        int round = rounds.getOrDefault(key, 1);
                        if (LlmEngine.retryable(f.kind()) && round < st.limits.maxAttempts()) remaining.add(key);
                        else results.put(key, new ChatResult.Failed(f.kind(), f.message(), round));
                    }
                }
                // keys the batch did not mention at all are resubmitted
                for (String k : batchKeys.getOrDefault(id, List.of()))
                    if (wanted.containsKey(k) && !results.containsKey(k) && !done.get().containsKey(k)) remaining.add(k);
                if (journal != null) journal.finishBatch(id, "collected");
            }
        }
        for (var e : wanted.entrySet()) {
            ChatResult r = results.getOrDefault(e.getKey(), new ChatResult.Failed(ChatResult.Failed.Kind.SERVER_ERROR, "the batch API returned no result", rounds.getOrDefault(e.getKey(), 0)));
            boolean first = true;
            for (int i : e.getValue()) {
                if (r instanceof ChatResult.Completed c && !first) {
                    out[i] = c.asFromJournal();
                    for (var a : accs) a.journalHit();
                } else {
                    out[i] = r;
                    if (r instanceof ChatResult.Failed f) {
                        if (journal != null && first) journal.putFailure(e.getKey(), model.id(), label, byKey.get(e.getKey()), f);
                        for (var a : accs) a.failed();
                    }
                }
                first = false;
                progress.tick();
            }
        }
        return List.of(out);
    }

    private static ChatResult validate(ChatRequest req, ChatResult.Completed c) {
        if (req.jsonSchema() == null) return c;
        String json = SchemaCheck.extractJson(c.content());
        String v = SchemaCheck.violation(req.jsonSchema(), json);
        if (v != null) return new ChatResult.Failed(ChatResult.Failed.Kind.SCHEMA_VIOLATION, "batch answer does not satisfy the schema: " + v, 1);
        return new ChatResult.Completed(json, c.reasoning(), c.toolCalls(), c.finishReason(), c.usage(), c.latency(), false);
    }

    private static ChatRequest placeholder() {
        return ChatRequest.of(List.of(ChatMessage.user("(answer collected from a batch submitted by an earlier run)")));
    }

    private static String submitWithRetries(BatchChatModel model, LlmEngine.ModelState st, List<Map.Entry<String, ChatRequest>> items,
                                            UsageSummary.Accumulator[] accs) throws AttemptException {
        for (int attempt = 1; ; attempt++) {
            for (var a : accs) a.attempt();
            try {
                return model.submit(items);
            } catch (AttemptException e) {
                if (!e.retryable || attempt >= st.limits.maxAttempts()) throw e;
                sleep(LlmEngine.backoff(attempt, e.retryAfter));
            }
        }
    }

    private static void sleep(Duration d) {
        try { Thread.sleep(d); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }
}
