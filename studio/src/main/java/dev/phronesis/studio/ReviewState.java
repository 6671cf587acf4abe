package dev.phronesis.studio;

import dev.phronesis.data.distill.ExpertReview;
import dev.phronesis.data.distill.ExpertReviews;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The review log of one distilled run, kept in step with {@code reviews.jsonl}.
 *
 * <p>Invariants: the file is the truth and is only appended to ({@link ExpertReviews#append}, forced
 * to disk under a file lock, so two studios on one run — two experts — can write side by side). Before
 * every read this class takes in whatever lines were appended since it last looked (by anyone), so a
 * reload shows what is on disk. All methods are synchronised: one request at a time mutates the state.
 */
final class ReviewState {
    private final Path distillDir;
    private final Path file;
    private final String constitutionHash;
    private final List<ExpertReview> all = new ArrayList<>();
    private final Map<String, ExpertReview> latest = new HashMap<>();
    private final Map<String, Map<String, ExpertReview>> byReviewer = new HashMap<>(); // sample -> reviewer -> latest
    private long readUpTo;

    ReviewState(Path distillDir, String constitutionHash) {
        this.distillDir = distillDir;
        this.file = distillDir.resolve(ExpertReviews.FILE);
        this.constitutionHash = constitutionHash;
        refresh();
    }

    /** Takes in lines appended since the last look; rereads everything if the file was replaced by a shorter one. */
    synchronized void refresh() {
        long size;
        try {
            size = Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (size < readUpTo) {
            all.clear();
            latest.clear();
            byReviewer.clear();
            readUpTo = 0;
        }
        if (size == readUpTo) return;
        List<ExpertReview> fresh = ExpertReviews.read(distillDir);
        for (ExpertReview r : fresh.subList(all.size(), fresh.size())) take(r);
        readUpTo = size;
    }

    private void take(ExpertReview r) {
        all.add(r);
        if (!r.constitutionHash().equals(constitutionHash)) return; // stale: made under another constitution
        latest.put(r.sample(), r);
        byReviewer.computeIfAbsent(r.sample(), k -> new LinkedHashMap<>()).put(r.reviewer(), r);
    }

    /** Appends a new review of {@code sample}, superseding the latest one. */
    synchronized ExpertReview add(String sample, String reviewer, ExpertReview.Verdict verdict, String reason, ExpertReview.Edit edit) {
        refresh();
        ExpertReview prev = latest.get(sample);
        int revision = (int) all.stream().filter(r -> r.sample().equals(sample)).count() + 1;
        ExpertReview r = new ExpertReview(ExpertReview.VERSION, UUID.randomUUID().toString(), sample, revision, prev == null ? null : prev.id(),
                reviewer, Instant.now().toString(), verdict, reason, constitutionHash, edit);
        ExpertReviews.append(distillDir, r);
        refresh();
        return r;
    }

    synchronized String status(String sample) {
        ExpertReview r = latest.get(sample);
        return r == null ? "unreviewed" : switch (r.verdict()) {
            case ACCEPT -> "accepted";
            case REJECT -> "rejected";
            case EDIT -> "edited";
        };
    }

    synchronized ExpertReview latest(String sample) { return latest.get(sample); }

    synchronized List<ExpertReview> history(String sample) { return all.stream().filter(r -> r.sample().equals(sample)).toList(); }

    synchronized Map<String, String> statusSnapshot() {
        Map<String, String> out = new HashMap<>();
        for (String k : latest.keySet()) out.put(k, status(k));
        return out;
    }

    /** Per family: samples, gate-accepted, reviewed, accepted, rejected, edited. */
    synchronized Map<String, Map<String, Integer>> progress(List<SampleIndex.Row> rows) {
        Map<String, Map<String, Integer>> out = new TreeMap<>();
        for (SampleIndex.Row r : rows) {
            Map<String, Integer> m = out.computeIfAbsent(r.family(), k -> newCounts());
            count(m, r);
        }
        Map<String, Integer> total = newCounts();
        for (SampleIndex.Row r : rows) count(total, r);
        out.put("(all)", total);
        return out;
    }

    private static Map<String, Integer> newCounts() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String k : List.of("samples", "gateAccepted", "reviewed", "accepted", "rejected", "edited")) m.put(k, 0);
        return m;
    }

    private void count(Map<String, Integer> m, SampleIndex.Row r) {
        m.merge("samples", 1, Integer::sum);
        if (Boolean.TRUE.equals(r.gateAccepted())) m.merge("gateAccepted", 1, Integer::sum);
        String st = status(r.key());
        if (!st.equals("unreviewed")) {
            m.merge("reviewed", 1, Integer::sum);
            m.merge(st, 1, Integer::sum);
        }
    }

    /** Agreement of one pair of reviewers over the samples both reviewed (each one's latest verdict). */
    record Agreement(String a, String b, int shared, int sameVerdict, int sameKeep, double keepKappa) {}

    /**
     * For every pair of reviewers with a shared sample: how often their verdicts match exactly, how often they
     * agree on keep (accept or edit) versus drop (reject), and Cohen's kappa on keep/drop (NaN when chance
     * agreement is 1, i.e. both always said the same thing).
     */
    synchronized List<Agreement> agreement() {
        Map<String, int[]> pairs = new TreeMap<>(); // "a\0b" -> shared, same, sameKeep, aKeep, bKeep
        for (Map<String, ExpertReview> m : byReviewer.values()) {
            List<ExpertReview> rs = new ArrayList<>(m.values());
            rs.sort(java.util.Comparator.comparing(ExpertReview::reviewer));
            for (int i = 0; i < rs.size(); i++) for (int j = i + 1; j < rs.size(); j++) {
                ExpertReview x = rs.get(i), y = rs.get(j);
                int[] c = pairs.computeIfAbsent(x.reviewer() + "\u0000" + y.reviewer(), k -> new int[5]);
                c[0]++;
                if (x.verdict() == y.verdict()) c[1]++;
                if (x.verdict().keeps() == y.verdict().keeps()) c[2]++;
                if (x.verdict().keeps()) c[3]++;
                if (y.verdict().keeps()) c[4]++;
            }
        }
        List<Agreement> out = new ArrayList<>();
        pairs.forEach((k, c) -> {
            String[] ab = k.split("\u0000");
            double n = c[0];
            double po = c[2] / n;
            double pe = (c[3] / n) * (c[4] / n) + (1 - c[3] / n) * (1 - c[4] / n);
            double kappa = pe >= 1 ? Double.NaN : (po - pe) / (1 - pe);
            out.add(new Agreement(ab[0], ab[1], c[0], c[1], c[2], kappa));
        });
        return out;
    }
}
