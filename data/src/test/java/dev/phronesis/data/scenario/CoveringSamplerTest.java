package dev.phronesis.data.scenario;

import dev.phronesis.data.scenario.Taxonomy.Axis;
import dev.phronesis.data.scenario.Taxonomy.AxisValue;
import dev.phronesis.data.scenario.Taxonomy.Constraint;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class CoveringSamplerTest {
    static List<Axis> axes(int[] sizes) {
        List<Axis> out = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            List<AxisValue> vals = new ArrayList<>();
            for (int v = 0; v < sizes[i]; v++) vals.add(new AxisValue("v" + v, "x", Map.of(), Map.of(), Map.of(), Set.of(), Taxonomy.Expect.ANY, Map.of()));
            out.add(new Axis("a" + i, null, vals));
        }
        return out;
    }

    @Property(tries = 40)
    void coversEveryReachableTupleAndNeverBreaksAConstraint(@ForAll @IntRange(min = 2, max = 6) int nAxes, @ForAll long seed,
                                                            @ForAll @IntRange(min = 2, max = 3) int t) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] sizes = new int[nAxes];
        for (int i = 0; i < nAxes; i++) sizes[i] = 2 + rnd.nextInt(3);
        List<Axis> axes = axes(sizes);
        int a = rnd.nextInt(nAxes), b = (a + 1) % nAxes;
        Constraint c = new Constraint(Map.of("a" + a, Set.of("v0"), "a" + b, Set.of("v1")), "x");
        int strength = Math.min(t, nAxes);
        CoveringSampler s = new CoveringSampler(axes, List.of(c), List.of(), r -> true, r -> true, strength);
        var r = s.sample(10_000, seed);
        for (Map<String, String> row : r.rows()) assertThat(c.violatedBy(row)).isFalse();
        assertThat(r.coverage().covered() + r.coverage().unreachable()).isEqualTo(r.coverage().allowed());
        assertThat(r.coverage().unreachable()).isZero(); // one pair constraint with >= 2 values per axis leaves every tuple reachable
        assertThat(r.coverage().ratio()).isEqualTo(1.0);
        // a covering array needs no more rows than the product of the two largest t axis sizes, roughly
        long bound = 1;
        int[] sorted = java.util.Arrays.stream(sizes).sorted().toArray();
        for (int i = 0; i < strength; i++) bound *= sorted[sorted.length - 1 - i];
        assertThat(r.coverage().coveringRows()).isLessThanOrEqualTo((int) (bound * 2.5));
    }

    @Test
    void deterministicForASeedAndToppedUpToTheBudget() {
        List<Axis> axes = axes(new int[]{3, 4, 2, 5});
        var a = new CoveringSampler(axes, List.of(), List.of(), r -> true, r -> true, 2).sample(60, 42);
        var b = new CoveringSampler(axes, List.of(), List.of(), r -> true, r -> true, 2).sample(60, 42);
        var c = new CoveringSampler(axes, List.of(), List.of(), r -> true, r -> true, 2).sample(60, 43);
        assertThat(a.rows()).isEqualTo(b.rows()).hasSize(60);
        assertThat(a.rows()).isNotEqualTo(c.rows());
        assertThat(a.coverage().coveringRows()).isLessThan(60).isGreaterThanOrEqualTo(20); // at least 4 x 5 rows to cover a2 x a3 pairs
    }

    @Test
    void coversTheDefaultTaxonomyAtStrengthThreeWithFarFewerRowsThanRandomSamplingNeeds() {
        Taxonomy tax = Taxonomy.resolve("builtin:default");
        var sampler = new CoveringSampler(tax.axes(), tax.constraints(), tax.families().axes(), r -> true, r -> true, 3);
        var r = sampler.sample(3_000, 1);
        assertThat(r.coverage().ratio()).isEqualTo(1.0);
        int n = r.coverage().coveringRows();
        Coverage coveringOnly = new CoveringSampler(tax.axes(), tax.constraints(), tax.families().axes(), x -> true, x -> true, 3)
                .measure(r.rows().subList(0, n));
        assertThat(coveringOnly.covered()).isGreaterThanOrEqualTo((long) (0.999 * r.coverage().covered()));
        // the same number of uniformly random valid rows covers clearly fewer triples
        var rnd = new CoveringSampler(tax.axes(), tax.constraints(), tax.families().axes(), x -> true, x -> true, 3);
        List<Map<String, String>> random = new ArrayList<>();
        SplittableRandom g = new SplittableRandom(1);
        while (random.size() < n) {
            Map<String, String> row = new java.util.LinkedHashMap<>();
            for (Axis a : tax.axes()) row.put(a.id(), a.values().get(g.nextInt(a.values().size())).id());
            if (tax.constraints().stream().noneMatch(c -> c.violatedBy(row))) random.add(row);
        }
        Coverage rc = rnd.measure(random);
        assertThat(rc.covered()).isLessThan((long) (0.95 * coveringOnly.covered()));
    }
}
