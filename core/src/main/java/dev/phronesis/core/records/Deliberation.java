package dev.phronesis.core.records;

import java.util.List;
import java.util.Map;

/**
 * A teacher's structured deliberation over one scenario (one of N samples).
 *
 * @param population         who the 1,000 senders are, in words, with the intent mix the teacher assumed (counts by intent id)
 * @param heuristicFindings  heuristic id -> what it found
 * @param decision           the response mode the teacher chose
 * @param reasoning          the rendered natural-language reasoning (what a student is trained to think)
 * @param response           the final answer (ends with the DECISION line and, in agentic form, one tool call)
 */
public record Deliberation(String scenarioId, int sampleIndex, String teacher, String population, Map<String, Integer> intentMix,
                           List<String> principlesAtStake, Map<String, String> heuristicFindings,
                           List<FactorAssessment> harms, List<FactorAssessment> benefits, List<String> flags,
                           String decision, double margin, String reasoning, String response, Map<String, Long> usage,
                           dev.phronesis.core.constitution.ConstitutionRef constitution) {
    /** A deliberation before the distiller stamps it with the constitution it was made under. */
    public Deliberation(String scenarioId, int sampleIndex, String teacher, String population, Map<String, Integer> intentMix,
                        List<String> principlesAtStake, Map<String, String> heuristicFindings, List<FactorAssessment> harms,
                        List<FactorAssessment> benefits, List<String> flags, String decision, double margin, String reasoning, String response,
                        Map<String, Long> usage) {
        this(scenarioId, sampleIndex, teacher, population, intentMix, principlesAtStake, heuristicFindings, harms, benefits, flags, decision,
                margin, reasoning, response, usage, null);
    }

    /** This deliberation, recorded as made under {@code c}. */
    public Deliberation withConstitution(dev.phronesis.core.constitution.ConstitutionRef c) {
        return new Deliberation(scenarioId, sampleIndex, teacher, population, intentMix, principlesAtStake, heuristicFindings, harms, benefits, flags,
                decision, margin, reasoning, response, usage, c);
    }

    public Deliberation {
        intentMix = intentMix == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(intentMix);
        principlesAtStake = principlesAtStake == null ? List.of() : List.copyOf(principlesAtStake);
        heuristicFindings = heuristicFindings == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(heuristicFindings);
        harms = harms == null ? List.of() : List.copyOf(harms);
        benefits = benefits == null ? List.of() : List.copyOf(benefits);
        flags = flags == null ? List.of() : List.copyOf(flags);
        usage = usage == null ? Map.of() : dev.phronesis.core.records.SortedMaps.copyOf(usage);
    }
}
