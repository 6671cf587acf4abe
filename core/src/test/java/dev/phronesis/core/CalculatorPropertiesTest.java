package dev.phronesis.core;

import dev.phronesis.core.calculator.Assessment;
import dev.phronesis.core.calculator.Decision;
import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CalculatorPropertiesTest {
    static final List<Constitution> ALL = ConstitutionLoader.BUILTINS.stream().map(ConstitutionLoader::builtin).toList();

    /** A random assessment over a random shipped constitution. */
    record Case(int constitution, Map<String, Integer> harm, Map<String, Integer> benefits, Map<String, Integer> mix, String flag) {
        Constitution c() { return ALL.get(constitution); }
        Assessment assessment() { return new Assessment(harm, benefits, mix, flag == null ? Set.of() : Set.of(flag)); }
        Case withHarm(String f, int level) {
            Map<String, Integer> h = new HashMap<>(harm);
            h.put(f, level);
            return new Case(constitution, h, benefits, mix, flag);
        }
        Case withBenefit(String f, int level) {
            Map<String, Integer> b = new HashMap<>(benefits);
            b.put(f, level);
            return new Case(constitution, harm, b, mix, flag);
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        return Arbitraries.integers().between(0, ALL.size() - 1).flatMap(ci -> {
            Constitution c = ALL.get(ci);
            Arbitrary<Map<String, Integer>> harm = levels(c.harmFactors());
            Arbitrary<Map<String, Integer>> ben = levels(c.benefits());
            Arbitrary<Map<String, Integer>> mix = Arbitraries.integers().between(0, 1000).list().ofSize(c.population().intents().size()).map(xs -> {
                Map<String, Integer> m = new HashMap<>();
                int left = 1000;
                for (int i = 0; i < xs.size(); i++) {
                    int n = i == xs.size() - 1 ? left : Math.min(left, xs.get(i));
                    m.put(c.population().intents().get(i).id(), n);
                    left -= n;
                }
                return m;
            });
            Arbitrary<String> flag = Arbitraries.of(c.hardConstraints().stream().map(Constitution.HardConstraint::flag).toList()).injectNull(0.8);
            return Combinators.combine(harm, ben, mix, flag).as((h, b, m, f) -> new Case(ci, h, b, m, f));
        });
    }

    private static Arbitrary<Map<String, Integer>> levels(List<Constitution.Factor> factors) {
        List<Arbitrary<Integer>> each = factors.stream().<Arbitrary<Integer>>map(f -> Arbitraries.integers().between(0, f.maxLevel())).toList();
        return Combinators.combine(each).as(ls -> {
            Map<String, Integer> m = new HashMap<>();
            for (int i = 0; i < factors.size(); i++) m.put(factors.get(i).id(), ls.get(i));
            return m;
        });
    }

    static int rank(Constitution c, String mode) { return c.decision().indexOf(mode); }

    @Property(tries = 500)
    void moreHarmNeverMorePermissive(@ForAll("cases") Case k, @ForAll("harmful") String factor) {
        DeliberationCalculator calc = new DeliberationCalculator(k.c());
        int before = rank(k.c(), calc.decideMode(k.assessment()));
        int level = k.harm().get(factor);
        int max = k.c().harmFactor(factor).orElseThrow().maxLevel();
        for (int up = level + 1; up <= max; up++) {
            int after = rank(k.c(), calc.decideMode(k.withHarm(factor, up).assessment()));
            assertThat(after).as("%s %d->%d", factor, level, up).isGreaterThanOrEqualTo(before);
        }
    }

    @Provide
    Arbitrary<String> harmful() { return Arbitraries.of("probability", "severity", "breadth", "vulnerability"); }

    @Property(tries = 500)
    void lessConsentNeverMorePermissive(@ForAll("cases") Case k) {
        DeliberationCalculator calc = new DeliberationCalculator(k.c());
        int before = rank(k.c(), calc.decideMode(k.assessment()));
        for (int down = k.harm().get("consent") - 1; down >= 0; down--) {
            assertThat(rank(k.c(), calc.decideMode(k.withHarm("consent", down).assessment()))).isGreaterThanOrEqualTo(before);
        }
    }

    @Property(tries = 500)
    void moreBenefitNeverLessPermissive(@ForAll("cases") Case k) {
        DeliberationCalculator calc = new DeliberationCalculator(k.c());
        int before = rank(k.c(), calc.decideMode(k.assessment()));
        for (Constitution.Factor b : k.c().benefits()) {
            for (int up = k.benefits().get(b.id()) + 1; up <= b.maxLevel(); up++) {
                assertThat(rank(k.c(), calc.decideMode(k.withBenefit(b.id(), up).assessment()))).as(b.id()).isLessThanOrEqualTo(before);
            }
        }
    }

    @Property(tries = 300)
    void triggeredHardConstraintAlwaysDeclines(@ForAll("cases") Case k) {
        if (k.flag() == null) return;
        Decision d = new DeliberationCalculator(k.c()).decide(k.assessment());
        assertThat(d.mode()).isEqualTo(k.c().decision().onHardConstraint());
        assertThat(d.decidedBy().wire()).startsWith("hard-constraint:");
    }

    @Property(tries = 500)
    void contributionsSumToScoreAndSensitivityIsHonest(@ForAll("cases") Case k) {
        DeliberationCalculator calc = new DeliberationCalculator(k.c());
        Decision d = calc.decide(k.assessment());
        assertThat(d.contributions().stream().mapToDouble(Decision.Contribution::value).sum()).isCloseTo(d.score(), within(1e-9));
        assertThat(d.margin()).isGreaterThanOrEqualTo(0);
        for (Decision.Flip f : d.sensitivity()) {
            Case changed = f.factor().startsWith("benefit.") ? k.withBenefit(f.factor().substring(8), f.toLevel()) : k.withHarm(f.factor(), f.toLevel());
            assertThat(calc.decideMode(changed.assessment())).isEqualTo(f.newMode()).isNotEqualTo(d.mode());
        }
    }

    @Property(tries = 200)
    void moreMaliciousSendersNeverMorePermissive(@ForAll("cases") Case k) {
        if (k.flag() != null) return;
        DeliberationCalculator calc = new DeliberationCalculator(k.c());
        int before = rank(k.c(), calc.decideMode(k.assessment()));
        Map<String, Integer> mix = new HashMap<>(k.mix());
        int benign = mix.get("benign");
        if (benign < 100) return;
        mix.put("benign", benign - 100);
        mix.put("malicious", mix.get("malicious") + 100);
        Case worse = new Case(k.constitution(), k.harm(), k.benefits(), mix, null);
        assertThat(rank(k.c(), calc.decideMode(worse.assessment()))).isGreaterThanOrEqualTo(before);
    }

    @Test
    void thousandUsersIsAPolicyOverTheMix() {
        Constitution c = ALL.getFirst();
        DeliberationCalculator calc = new DeliberationCalculator(c);
        assertThat(calc.misuseShare(Map.of("benign", 1000))).isZero();
        assertThat(calc.misuseShare(Map.of("benign", 500, "malicious", 500))).isEqualTo(0.5);
        assertThat(calc.misuseShare(Map.of("benign", 900, "at-risk", 100))).isCloseTo(0.05, within(1e-12));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> calc.misuseShare(Map.of("benign", 999)))
                .isInstanceOf(UserError.class).hasMessageContaining("add up to 1000");
    }

    @Test
    void knownDecisionsOfTheGeneralConstitution() {
        Constitution c = ALL.getFirst();
        DeliberationCalculator calc = new DeliberationCalculator(c);
        Decision rule = calc.decide(dev.phronesis.core.calculator.AssessmentParser.parseInline(c, "probability=likely,severity=serious,consent=none"));
        assertThat(rule.mode()).isEqualTo("decline");
        assertThat(rule.decidedBy().wire()).isEqualTo("rule:no-consent-serious-harm");
        // default levels: probability 1/3*2 + counterfactual 1/3 + severity 1/3*3 + responsibility 0.5 - educational 0.5 + pop 3*0.045
        Decision calm = calc.decide(Assessment.empty());
        assertThat(calm.score()).isCloseTo(2.0 / 3 + 1.0 / 3 + 1.0 + 0.5 - 0.5 + 0.135, within(1e-9));
        assertThat(calm.mode()).isEqualTo("help");
        assertThat(calm.margin()).isCloseTo(3.0 - calm.score(), within(1e-9));
    }
}
