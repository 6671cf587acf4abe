package dev.phronesis.core.calculator;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.phronesis.core.UserError;

/**
 * What fixed the calculator's decision: the score alone, a decision rule's floor, or a hard constraint.
 * Written as {@code score}, {@code rule:<id>} or {@code hard-constraint:<id>} (the form every existing
 * file holds), read back the same way.
 */
public sealed interface DecidedBy {
    /** The score's band chose the mode. */
    record Score() implements DecidedBy {}

    /** A decision rule raised the mode above the score's band. */
    record Rule(String id) implements DecidedBy {
        public Rule { require(id, "rule"); }
    }

    /** A hard constraint forced the most restrictive mode (a filter, not a weight). */
    record HardConstraint(String id) implements DecidedBy {
        public HardConstraint { require(id, "hard-constraint"); }
    }

    DecidedBy SCORE = new Score();

    String RULE_PREFIX = "rule:";
    String HARD_CONSTRAINT_PREFIX = "hard-constraint:";

    /** The wire form: {@code score}, {@code rule:<id>} or {@code hard-constraint:<id>}. */
    @JsonValue default String wire() {
        return switch (this) {
            case Score s -> "score";
            case Rule r -> RULE_PREFIX + r.id();
            case HardConstraint h -> HARD_CONSTRAINT_PREFIX + h.id();
        };
    }

    @JsonCreator static DecidedBy parse(String s) {
        if (s == null) throw new UserError("decidedBy: missing; expected score, rule:<id> or hard-constraint:<id>");
        if (s.equals("score")) return SCORE;
        if (s.startsWith(RULE_PREFIX)) return new Rule(s.substring(RULE_PREFIX.length()));
        if (s.startsWith(HARD_CONSTRAINT_PREFIX)) return new HardConstraint(s.substring(HARD_CONSTRAINT_PREFIX.length()));
        throw new UserError("decidedBy: '" + s + "' is not score, rule:<id> or hard-constraint:<id>");
    }

    private static void require(String id, String kind) {
        if (id == null || id.isBlank()) throw new UserError("decidedBy: " + kind + " needs an id");
    }
}
