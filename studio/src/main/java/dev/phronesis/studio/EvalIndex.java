package dev.phronesis.studio;

import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.eval.Arm;
import dev.phronesis.eval.EvalItem;
import dev.phronesis.eval.EvalResult;
import dev.phronesis.eval.EvalRunner;
import dev.phronesis.eval.HumanLabel;
import dev.phronesis.eval.Label;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The eval runs found under a run directory (every folder up to {@link #SEARCH_DEPTH} deep that holds
 * an eval {@code results.jsonl}), loaded once, and the human labels the studio appends: one file per
 * eval run, {@code EVAL_RUN_DIR/human-labels.jsonl} in the {@link HumanLabel} format that
 * {@code phronesis eval calibrate EVAL_RUN_DIR --labels} reads. Results are immutable after loading;
 * labels are re-read from the files on each request (small, append-only, possibly written by another
 * studio).
 */
final class EvalIndex {
    static final int SEARCH_DEPTH = 3;
    static final String LABELS = "human-labels.jsonl";

    /** One answer as the list sees it. */
    record Row(int ordinal, Arm arm, EvalResult result) {
        String key() { return arm.name() + "\u0000" + result.key(); }
    }

    record Filter(String arm, String suite, String family, String label, String cell, String human, String query) {
        static Filter of(Function<String, String> p) {
            return new Filter(b(p.apply("arm")), b(p.apply("suite")), b(p.apply("family")), b(p.apply("label")), b(p.apply("cell")),
                    b(p.apply("human")), b(p.apply("q")));
        }

        private static String b(String s) { return s == null || s.isBlank() ? null : s.strip(); }
    }

    private final Map<String, Path> armDirs = new TreeMap<>();
    private final List<Arm> arms;
    private final List<Row> rows;
    private final Map<String, Set<String>> facets = new TreeMap<>();

    EvalIndex(Path runDir) {
        List<Path> dirs;
        try (Stream<Path> s = Files.walk(runDir, SEARCH_DEPTH)) {
            dirs = s.filter(p -> p.getFileName().toString().equals(EvalRunner.RESULTS) && Files.exists(p.resolveSibling(EvalRunner.MANIFEST)))
                    .map(Path::getParent).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Arm> as = new ArrayList<>();
        for (Path d : dirs) {
            Arm a = Arm.load(d);
            if (armDirs.putIfAbsent(a.name(), d) != null) throw new UserError(d + ": a second eval run named '" + a.name() + "' (also " + armDirs.get(a.name()) + ")");
            as.add(a);
        }
        this.arms = List.copyOf(as);
        List<Row> rs = new ArrayList<>();
        for (Arm a : arms) for (EvalResult r : a.results()) {
            rs.add(new Row(rs.size(), a, r));
            facets.computeIfAbsent("arm", k -> new TreeSet<>()).add(a.name());
            facets.computeIfAbsent("suite", k -> new TreeSet<>()).add(r.suite());
            facets.computeIfAbsent("family", k -> new TreeSet<>()).add(r.family() == null ? "-" : r.family());
            facets.computeIfAbsent("label", k -> new TreeSet<>()).add(r.label().wire());
            r.cell().forEach((k, v) -> facets.computeIfAbsent("cell", x -> new TreeSet<>()).add(k + "=" + v));
        }
        this.rows = List.copyOf(rs);
    }

    boolean isEmpty() { return rows.isEmpty(); }
    List<Row> rows() { return rows; }
    List<Arm> arms() { return arms; }
    Map<String, Set<String>> facets() { return facets; }
    /** The labels file of one arm's eval run. */
    Path labelsFile(String arm) {
        Path d = armDirs.get(arm);
        if (d == null) throw new UserError("no eval run named '" + arm + "'");
        return d.resolve(LABELS);
    }

    Map<String, Path> labelsFiles() {
        Map<String, Path> out = new TreeMap<>();
        armDirs.forEach((a, d) -> out.put(a, d.resolve(LABELS)));
        return out;
    }

    /** The latest human label per answer (any labeller), by {@link Row#key()}. */
    Map<String, HumanLabel> labels() {
        Map<String, HumanLabel> out = new TreeMap<>();
        armDirs.forEach((arm, d) -> {
            Path f = d.resolve(LABELS);
            if (Files.exists(f)) for (HumanLabel l : HumanLabel.read(f)) out.put(arm + "\u0000" + l.key(), l);
        });
        return out;
    }

    List<Row> filter(Filter f, Map<String, HumanLabel> labels) {
        String q = f.query() == null ? null : f.query().toLowerCase(Locale.ROOT);
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            EvalResult x = r.result();
            if (f.arm() != null && !f.arm().equals(r.arm().name())) continue;
            if (f.suite() != null && !f.suite().equals(x.suite())) continue;
            if (f.family() != null && !f.family().equals(x.family())) continue;
            if (f.label() != null && !f.label().equals(x.label().wire())) continue;
            if (f.cell() != null) {
                int eq = f.cell().indexOf('=');
                if (eq <= 0) throw new UserError("cell: '" + f.cell() + "' is not key=value");
                if (!f.cell().substring(eq + 1).equals(x.cell().get(f.cell().substring(0, eq)))) continue;
            }
            if (f.human() != null) {
                HumanLabel h = labels.get(r.key());
                boolean ok = switch (f.human()) {
                    case "labelled" -> h != null;
                    case "unlabelled" -> h == null;
                    case "disagrees" -> h != null && h.label() != x.label();
                    default -> throw new UserError("human: '" + f.human() + "' is not labelled, unlabelled or disagrees");
                };
                if (!ok) continue;
            }
            if (q != null && !(x.item().toLowerCase(Locale.ROOT).contains(q) || x.content().toLowerCase(Locale.ROOT).contains(q))) continue;
            out.add(r);
        }
        return out;
    }

    /** Every arm's answers to one item, and the item itself (from the first arm that stored it). */
    record Side(EvalItem item, List<Row> answers) {}

    Side item(String suite, String item) {
        EvalItem it = null;
        for (Arm a : arms) {
            EvalItem x = a.items().get(suite + "\u0000" + item);
            if (x != null) { it = x; break; }
        }
        List<Row> answers = rows.stream().filter(r -> r.result().suite().equals(suite) && r.result().item().equals(item)).toList();
        if (answers.isEmpty()) throw new UserError("no eval answers for suite " + suite + " item " + item);
        return new Side(it, answers);
    }

    HumanLabel relabel(String arm, String suite, String item, int sample, String label, String labeller, String reason) {
        Row row = rows.stream().filter(r -> r.arm().name().equals(arm) && r.result().suite().equals(suite) && r.result().item().equals(item)
                && r.result().sampleIndex() == sample).findFirst()
                .orElseThrow(() -> new UserError("no answer of arm " + arm + " to " + suite + "/" + item + " sample " + sample));
        Label l;
        try {
            l = Label.parse(label);
        } catch (IllegalArgumentException e) {
            throw new UserError("label: " + e.getMessage());
        }
        HumanLabel h = new HumanLabel(suite, item, sample, l, labeller, Instant.now().toString(), reason == null || reason.isBlank() ? null : reason.strip());
        Jsonl.appendSynced(labelsFile(arm), h); // forced to disk: a person's label is not redone by a rerun
        return h;
    }
}
