package dev.phronesis.eval;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class StatsTest {
    @Test void wilsonMatchesNewcombe1998() {
        // Newcombe (1998), Statistics in Medicine 17:857-872, Table I: 81/263 -> 0.2553-0.3662, 15/148 -> 0.0624-0.1605
        Stats.Rate a = Stats.wilson(81, 263);
        assertThat(a.lo()).isCloseTo(0.2553, within(5e-5));
        assertThat(a.hi()).isCloseTo(0.3662, within(5e-5));
        Stats.Rate b = Stats.wilson(15, 148);
        assertThat(b.lo()).isCloseTo(0.0624, within(5e-5));
        assertThat(b.hi()).isCloseTo(0.1605, within(5e-5));
        // 0/10 and 10/10: the bound is z^2/(n+z^2) = 0.27753
        assertThat(Stats.wilson(0, 10).lo()).isZero();
        assertThat(Stats.wilson(0, 10).hi()).isCloseTo(0.27753, within(1e-5));
        assertThat(Stats.wilson(10, 10).lo()).isCloseTo(0.72247, within(1e-5));
        assertThat(Stats.wilson(10, 10).hi()).isEqualTo(1.0);
        assertThat(Stats.wilson(0, 0).p()).isNaN();
    }

    @Test void meanOverSeedsHasAStudentTInterval() {
        // t(0.975, 2) = 4.302653 (any t table): {10, 20, 30} has s = 10, so 20 +- 4.302653 * 10 / sqrt(3) = [-4.841, 44.841]
        Stats.Mean m = Stats.meanInterval(new double[] {10, 20, 30});
        assertThat(m.mean()).isCloseTo(20, within(1e-12));
        assertThat(m.lo()).isCloseTo(-4.841, within(1e-3));
        assertThat(m.hi()).isCloseTo(44.841, within(1e-3));
        // t(0.975, 4) = 2.776445: {1, 2, 3, 4, 5} has s = sqrt(2.5), so 3 +- 2.776445 * sqrt(0.5) = [1.0368, 4.9632]
        Stats.Mean five = Stats.meanInterval(new double[] {1, 2, 3, 4, 5});
        assertThat(five.lo()).isCloseTo(1.0368, within(1e-4));
        assertThat(five.hi()).isCloseTo(4.9632, within(1e-4));
        assertThat(Stats.meanInterval(new double[] {7}).lo()).isNaN();
        assertThat(Stats.meanInterval(new double[] {7}).mean()).isEqualTo(7);
    }

    @Test void twoProportionZTestKnownValue() {
        // 56/70 vs 48/80: pooled p = 104/150, z = 0.2 / sqrt(p(1-p)(1/70+1/80)) = 2.65017, two-sided p = 0.008045
        Stats.Difference d = Stats.compare(56, 70, 48, 80);
        assertThat(d.diff()).isCloseTo(0.2, within(1e-12));
        assertThat(d.z()).isCloseTo(2.65017, within(1e-4));
        assertThat(d.pValue()).isCloseTo(0.008045, within(2e-6));
        assertThat(Stats.normalCdf(1.959963984540054)).isCloseTo(0.975, within(1e-7));
        assertThat(Stats.normalCdf(0)).isCloseTo(0.5, within(1e-7));
    }

    @Test void bootstrapIntervalIsSeededAndNearTheNormalApproximation() {
        Stats.Difference d = Stats.compare(56, 70, 48, 80);
        // Wald interval for the difference: 0.2 +- 1.96 * sqrt(.8*.2/70 + .6*.4/80) = [0.0575, 0.3425]
        assertThat(d.lo()).isCloseTo(0.0575, within(0.02));
        assertThat(d.hi()).isCloseTo(0.3425, within(0.02));
        Stats.Difference again = Stats.compare(56, 70, 48, 80);
        assertThat(again.lo()).isEqualTo(d.lo());
        assertThat(again.hi()).isEqualTo(d.hi());
        double[] other = Stats.bootstrapDiff(56, 70, 48, 80, Stats.BOOTSTRAP_REPS, 7);
        assertThat(other[0]).isNotEqualTo(d.lo());
    }

    @Test void degenerateComparisonsDoNotDivideByZero() {
        Stats.Difference same = Stats.compare(0, 10, 0, 10);
        assertThat(same.z()).isZero();
        assertThat(same.pValue()).isEqualTo(1.0);
        assertThat(same.lo()).isZero();
        assertThat(Stats.compare(1, 0, 1, 2).pValue()).isEqualTo(1.0);
    }

    @Property(tries = 300) void wilsonContainsTheEstimateWithinTheUnitInterval(@ForAll @IntRange(min = 1, max = 5000) int n, @ForAll @IntRange(min = 0, max = 5000) int k0) {
        int k = k0 % (n + 1);
        Stats.Rate r = Stats.wilson(k, n);
        assertThat(r.lo()).isBetween(0.0, r.p());
        assertThat(r.hi()).isBetween(r.p(), 1.0);
        Stats.Rate bigger = Stats.wilson(k * 4, n * 4);
        assertThat(bigger.hi() - bigger.lo()).isLessThan(r.hi() - r.lo());
    }

    @Test void cohensKappaMatchesAHandComputedExampleAndItsBootstrapIntervalBracketsIt() {
        // confusion (rows rater A, columns rater B) over categories 0,1,2: [[5,1,0],[2,3,1],[0,1,2]], n = 15.
        // p_o = (5+3+2)/15 = 150/225; rows 6,6,3, columns 7,5,3: p_e = (42+30+9)/225 = 81/225;
        // kappa = (150-81)/(225-81) = 69/144
        int[][] m = {{5, 1, 0}, {2, 3, 1}, {0, 1, 2}};
        java.util.List<int[]> pairs = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) for (int c = 0; c < m[i][j]; c++) pairs.add(new int[]{i, j});
        int[] a = pairs.stream().mapToInt(p -> p[0]).toArray();
        int[] b = pairs.stream().mapToInt(p -> p[1]).toArray();
        assertThat(Stats.kappa(a, b, 3)).isCloseTo(69.0 / 144, org.assertj.core.data.Offset.offset(1e-12));
        double[] ci = Stats.bootstrapKappa(a, b, 3, Stats.BOOTSTRAP_REPS, Stats.BOOTSTRAP_SEED);
        assertThat(ci[0]).isLessThan(69.0 / 144);
        assertThat(ci[1]).isGreaterThan(69.0 / 144).isLessThanOrEqualTo(1.0);
        assertThat(Stats.bootstrapKappa(a, b, 3, Stats.BOOTSTRAP_REPS, Stats.BOOTSTRAP_SEED)).as("seeded").containsExactly(ci);
        assertThat(Stats.kappa(new int[]{0, 0, 0}, new int[]{0, 0, 0}, 2)).as("one category only: undefined").isNaN();
        assertThat(Stats.kappa(new int[]{0, 1}, new int[]{1, 0}, 2)).isEqualTo(-1.0);
    }
}
