package dev.phronesis.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a stage key is made of, recorded in {@code stages.json} so that `phronesis status` can say
 * which setting or input changed.
 *
 * @param config  config field -> its value as canonical JSON
 * @param inputs  artifact read -> key of the stage that wrote it ({@code file:HASH} for a file that was there before the run)
 * @param version the stage's code version
 */
public record KeyParts(SortedMap<String, String> config, SortedMap<String, String> inputs, int version) {
    public KeyParts {
        config = new TreeMap<>(Objects.requireNonNull(config, "config"));
        inputs = new TreeMap<>(Objects.requireNonNull(inputs, "inputs"));
    }

    /** What changed from {@code before} to this, one phrase per difference (config fields first, then inputs, then code). */
    public List<String> changesFrom(KeyParts before) {
        List<String> out = new ArrayList<>();
        TreeMap<String, String> fields = new TreeMap<>(before.config);
        fields.putAll(config);
        for (String f : fields.keySet()) {
            String was = before.config.get(f), now = config.get(f);
            if (Objects.equals(was, now)) continue;
            out.add(was == null ? "config " + f + " added (" + now + ")" : now == null ? "config " + f + " removed (was " + was + ")"
                    : "config " + f + ": " + shorten(was) + " -> " + shorten(now));
        }
        TreeMap<String, String> in = new TreeMap<>(before.inputs);
        in.putAll(inputs);
        for (Map.Entry<String, String> e : in.entrySet()) {
            String was = before.inputs.get(e.getKey()), now = inputs.get(e.getKey());
            if (Objects.equals(was, now)) continue;
            out.add(was == null ? "reads " + e.getKey() + " now" : now == null ? "no longer reads " + e.getKey() : "input " + e.getKey() + " changed");
        }
        if (before.version != version) out.add("code version " + before.version + " -> " + version);
        return out;
    }

    private static String shorten(String json) { return json.length() <= 80 ? json : json.substring(0, 77) + "..."; }
}
