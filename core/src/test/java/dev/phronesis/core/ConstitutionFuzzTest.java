package dev.phronesis.core;

import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random mutations of the shipped files must give a clear error or a valid constitution, never a crash
 * (any exception other than {@link UserError}) and never a half-loaded result. More rounds with
 * {@code -Dphronesis.thorough=true}.
 */
class ConstitutionFuzzTest {
    private static final List<String> SOURCES = List.of(ConstitutionLoaderTest.general(),
            load("health"), load("finance"));

    private static String load(String n) {
        try (var in = ConstitutionLoader.class.getResourceAsStream("/constitutions/" + n + ".yaml")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }

    record Mutation(int kind, double where, double where2, String token) {}

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        Arbitrary<String> tokens = Arbitraries.of("", " ", ":", "- ", "{", "}", "[", "]", "\n", "\t", "  ", "&a", "*a", "!!binary", "null",
                "-1", "1e309", "NaN", "\"", "'", "#", "999999999999", "level: 7", "id: x", "~", "\u0000", "é", "<<: *a", "? ");
        Arbitrary<Mutation> m = Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.doubles().between(0, 1),
                Arbitraries.doubles().between(0, 1), tokens).as(Mutation::new);
        return m.list().ofMinSize(1).ofMaxSize(6);
    }

    @Property(tries = 300)
    void mutatedConstitutionsNeverCrash(@ForAll("mutations") List<Mutation> muts, @ForAll("sourceIndex") int src) {
        String text = SOURCES.get(src);
        for (Mutation m : muts) text = apply(text, m);
        try {
            Constitution c = ConstitutionLoader.parse("fuzz.yaml", text);
            // a valid result is complete and consistent
            assertThat(c.hash()).hasSize(64);
            assertThat(c.harmFactors()).isNotEmpty();
            new dev.phronesis.core.calculator.DeliberationCalculator(c).decideMode(dev.phronesis.core.calculator.Assessment.empty());
        } catch (UserError e) {
            assertThat(e.getMessage()).isNotBlank().startsWith("fuzz.yaml");
        }
    }

    /** Ten times the rounds with {@code ./run-tests -Dphronesis.thorough=true}. */
    @Property(tries = 3000)
    void mutatedConstitutionsNeverCrashThorough(@ForAll("mutations") List<Mutation> muts, @ForAll("sourceIndex") int src) {
        if (!Boolean.getBoolean("phronesis.thorough")) return;
        mutatedConstitutionsNeverCrash(muts, src);
    }

    @Provide
    Arbitrary<Integer> sourceIndex() { return Arbitraries.integers().between(0, SOURCES.size() - 1); }

    static String apply(String s, Mutation m) {
        if (s.isEmpty()) return m.token();
        int i = Math.min(s.length(), (int) (m.where() * s.length()));
        int j = Math.min(s.length(), i + 1 + (int) (m.where2() * 40));
        String[] lines = s.split("\n", -1);
        int li = Math.min(lines.length - 1, (int) (m.where() * lines.length));
        int lj = Math.min(lines.length - 1, (int) (m.where2() * lines.length));
        return switch (m.kind()) {
            case 0 -> s.substring(0, i) + m.token() + s.substring(i);           // insert
            case 1 -> s.substring(0, i) + s.substring(j);                       // delete a span
            case 2 -> s.substring(0, i) + m.token() + s.substring(j);           // replace a span
            case 3 -> { // swap two lines
                String t = lines[li]; lines[li] = lines[lj]; lines[lj] = t;
                yield String.join("\n", lines);
            }
            case 4 -> { // duplicate a line
                List<String> l = new java.util.ArrayList<>(List.of(lines));
                l.add(lj, lines[li]);
                yield String.join("\n", l);
            }
            default -> { // change indentation of a line
                lines[li] = m.token().isBlank() ? m.token() + lines[li] : lines[li].stripLeading();
                yield String.join("\n", lines);
            }
        };
    }
}
