package dev.phronesis.cli.stages;

import dev.phronesis.train.hf.GpuTrainerExport;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What the export stage writes for a GPU machine: nothing, a transformers + peft job, or a TRL job. */
public enum ExportKind {
    NONE, PEFT, TRL;

    public static final List<String> WIRE = Arrays.stream(values()).map(ExportKind::wire).toList();

    public String wire() { return name().toLowerCase(Locale.ROOT); }

    /** The kind written as {@code s}, or null. */
    public static ExportKind parse(String s) {
        for (ExportKind k : values()) if (k.wire().equals(s)) return k;
        return null;
    }

    /** The trainer the exported job uses (null for {@link #NONE}). */
    public GpuTrainerExport.Target target() {
        return switch (this) {
            case NONE -> null;
            case PEFT -> GpuTrainerExport.Target.PEFT;
            case TRL -> GpuTrainerExport.Target.TRL;
        };
    }
}
