package dev.phronesis.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.records.Jsonl;

import java.util.List;
import java.util.Locale;

/**
 * The engine's view of a run before it starts: every stage in order, its derived key, and whether
 * it is {@code done} (reused), {@code stale} (done before, but a named setting or input changed) or
 * {@code pending} (never finished, or upstream of it runs again).
 */
public record Plan(List<Step> steps) {
    public enum Status {
        DONE, STALE, PENDING;

        public String wire() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * @param reasons why it runs: the changed config fields and inputs, or why it is pending; empty when done
     */
    public record Step(Stage stage, String key, KeyParts parts, Status status, List<String> reasons) {
        public Step { reasons = List.copyOf(reasons); }

        public boolean runs() { return status != Status.DONE; }
    }

    public Plan { steps = List.copyOf(steps); }

    public boolean allDone() { return steps.stream().noneMatch(Step::runs); }

    /** The plan as a table: stage, status, key, and why it would run. */
    public String text() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %-30s %-8s %-16s %s%n", "stage", "status", "key", "why"));
        for (Step s : steps) {
            b.append(String.format(Locale.ROOT, "  %-30s %-8s %-16s %s%n", s.stage().name(), s.status().wire(), s.key(),
                    s.status() == Status.DONE ? "reused" : String.join("; ", s.reasons())));
        }
        return b.toString();
    }

    public ObjectNode json() {
        ObjectNode root = Jsonl.MAPPER.createObjectNode();
        ArrayNode a = root.putArray("stages");
        for (Step s : steps) {
            ObjectNode n = a.addObject();
            n.put("name", s.stage().name());
            n.put("status", s.status().wire());
            n.put("key", s.key());
            n.put("describe", s.stage().describe());
            s.stage().reads().forEach(n.putArray("reads")::add);
            s.stage().writes().forEach(n.putArray("writes")::add);
            s.reasons().forEach(n.putArray("reasons")::add);
            ObjectNode cfg = n.putObject("config");
            s.parts().config().forEach((k, v) -> cfg.set(k, readTree(v)));
        }
        return root;
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
        try {
            return Jsonl.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
