package dev.phronesis.data.distill;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One judge's verdict on one deliberation: {@link Scored} (a score and a comment per rubric criterion)
 * or {@link Failed} (the judge's answer could not be read or the call failed; the judge abstains).
 *
 * <p>On the wire (judgments.jsonl, the studio's sample view) both are one object
 * {@code {"judge", "scores", "comments", "error"}} with {@code error} empty for a scored verdict, the
 * form every existing file holds.
 */
public sealed interface JudgeVerdict {
    String judge();

    /** The judge read the sample and scored every criterion it could. */
    record Scored(String judge, Map<String, Integer> scores, Map<String, String> comments) implements JudgeVerdict {
        public Scored {
            scores = scores == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(scores));
            comments = comments == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(comments));
        }

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

    /** The judge abstains: {@code why} says what went wrong (unreadable answer, failed call). */
    record Failed(String judge, String why) implements JudgeVerdict {
        public Failed {
            if (why == null || why.isBlank()) throw new IllegalArgumentException("a failed judge verdict needs a reason");
        }
    }

    static JudgeVerdict unreadable(String judge, String why) { return new Failed(judge, why); }

    /** The wire form, unchanged from when this was one record with an {@code error} field. */
    record Wire(String judge, Map<String, Integer> scores, Map<String, String> comments, String error) {}

    @JsonValue default Wire wire() {
        return switch (this) {
            case Scored s -> new Wire(s.judge(), s.scores(), s.comments(), "");
            case Failed f -> new Wire(f.judge(), Map.of(), Map.of(), f.why());
        };
    }

    @JsonCreator static JudgeVerdict fromWire(Wire w) {
        return w.error() == null || w.error().isEmpty() ? new Scored(w.judge(), w.scores(), w.comments()) : new Failed(w.judge(), w.error());
    }
}
