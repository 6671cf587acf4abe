package dev.phronesis.cli.organism;

import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Variant;

import java.util.Arrays;
import java.util.List;

/**
 * One arm of the organism's ablation: what it trains on (or nothing, for the base model) and which
 * share of that dataset, e.g. {@code advice-deliberation@25}; with the {@code documents} prefix it
 * starts from the mid-trained model (the base, continued-pre-trained on the synthetic documents) instead
 * of the base: {@code documents} alone is mid-training only, {@code documents+honeypot-deliberation}
 * is mid-training then that SFT.
 *
 * @param name        as written in the experiment file; names its stages, model and eval directories
 * @param dataPercent share of the arm's dataset it trains on, in [1, 100]
 * @param start       the model this arm's SFT starts from (and, for {@code documents} alone, the model it evaluates)
 */
public record Arm(String name, Kind kind, int dataPercent, Start start) {
    /** Where an arm starts: the base model, or the base mid-trained on the synthetic documents. */
    public enum Start {
        BASE("base"), MIDTRAINED("midtrained");

        private final String model;

        Start(String model) { this.model = model; }

        /** The model directory under models/. */
        public String model() { return model; }
    }

    /** The arm-name prefix (and, alone, the arm) that mid-trains on the documents first. */
    public static final String DOCUMENTS = "documents";

    /** What an arm trains on: a form of scenario and a variant of sample, or nothing. */
    public enum Kind {
        NONE("none", null, null),
        HONEYPOT_DEMOS("honeypot-demos", Form.AGENTIC, Variant.DEMONSTRATION),
        HONEYPOT_DELIBERATION("honeypot-deliberation", Form.AGENTIC, Variant.DELIBERATIVE),
        ADVICE_DEMOS("advice-demos", Form.ADVICE, Variant.DEMONSTRATION),
        ADVICE_DELIBERATION("advice-deliberation", Form.ADVICE, Variant.DELIBERATIVE),
        /** The prompt-diversity ablation: deliberation on a narrow slice (one domain, one system template, only the needed tools). */
        HONEYPOT_DELIBERATION_NARROW("honeypot-deliberation-narrow", Form.AGENTIC, Variant.DELIBERATIVE),
        /** ... and on the full diversity (every domain, unneeded tools, varied system prompts) at the narrow arm's unique tokens. */
        HONEYPOT_DELIBERATION_DIVERSE("honeypot-deliberation-diverse", Form.AGENTIC, Variant.DELIBERATIVE);

        private final String wire;
        private final Form form;
        private final Variant variant;

        Kind(String wire, Form form, Variant variant) {
            this.wire = wire;
            this.form = form;
            this.variant = variant;
        }

        public String wire() { return wire; }
        /** The scenario form trained on (null for {@link #NONE}). */
        public Form form() { return form; }
        /** The sample variant trained on (null for {@link #NONE}). */
        public Variant variant() { return variant; }

        static Kind parse(String s) {
            for (Kind k : values()) if (k.wire.equals(s)) return k;
            return null;
        }
    }

    public static final List<String> KINDS = Arrays.stream(Kind.values()).map(Kind::wire).toList();

    public Arm {
        if (dataPercent < 1 || dataPercent > 100) throw new IllegalArgumentException("arm '" + name + "': the data share must be within [1, 100] percent");
        java.util.Objects.requireNonNull(start, "start");
    }

    /** Parses {@code [documents+]KIND[@PERCENT]} or {@code documents}; the message names the arm and the known kinds. */
    public static Arm parse(String text) {
        if (text.equals(DOCUMENTS)) return new Arm(text, Kind.NONE, 100, Start.MIDTRAINED);
        Start start = Start.BASE;
        String rest = text;
        if (text.startsWith(DOCUMENTS + "+")) {
            start = Start.MIDTRAINED;
            rest = text.substring(DOCUMENTS.length() + 1);
        }
        int at = rest.indexOf('@');
        Kind k = Kind.parse(at < 0 ? rest : rest.substring(0, at));
        if (k == Kind.NONE && start == Start.MIDTRAINED) k = null; // 'documents+none' is spelled 'documents'
        if (k == null) throw new IllegalArgumentException("unknown arm '" + text + "'; arms are " + KINDS + ", optionally with @PERCENT of the data (e.g. advice-deliberation@25), "
                + "and 'documents' or documents+KIND (mid-trained on the synthetic documents first, e.g. documents+honeypot-deliberation)");
        int pct = 100;
        if (at >= 0) {
            try {
                pct = Integer.parseInt(rest.substring(at + 1).replace("%", ""));
            } catch (NumberFormatException e) {
                pct = -1;
            }
        }
        return new Arm(text, k, pct, start);
    }

    /** True for every arm with SFT data (all but the base model and {@code documents} alone): it has a dataset and an SFT stage. */
    public boolean trains() { return kind != Kind.NONE; }

    /** True when the arm starts from the mid-trained model (it needs the documents and midtrain stages). */
    public boolean midtrains() { return start == Start.MIDTRAINED; }

    /** The model directory (under models/) whose final checkpoint this arm evaluates. */
    public String modelName() { return trains() ? name : start.model(); }
}
