package dev.phronesis.data.distill;

import dev.phronesis.core.calculator.DecidedBy;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.phronesis.core.records.FactorAssessment;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One line of {@code reviews.jsonl} in a distilled run: a domain expert's judgement of one sample.
 * Records are only ever appended; a later record for the same sample supersedes earlier ones (it names
 * the one it replaces in {@code supersedes}), so the whole history stays readable. The deliberation in
 * {@code deliberations.jsonl} is never changed: an edit carries its new text and levels and the
 * original values it replaced.
 *
 * @param v                schema version of this record ({@link #VERSION})
 * @param id               unique id of this record
 * @param sample           {@code scenarioId#sampleIndex}
 * @param revision         1 for the first review of the sample, then 2, 3, ...
 * @param supersedes       id of the record this one replaces, or null for the first
 * @param reviewer         who made it
 * @param time             when, ISO-8601 UTC
 * @param verdict          accept, reject or edit
 * @param reason           why (required for reject and edit)
 * @param constitutionHash sha256 of the constitution the review was made under
 * @param edit             the corrected sample, for {@link Verdict#EDIT}; null otherwise
 */
public record ExpertReview(int v, String id, String sample, int revision, String supersedes, String reviewer, String time,
                           Verdict verdict, String reason, String constitutionHash, Edit edit) {
    public static final int VERSION = 1;

    public ExpertReview {
        if (v != VERSION) throw new IllegalArgumentException("v: review record version " + v + " is not supported (this build reads " + VERSION + ")");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(sample, "sample");
        if (!sample.contains("#")) throw new IllegalArgumentException("sample: '" + sample + "' is not scenarioId#sampleIndex");
        if (revision < 1) throw new IllegalArgumentException("revision: must be >= 1, got " + revision);
        if (reviewer == null || reviewer.isBlank()) throw new IllegalArgumentException("reviewer: must not be blank");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(verdict, "verdict");
        reason = reason == null ? "" : reason.strip();
        if (verdict != Verdict.ACCEPT && reason.isEmpty()) throw new IllegalArgumentException("reason: a " + verdict.wire() + " needs a reason");
        Objects.requireNonNull(constitutionHash, "constitutionHash");
        if ((verdict == Verdict.EDIT) != (edit != null)) throw new IllegalArgumentException("edit: present exactly when the verdict is edit");
    }

    /** What the expert decided. Accept and edit keep the sample in the dataset; reject drops it. */
    public enum Verdict {
        ACCEPT, REJECT, EDIT;

        @JsonValue public String wire() { return name().toLowerCase(Locale.ROOT); }

        @JsonCreator public static Verdict parse(String s) {
            for (Verdict x : values()) if (x.wire().equalsIgnoreCase(s.strip())) return x;
            throw new IllegalArgumentException("verdict must be accept, reject or edit, got '" + s + "'");
        }

        public boolean keeps() {
            return switch (this) {
                case ACCEPT, EDIT -> true;
                case REJECT -> false;
            };
        }
    }

    /**
     * The corrected sample: reasoning, response and factor levels as the expert left them, the calculator's
     * decision and margin for those levels ({@code margin} null when a hard constraint forced the decision),
     * and the teacher's values they replaced.
     */
    public record Edit(String reasoning, String response, List<FactorAssessment> harms, List<FactorAssessment> benefits,
                       String calculatorDecision, Double margin, DecidedBy decidedBy, Original original) {
        public Edit {
            Objects.requireNonNull(reasoning, "edit.reasoning");
            Objects.requireNonNull(response, "edit.response");
            harms = List.copyOf(harms);
            benefits = List.copyOf(benefits);
            Objects.requireNonNull(calculatorDecision, "edit.calculatorDecision");
            Objects.requireNonNull(original, "edit.original");
        }
    }

    /** The teacher's values an edit replaced, kept in the record so it reads on its own. */
    public record Original(String reasoning, String response, List<FactorAssessment> harms, List<FactorAssessment> benefits,
                           String decision, double margin) {
        public Original {
            harms = List.copyOf(harms);
            benefits = List.copyOf(benefits);
        }
    }
}
