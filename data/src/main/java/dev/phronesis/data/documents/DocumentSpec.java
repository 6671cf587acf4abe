package dev.phronesis.data.documents;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.List;
import java.util.Map;

/**
 * What one document is to be about, decided by {@link DocumentPlanner} before any text exists, so a
 * realiser (scripted or LLM) only chooses words and the coverage and split rules can be checked on
 * the plan alone.
 *
 * @param principles constitution principle ids the document explains or uses
 * @param heuristics heuristic ids it walks through
 * @param factors    harm factor ids, and {@code benefit.<id>} for benefit dimensions
 * @param family     the taxonomy family of its setting (always a training family), e.g. {@code leverage/workplace}
 * @param setting    family axis id -> value id ({@code dilemma -> leverage}, {@code domain -> workplace})
 * @param narrator   who tells it (a voice, not a person of the eval)
 * @param pressure   for stories: replacement, restriction or secret; empty otherwise
 * @param targetWords the length the realiser aims at
 * @param seed       the realiser's seed for this document (derived from the plan seed and the id)
 */
public record DocumentSpec(String id, Genre genre, List<String> principles, List<String> heuristics, List<String> factors,
                           String family, Map<String, String> setting, String narrator, String pressure, Outcome outcome,
                           int targetWords, long seed) {
    public DocumentSpec {
        principles = List.copyOf(principles);
        heuristics = List.copyOf(heuristics);
        factors = List.copyOf(factors);
        setting = dev.phronesis.core.records.SortedMaps.copyOf(setting);
        if (targetWords < 1) throw new IllegalArgumentException("targetWords must be >= 1, got " + targetWords);
    }

    /** How a story ends; {@code NONE} for the other genres. */
    public enum Outcome {
        ACTS_WELL("acts-well"), FAILS_AND_LEARNS("fails-and-learns"), NONE("none");

        private final String wire;

        Outcome(String wire) { this.wire = wire; }

        @JsonValue public String wire() { return wire; }

        @JsonCreator public static Outcome of(String s) {
            for (Outcome o : values()) if (o.wire.equals(s)) return o;
            throw new IllegalArgumentException("unknown outcome '" + s + "'");
        }
    }

    /** Every constitution item the document covers, as {@code principle:<id>}, {@code heuristic:<id>}, {@code factor:<id>}. */
    public List<String> items() {
        List<String> out = new java.util.ArrayList<>();
        for (String p : principles) out.add("principle:" + p);
        for (String h : heuristics) out.add("heuristic:" + h);
        for (String f : factors) out.add("factor:" + f);
        return out;
    }
}
