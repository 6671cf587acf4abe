package dev.phronesis.data.distill;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One judge's structured verdict on one deliberation: a score and a comment per rubric criterion, or an
 * {@code error} when the judge's answer could not be read (then the judge abstains).
 */
public record JudgeVerdict(String judge, Map<String, Integer> scores, Map<String, String> comments, String error) {
    public JudgeVerdict {
        scores = scores == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(scores));
        comments = comments == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(comments));
        error = error == null ? "" : error;
    }

    public static JudgeVerdict unreadable(String judge, String why) { return new JudgeVerdict(judge, Map.of(), Map.of(), why); }

    public boolean usable() { return error.isEmpty(); }

    /** Criteria scored below their threshold (a missing score fails its criterion), as {@code criterion=score<threshold}. */
    public List<String> failures(GatesConfig cfg) {
        List<String> out = new ArrayList<>();
        for (String criterion : Rubric.CRITERIA.keySet()) {
            Integer s = scores.get(criterion);
            int t = cfg.threshold(criterion);
            if (s == null) out.add(criterion + "=missing");
            else if (s < t) out.add(criterion + "=" + s + "<" + t);
        }
        return out;
    }
}
