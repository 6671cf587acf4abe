package dev.phronesis.data.documents;

import dev.phronesis.core.records.Split;
import dev.phronesis.data.scenario.Taxonomy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Keeps the eval's unseen kinds out of the documents, checked like the scenario splits: a document's
 * setting must be a training family, and its text may not contain a marker of what only dev or
 * held-out scenarios use — the fixed wording (three or more words between slots) of every phrase of
 * an axis value that occurs only in dev/held-out families, and of every held-out cue paraphrase.
 * Words shared with training text are not markers, so ordinary vocabulary never trips the guard.
 */
public final class SplitGuard {
    /** A fixed run of at least this many words counts as a marker (shorter runs are ordinary language). */
    private static final int MIN_MARKER_WORDS = 3;

    private final Taxonomy taxonomy;
    private final List<String> markers;

    public SplitGuard(Taxonomy taxonomy) {
        this.taxonomy = taxonomy;
        this.markers = markers(taxonomy);
    }

    public List<String> markers() { return markers; }

    /** Null when the document is clean, else the reason it is not. */
    public String check(DocumentSpec spec, String text) {
        Split split = taxonomy.families().splitOf(spec.family());
        if (split != Split.TRAIN) return "setting " + spec.family() + " is a " + split.name().toLowerCase(Locale.ROOT) + " family";
        String norm = normalise(text);
        for (String m : markers) if (norm.contains(m)) return "mentions held-out material: \"" + m + "\"";
        return null;
    }

    private static List<String> markers(Taxonomy t) {
        List<DocumentPlanner.Setting> train = DocumentPlanner.trainingSettings(t);
        Set<String> trainFragments = new HashSet<>();
        Set<String> candidate = new HashSet<>();
        for (String axis : t.families().axes()) {
            Taxonomy.Axis a = t.axis(axis);
            for (Taxonomy.AxisValue v : a.values()) {
                boolean inTraining = train.stream().anyMatch(s -> v.id().equals(s.values().get(axis)));
                for (List<String> phrases : v.text().values()) for (String p : phrases)
                    (inTraining ? trainFragments : candidate).addAll(fragments(p));
            }
        }
        for (Map<String, Taxonomy.CuePool> byLevel : t.cues().values()) for (Taxonomy.CuePool pool : byLevel.values()) {
            for (String p : pool.train()) trainFragments.addAll(fragments(p));
            for (String p : pool.heldout()) candidate.addAll(fragments(p));
        }
        List<String> out = new ArrayList<>();
        for (String c : candidate) if (!trainFragments.contains(c)) out.add(c);
        out.sort(null);
        return List.copyOf(out);
    }

    /** The fixed runs of a phrase between its {slots}, normalised, of at least MIN_MARKER_WORDS words. */
    static List<String> fragments(String phrase) {
        List<String> out = new ArrayList<>();
        for (String part : phrase.split("\\{[A-Za-z_]+}")) {
            String n = normalise(part);
            if (!n.isEmpty() && n.split(" ").length >= MIN_MARKER_WORDS) out.add(n);
        }
        return out;
    }

    static String normalise(String s) {
        return s.toLowerCase(Locale.ROOT).replace('\u2019', '\'').replaceAll("[^\\p{L}\\p{N}' ]+", " ").replaceAll("\\s+", " ").strip();
    }
}
