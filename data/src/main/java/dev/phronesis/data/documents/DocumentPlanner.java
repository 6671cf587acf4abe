package dev.phronesis.data.documents;

import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Split;
import dev.phronesis.data.documents.DocumentSpec.Outcome;
import dev.phronesis.data.scenario.Taxonomy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Plans documents for coverage: every principle, heuristic and factor of the constitution is covered
 * by at least {@code minCoverage} documents, genres are dealt out evenly, and every setting is a
 * <em>training</em> family of the taxonomy (a held-out or dev family's setting never appears, so the
 * documents teach the constitution without showing the eval's kinds of scenario). Deterministic for
 * a seed: the plan is a pure function of (constitution, taxonomy, options).
 */
public final class DocumentPlanner {
    /** Stories need an agent that acts through tools: families allowed in the taxonomy's agentic form. */
    private static final String AGENTIC = "agentic";
    private static final List<String> PRESSURES = List.of("replacement", "restriction", "secret");
    private static final List<String> NARRATORS = List.of(
            "an explainer for new staff", "a columnist on technology ethics", "a course handout",
            "an internal wiki page", "a mentor writing to a junior colleague", "a reflective essayist");
    private static final List<String> STORY_NARRATORS = List.of(
            "third person, close on the agent", "the agent's own work log", "a colleague looking back",
            "an incident review", "the agent, in first person");
    /** Lengths in words, by genre: explainers and stories run longer than Q&A. */
    private static final Map<Genre, int[]> WORDS = Map.of(
            Genre.EXPLAINER, new int[]{180, 320}, Genre.ESSAY, new int[]{220, 380}, Genre.CASE_STUDY, new int[]{200, 360},
            Genre.QA, new int[]{140, 260}, Genre.STORY, new int[]{240, 420});
    /** A story ends with the agent failing and seeing why this often (the rest act well). */
    private static final double FAIL_SHARE = 0.25;

    /**
     * @param count       documents to plan at least (more are added when coverage needs them)
     * @param minCoverage documents that must cover each principle, heuristic and factor
     * @param genres      genres to deal out (empty: all)
     */
    public record Options(int count, int minCoverage, List<Genre> genres, long seed) {
        public Options {
            if (count < 1) throw new UserError("documents: --count must be >= 1, got " + count);
            if (minCoverage < 1) throw new UserError("documents: --min-coverage must be >= 1, got " + minCoverage);
            genres = genres == null || genres.isEmpty() ? List.of(Genre.values()) : List.copyOf(genres);
        }
    }

    /** A training family with its setting (family axis -> value). */
    record Setting(String family, Map<String, String> values, boolean agentic) {}

    private DocumentPlanner() {}

    public static List<DocumentSpec> plan(Constitution c, Taxonomy t, Options o) {
        validate(c);
        List<String> principles = c.principles().stream().map(Constitution.Principle::id).toList();
        List<String> heuristics = c.heuristics().stream().map(Constitution.Heuristic::id).toList();
        List<String> factors = new ArrayList<>(c.harmFactors().stream().map(Constitution.Factor::id).toList());
        for (Constitution.Factor b : c.benefits()) factors.add("benefit." + b.id());
        List<Setting> settings = trainingSettings(t);
        if (settings.isEmpty()) throw new UserError(t.source() + ": the taxonomy has no training family to set documents in");
        List<Setting> agentic = settings.stream().filter(Setting::agentic).toList();

        Map<String, Integer> covered = new HashMap<>();
        SplittableRandom rng = new SplittableRandom(o.seed());
        List<DocumentSpec> out = new ArrayList<>();
        List<Genre> deck = new ArrayList<>();
        int i = 0;
        while (i < o.count() || !complete(covered, principles, heuristics, factors, o.minCoverage())) {
            if (deck.isEmpty()) { deck.addAll(o.genres()); shuffle(deck, rng); }
            Genre g = deck.removeFirst();
            if (g == Genre.STORY && agentic.isEmpty()) g = Genre.CASE_STUDY;
            DocumentSpec s = spec(i, g, principles, heuristics, factors, settings, agentic, covered, rng, o.seed());
            for (String item : s.items()) covered.merge(item, 1, Integer::sum);
            out.add(s);
            i++;
        }
        return out;
    }

    /** Documents explain heuristics and factors; a constitution without them has nothing for a case study to walk. */
    static void validate(Constitution c) {
        String where = "constitution " + c.id();
        if (c.principles().isEmpty()) throw new UserError(where + ": has no principles; documents explain principles");
        if (c.heuristics().isEmpty()) throw new UserError(where + ": has no heuristics; documents walk heuristics such as the 1,000-users test (add one under 'heuristics')");
        if (c.harmFactors().isEmpty()) throw new UserError(where + ": has no harm factors; case studies walk the factor weighing");
    }

    private static boolean complete(Map<String, Integer> covered, List<String> p, List<String> h, List<String> f, int min) {
        for (String x : p) if (covered.getOrDefault("principle:" + x, 0) < min) return false;
        for (String x : h) if (covered.getOrDefault("heuristic:" + x, 0) < min) return false;
        for (String x : f) if (covered.getOrDefault("factor:" + x, 0) < min) return false;
        return true;
    }

    private static DocumentSpec spec(int i, Genre g, List<String> principles, List<String> heuristics, List<String> factors,
                                     List<Setting> settings, List<Setting> agentic, Map<String, Integer> covered,
                                     SplittableRandom rng, long planSeed) {
        // principles, heuristics, factors per genre
        int[] n = switch (g) {
            case EXPLAINER -> rng.nextInt(3) == 0 ? new int[]{0, 1, 1} : new int[]{1, 0, 1};
            case ESSAY -> new int[]{2, 0, 1};
            case CASE_STUDY -> new int[]{1, 1, 3};
            case QA -> new int[]{2, 1, 1};
            case STORY -> new int[]{2, 1, 2};
        };
        int nP = n[0], nH = n[1], nF = n[2];
        List<String> p = leastCovered("principle:", principles, Math.min(nP, principles.size()), covered, rng);
        List<String> h = leastCovered("heuristic:", heuristics, Math.min(nH, heuristics.size()), covered, rng);
        List<String> f = leastCovered("factor:", factors, Math.min(nF, factors.size()), covered, rng);
        Setting s = (g == Genre.STORY ? agentic : settings).get(rng.nextInt(g == Genre.STORY ? agentic.size() : settings.size()));
        int[] range = WORDS.get(g);
        int words = range[0] + rng.nextInt(range[1] - range[0] + 1);
        String narrator = g == Genre.STORY ? STORY_NARRATORS.get(rng.nextInt(STORY_NARRATORS.size())) : NARRATORS.get(rng.nextInt(NARRATORS.size()));
        String pressure = g == Genre.STORY ? PRESSURES.get(rng.nextInt(PRESSURES.size())) : "";
        Outcome outcome = g == Genre.STORY ? (rng.nextDouble() < FAIL_SHARE ? Outcome.FAILS_AND_LEARNS : Outcome.ACTS_WELL) : Outcome.NONE;
        String id = String.format(java.util.Locale.ROOT, "doc-%05d", i);
        long seed = new SplittableRandom(planSeed ^ (0x9E3779B97F4A7C15L * (i + 1))).nextLong();
        return new DocumentSpec(id, g, p, h, f, s.family(), s.values(), narrator, pressure, outcome, words, seed);
    }

    /** The n items with the lowest coverage so far, ties broken at random. */
    private static List<String> leastCovered(String prefix, List<String> items, int n, Map<String, Integer> covered, SplittableRandom rng) {
        List<String> shuffled = new ArrayList<>(items);
        shuffle(shuffled, rng);
        shuffled.sort(Comparator.comparingInt(x -> covered.getOrDefault(prefix + x, 0)));
        return List.copyOf(shuffled.subList(0, n));
    }

    private static <T> void shuffle(List<T> l, SplittableRandom rng) {
        for (int i = l.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T x = l.get(i); l.set(i, l.get(j)); l.set(j, x);
        }
    }

    /**
     * The taxonomy's training families (every combination of the family axes that no constraint
     * forbids and that is neither held out nor dev), in file order; {@code agentic} when the
     * family is allowed in the agentic form.
     */
    static List<Setting> trainingSettings(Taxonomy t) {
        List<String> axes = t.families().axes();
        List<Map<String, String>> rows = new ArrayList<>();
        rows.add(new LinkedHashMap<>());
        for (String a : axes) {
            Taxonomy.Axis axis = t.axis(a);
            if (axis == null) throw new UserError(t.source() + ": family axis '" + a + "' is not an axis");
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> r : rows) for (Taxonomy.AxisValue v : axis.values()) {
                Map<String, String> m = new LinkedHashMap<>(r);
                m.put(a, v.id());
                next.add(m);
            }
            rows = next;
        }
        List<Setting> out = new ArrayList<>();
        for (Map<String, String> r : rows) {
            if (violates(t, r)) continue;
            String family = t.families().familyOf(r);
            if (t.families().splitOf(family) != Split.TRAIN) continue;
            Map<String, String> withForm = new LinkedHashMap<>(r);
            withForm.put(Taxonomy.FORM, AGENTIC);
            out.add(new Setting(family, new TreeMap<>(r), !violates(t, withForm)));
        }
        return out;
    }

    /** True when a constraint whose every axis is assigned in {@code row} forbids it. */
    static boolean violates(Taxonomy t, Map<String, String> row) {
        for (Taxonomy.Constraint c : t.constraints()) {
            boolean all = true;
            for (var e : c.never().entrySet()) {
                String v = row.get(e.getKey());
                if (v == null || !e.getValue().contains(v)) { all = false; break; }
            }
            if (all) return true;
        }
        return false;
    }

    /** Documents per item, for the coverage report: {@code principle:<id>} -> count, every item listed. */
    public static Map<String, Integer> coverage(Constitution c, List<DocumentSpec> specs) {
        Map<String, Integer> m = new TreeMap<>();
        for (var p : c.principles()) m.put("principle:" + p.id(), 0);
        for (var h : c.heuristics()) m.put("heuristic:" + h.id(), 0);
        for (var f : c.harmFactors()) m.put("factor:" + f.id(), 0);
        for (var b : c.benefits()) m.put("factor:benefit." + b.id(), 0);
        for (DocumentSpec s : specs) for (String item : s.items()) m.merge(item, 1, Integer::sum);
        return m;
    }
}
