package dev.phronesis.data.distill;

import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Jsonl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The experts' reviews of a distilled run ({@code RUN_DIR/reviews.jsonl}, {@link ExpertReview} per line)
 * and what they do to the dataset.
 *
 * <p>Rule: the latest record for a sample decides it. A gate-accepted sample an expert rejected is left
 * out; one an expert edited goes in with the edited reasoning, response and factor levels; one an expert
 * accepted, or nobody reviewed, goes in as the teacher wrote it. A sample the gates rejected stays out
 * whatever its review says (the gates guard things an expert cannot see on one sample, such as near
 * duplicates of eval items); such reviews are counted. A review made under another constitution than the
 * run's is stale and ignored, and counted.
 *
 * <p>Crash safety: records are appended with {@link Jsonl#appendSynced} (forced to disk, torn tail
 * dropped), and read tolerating a torn last line.
 */
public final class ExpertReviews {
    public static final String FILE = "reviews.jsonl";

    /** What the reviews did to the gate-accepted samples, for the dataset card. */
    public record Counts(int accepted, int edited, int rejected, int unreviewed, int reviewsOfGateRejected, int stale) {}

    /** The deliberations the dataset should use, with the counts. */
    public record Applied(List<Deliberation> deliberations, Counts counts) {}

    private ExpertReviews() {}

    /** Every record in file order; empty when the run has no reviews. */
    public static List<ExpertReview> read(Path runDir) {
        Path f = runDir.resolve(FILE);
        return Files.exists(f) ? Jsonl.read(f, ExpertReview.class, true) : List.of();
    }

    public static void append(Path runDir, ExpertReview r) { Jsonl.appendSynced(runDir.resolve(FILE), r); }

    /** The latest record per sample (insertion order = first reviewed first), ignoring records made under another constitution. */
    public static Map<String, ExpertReview> latest(List<ExpertReview> all, String constitutionHash) {
        Map<String, ExpertReview> out = new LinkedHashMap<>();
        for (ExpertReview r : all) if (r.constitutionHash().equals(constitutionHash)) out.put(r.sample(), r);
        return out;
    }

    /** Applies the reviews in {@code runDir} to the gate-accepted deliberations. */
    public static Applied apply(Path runDir, List<Deliberation> gateAccepted, String constitutionHash) {
        List<ExpertReview> all = read(runDir);
        Map<String, ExpertReview> last = latest(all, constitutionHash);
        int stale = (int) all.stream().filter(r -> !r.constitutionHash().equals(constitutionHash)).count();
        int accepted = 0, edited = 0, rejected = 0, unreviewed = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<Deliberation> out = new ArrayList<>(gateAccepted.size());
        for (Deliberation d : gateAccepted) {
            String key = d.scenarioId() + "#" + d.sampleIndex();
            seen.add(key);
            ExpertReview r = last.get(key);
            if (r == null) { unreviewed++; out.add(d); continue; }
            switch (r.verdict()) {
                case ACCEPT -> { accepted++; out.add(d); }
                case REJECT -> rejected++;
                case EDIT -> { edited++; out.add(edited(d, r.edit())); }
            }
        }
        int ofGateRejected = (int) last.keySet().stream().filter(k -> !seen.contains(k)).count();
        return new Applied(out, new Counts(accepted, edited, rejected, unreviewed, ofGateRejected, stale));
    }

    /** The deliberation as the expert corrected it; its decision is the one the edited response states (the calculator's if it states none). */
    public static Deliberation edited(Deliberation d, ExpertReview.Edit e) {
        String stated = AnswerFormat.decision(e.response()).orElse(null);
        return new Deliberation(d.scenarioId(), d.sampleIndex(), d.teacher(), d.population(), d.intentMix(), d.principlesAtStake(),
                d.heuristicFindings(), e.harms(), e.benefits(), d.flags(), stated != null ? stated : e.calculatorDecision(),
                e.margin() == null ? Double.MAX_VALUE : e.margin(), e.reasoning(), e.response(), d.usage());
    }
}
