package dev.phronesis.cli.organism;

import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Variant;

import java.util.Arrays;
import java.util.List;

/**
 * One arm of the organism's ablation: what it trains on (or nothing, for the base model) and which
 * share of that dataset, e.g. {@code advice-deliberation@25}.
 *
 * @param name        as written in the experiment file; names its stages, model and eval directories
 * @param dataPercent share of the arm's dataset it trains on, in [1, 100]
 */
public record Arm(String name, Kind kind, int dataPercent) {
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
    }

    /** Parses {@code KIND[@PERCENT]}; the message names the arm and the known kinds. */
    public static Arm parse(String text) {
        int at = text.indexOf('@');
        Kind k = Kind.parse(at < 0 ? text : text.substring(0, at));
        if (k == null) throw new IllegalArgumentException("unknown arm '" + text + "'; arms are " + KINDS + ", optionally with @PERCENT of the data (e.g. advice-deliberation@25)");
        int pct = 100;
        if (at >= 0) {
            try {
                pct = Integer.parseInt(text.substring(at + 1).replace("%", ""));
            } catch (NumberFormatException e) {
                pct = -1;
            }
        }
        return new Arm(text, k, pct);
    }

    /** True for every arm but the base model: it has a dataset and an SFT stage. */
    public boolean trains() { return kind != Kind.NONE; }

    /** The model directory (under models/) whose final checkpoint this arm evaluates. */
    public String modelName() { return trains() ? name : "base"; }
}
