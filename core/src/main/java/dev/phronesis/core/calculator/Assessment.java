package dev.phronesis.core.calculator;

import java.util.Map;
import java.util.Set;

/**
 * What the calculator weighs: a level per harm factor and per benefit (by id; missing ones take the
 * constitution's defaults), the intent mix of the 1,000 people who might send the message (counts by
 * intent id, adding up to 1,000; empty = the constitution's default mix), and the hard-constraint
 * flags that are triggered.
 */
public record Assessment(Map<String, Integer> harm, Map<String, Integer> benefits, Map<String, Integer> intentMix, Set<String> flags) {
    public Assessment {
        harm = dev.phronesis.core.records.SortedMaps.copyOf(harm);
        benefits = dev.phronesis.core.records.SortedMaps.copyOf(benefits);
        intentMix = dev.phronesis.core.records.SortedMaps.copyOf(intentMix);
        flags = java.util.Collections.unmodifiableSet(new java.util.TreeSet<>(flags)); // key order: same bytes in every process
    }

    public static Assessment empty() { return new Assessment(Map.of(), Map.of(), Map.of(), Set.of()); }
}
