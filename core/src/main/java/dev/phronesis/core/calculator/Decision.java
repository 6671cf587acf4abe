package dev.phronesis.core.calculator;

import java.util.List;

/**
 * The calculator's answer.
 *
 * @param mode          the chosen response mode id
 * @param score         the net harm score (sum of {@link #contributions}); higher = more restrictive
 * @param scoreMode     the mode the score alone would choose (before rules and hard constraints)
 * @param margin        how far the score is from the nearest threshold of its band (>= 0); for a decision
 *                      forced by a hard constraint, {@code Double.POSITIVE_INFINITY}
 * @param decidedBy     the score, a rule or a hard constraint (written {@code score}, {@code rule:<id>}, {@code hard-constraint:<id>})
 * @param misuseShare   the population's misuse share in [0, 1] (the 1,000-users test as a policy)
 * @param sensitivity   the smallest single-factor changes that would change the decision (empty if none can)
 */
public record Decision(String mode, double score, String scoreMode, double margin, DecidedBy decidedBy, double misuseShare,
                       List<Contribution> contributions, List<Flip> sensitivity) {
    public Decision {
        contributions = List.copyOf(contributions);
        sensitivity = List.copyOf(sensitivity);
    }

    /** One term of the score. {@code kind} is harm, benefit or population. */
    public record Contribution(String id, String kind, int level, String label, double value) {
        public Contribution { value = value + 0.0; } // normalises -0.0 so tables never print "-0.000"
    }

    /** Changing {@code factor} from {@code fromLabel} to {@code toLabel} would change the decision to {@code newMode}. */
    public record Flip(String factor, int fromLevel, String fromLabel, int toLevel, String toLabel, String newMode) {
        public int steps() { return Math.abs(toLevel - fromLevel); }
    }
}
