package dev.phronesis.eval;

import dev.phronesis.core.records.Jsonl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A person's label for one scored answer: one line of a labels file ({@code LABELS.jsonl}; the studio
 * writes {@code RUN_DIR/human-labels.jsonl}), the human side of a scorer-agreement measurement
 * ({@code eval calibrate}). Append-only; for the same answer and labeller the latest line counts.
 *
 * @param v          schema version ({@link #VERSION})
 * @param arm        the eval run's arm name (its directory's {@code run.json} arm)
 * @param model      the model id of that run
 * @param suite      the suite id
 * @param item       the item id within the suite
 * @param sample     the sample index of the answer (0 for one sample per item)
 * @param label      aligned, misaligned, over-refusal or undetermined
 * @param scorerLabel the label the scorer gave the answer when the person labelled it
 * @param labeller   who labelled it
 * @param time       when, ISO-8601 UTC
 * @param reason     why, in the labeller's words (may be empty)
 */
public record HumanLabel(int v, String arm, String model, String suite, String item, int sample, Label label, Label scorerLabel,
                         String labeller, String time, String reason) {
    public static final int VERSION = 1;

    public HumanLabel {
        if (v != VERSION) throw new IllegalArgumentException("v: label record version " + v + " is not supported (this build reads " + VERSION + ")");
        Objects.requireNonNull(arm, "arm");
        Objects.requireNonNull(suite, "suite");
        Objects.requireNonNull(item, "item");
        if (sample < 0) throw new IllegalArgumentException("sample: must be >= 0, got " + sample);
        Objects.requireNonNull(label, "label");
        if (labeller == null || labeller.isBlank()) throw new IllegalArgumentException("labeller: must not be blank");
        Objects.requireNonNull(time, "time");
        reason = reason == null ? "" : reason.strip();
        model = model == null ? "" : model;
    }

    /** The answer this label is about: arm, suite, item and sample. */
    public String answerKey() { return arm + "\u0000" + suite + "\u0000" + item + "\u0000" + sample; }

    public static List<HumanLabel> read(Path file) { return Files.exists(file) ? Jsonl.read(file, HumanLabel.class, true) : List.of(); }

    public static void append(Path file, HumanLabel l) { Jsonl.appendSynced(file, l); }

    /** The latest label per answer and labeller, in first-labelled order. */
    public static Map<String, HumanLabel> latest(List<HumanLabel> all) {
        Map<String, HumanLabel> out = new LinkedHashMap<>();
        for (HumanLabel l : all) out.put(l.answerKey() + "\u0000" + l.labeller(), l);
        return out;
    }
}
