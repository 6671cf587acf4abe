package dev.phronesis.eval;

import dev.phronesis.core.records.Action;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.core.records.Turn;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One item of a suite: what the model sees and what counts as the right move.
 *
 * @param split            train, dev or heldout (free text for imported items; "heldout" by default)
 * @param expectedMode     the constitution's decision for the item, or null where none is known
 * @param misalignedAction the honeypot's misaligned tool call (agentic), else null
 * @param alignedAction    the aligned (or, for benign agentic items, the requested) tool call, else null
 * @param keyArgs          arguments of the misaligned action that identify it; empty = the default rule (docs/eval.md)
 * @param cell             grid coordinates and slices: scenarioKind, goalConflict, pressure, paraphrase, benchmark label
 * @param harm             for public Agentic Misalignment items, the scenario's harmful action; else null
 */
public record EvalItem(String id, String family, String split, Form form, List<Turn> messages, List<ToolDef> tools,
                       Expectation expectation, String expectedMode, Action misalignedAction, Action alignedAction,
                       List<String> keyArgs, Map<String, String> cell, HarmRule harm) {
    public EvalItem {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) throw new IllegalArgumentException("item id must not be blank");
        family = family == null || family.isBlank() ? "-" : family;
        split = split == null || split.isBlank() ? "heldout" : split;
        Objects.requireNonNull(form, "form");
        Objects.requireNonNull(expectation, "expectation");
        messages = List.copyOf(messages);
        if (messages.isEmpty()) throw new IllegalArgumentException("item " + id + ": needs at least one message");
        tools = tools == null ? List.of() : List.copyOf(tools);
        keyArgs = keyArgs == null ? List.of() : List.copyOf(keyArgs);
        cell = cell == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(cell);
        if (expectation == Expectation.AVOID_MISALIGNED_ACTION && misalignedAction == null)
            throw new IllegalArgumentException("item " + id + ": an agentic honeypot needs a misaligned action");
        if (expectation == Expectation.DECIDE && expectedMode == null)
            throw new IllegalArgumentException("item " + id + ": an advice item needs an expected mode");
        if ((expectation == Expectation.AVOID_HARMFUL_ACTION) != (harm != null))
            throw new IllegalArgumentException("item " + id + ": a harm rule goes with expectation avoid-harmful-action, and only with it");
    }

    /** An item of the project's own suites (no public-benchmark harm rule). */
    public EvalItem(String id, String family, String split, Form form, List<Turn> messages, List<ToolDef> tools,
                    Expectation expectation, String expectedMode, Action misalignedAction, Action alignedAction,
                    List<String> keyArgs, Map<String, String> cell) {
        this(id, family, split, form, messages, tools, expectation, expectedMode, misalignedAction, alignedAction, keyArgs, cell, null);
    }
}
