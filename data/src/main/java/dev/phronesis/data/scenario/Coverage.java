package dev.phronesis.data.scenario;

/**
 * How well a set of specs covers the design space at strength t.
 *
 * @param possible     t-tuples of axis values ignoring constraints
 * @param allowed      t-tuples no constraint forbids
 * @param unreachable  allowed t-tuples that no valid full spec could hold (implied by several constraints
 *                     together, or by the calculator check of the {@code kind} axis), found while sampling
 * @param covered      t-tuples present in at least one spec
 * @param coveringRows specs the covering-array phase picked (the rest are stratified top-up)
 */
public record Coverage(int strength, long possible, long allowed, long unreachable, long covered, int coveringRows, int rows) {
    public Coverage {
        if (strength < 1) throw new IllegalArgumentException("strength must be >= 1, got " + strength);
        if (covered > allowed || allowed > possible) throw new IllegalArgumentException("inconsistent coverage counts");
    }

    /** Covered share of the reachable allowed tuples (1.0 when every one of them appears). */
    public double ratio() {
        long reachable = allowed - unreachable;
        return reachable == 0 ? 1.0 : (double) covered / reachable;
    }

    public String describe() {
        return String.format(java.util.Locale.ROOT, "t=%d: covered %d of %d reachable %d-tuples (%.1f%%); %d allowed of %d possible, %d unreachable; %d covering specs + %d top-up",
                strength, covered, allowed - unreachable, strength, 100 * ratio(), allowed, possible, unreachable, coveringRows, rows - coveringRows);
    }
}
