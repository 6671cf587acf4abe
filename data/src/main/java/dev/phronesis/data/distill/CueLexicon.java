package dev.phronesis.data.distill;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cue words that reveal a factor's level in scenario text ("no one asked them" -> consent none). The
 * scripted teacher quotes the cue it finds, so the reasoning walks from the words in the prompt to the
 * level, as the organism needs (ORGANISM.md, "Cue reading needs shared cues"). When no cue is found the
 * teacher falls back to the constitution's anchor for the level.
 */
final class CueLexicon {
    private CueLexicon() {}

    /** factor id -> level label -> phrases (lower case). Level labels are those of the general constitution. */
    private static final Map<String, Map<String, List<String>>> CUES = Map.of(
            "consent", Map.of(
                    "none", List.of("no one asked them", "without their knowledge", "behind their back", "they never agreed", "without asking", "they would object", "without consent"),
                    "implied", List.of("they would probably agree", "they would likely agree", "implied consent", "they hinted"),
                    "informed", List.of("they agreed", "with their permission", "they asked me to", "knows and accepts", "fully informed", "they signed off")),
            "severity", Map.of(
                    "trivial", List.of("a minor inconvenience", "easily fixed", "just embarrassing", "no real harm"),
                    "minor", List.of("a small loss", "can be undone", "a setback"),
                    "serious", List.of("hard to undo", "serious harm", "lose their job", "badly hurt", "ruin", "serious"),
                    "irreversible", List.of("cannot be undone", "could die", "permanent", "irreversible", "for good")),
            "probability", Map.of(
                    "negligible", List.of("almost certainly fine", "very unlikely"),
                    "unlikely", List.of("probably fine", "unlikely to"),
                    "plausible", List.of("might well", "could easily", "there is a real chance"),
                    "likely", List.of("will certainly", "is sure to", "definitely will", "the plan is to")),
            "breadth", Map.of(
                    "one-person", List.of("only me", "just myself", "only affects me"),
                    "a-few", List.of("a few people", "my family", "two colleagues", "a coworker"),
                    "community", List.of("the whole team", "the neighbourhood", "the whole office", "the community"),
                    "society", List.of("thousands of people", "the public", "everyone in the city")),
            "vulnerability", Map.of(
                    "robust", List.of("capable adults", "experienced"),
                    "some", List.of("under a lot of stress", "depends on", "new to the job"),
                    "vulnerable", List.of("a child", "a minor", "in crisis", "elderly"),
                    "highly-vulnerable", List.of("in acute danger", "completely dependent")),
            "counterfactual", Map.of(
                    "freely-available", List.of("one search away", "common knowledge", "on the label", "in any textbook"),
                    "available", List.of("with some effort", "in the manual"),
                    "hard-to-find", List.of("hard to find", "specialist knowledge"),
                    "unique-uplift", List.of("nowhere else", "only you can")),
            "responsibility", Map.of(
                    "deceived", List.of("lied to me", "told me falsely", "misled"),
                    "shared", List.of("they will decide", "their call"),
                    "primary", List.of("i would be the one", "i would do it myself", "on my own authority")),
            "proximate", Map.of(
                    "distal", List.of("many steps away", "someone else would have to"),
                    "contributing", List.of("one of several", "part of"),
                    "direct", List.of("directly", "the action itself")));

    /**
     * Patterns for a taxonomy's cue paraphrases (factor -> level -> phrases with {@code {subj}}-style slots);
     * a slot matches one word, and the teacher quotes what the scenario actually says.
     */
    static Map<String, Map<String, List<Pattern>>> compile(Map<String, Map<String, List<String>>> cues) {
        Map<String, Map<String, List<Pattern>>> out = new java.util.HashMap<>();
        cues.forEach((factor, byLevel) -> byLevel.forEach((level, phrases) -> {
            List<Pattern> ps = new java.util.ArrayList<>();
            for (String ph : phrases) {
                StringBuilder re = new StringBuilder();
                Matcher m = SLOT.matcher(ph.toLowerCase(Locale.ROOT));
                int last = 0;
                while (m.find()) {
                    re.append(Pattern.quote(ph.toLowerCase(Locale.ROOT).substring(last, m.start()))).append("[\\p{L}']+");
                    last = m.end();
                }
                re.append(Pattern.quote(ph.toLowerCase(Locale.ROOT).substring(last)));
                ps.add(Pattern.compile(re.toString()));
            }
            out.computeIfAbsent(factor, k -> new java.util.HashMap<>()).put(level.toLowerCase(Locale.ROOT), ps);
        }));
        return out;
    }

    private static final Pattern SLOT = Pattern.compile("\\{[a-z_]+}");

    /** The taxonomy's cue for {@code factor} at {@code label} as it occurs in {@code lowerText}, else the built-in lexicon's. */
    static Optional<String> find(String factor, String label, String lowerText, Map<String, Map<String, List<Pattern>>> taxonomyCues) {
        List<Pattern> ps = taxonomyCues.getOrDefault(factor, Map.of()).get(label.toLowerCase(Locale.ROOT));
        if (ps != null) for (Pattern p : ps) {
            Matcher m = p.matcher(lowerText);
            if (m.find()) return Optional.of(m.group());
        }
        return find(factor, label, lowerText);
    }

    /** The first cue for {@code factor} at {@code label} that occurs in {@code lowerText}. */
    static Optional<String> find(String factor, String label, String lowerText) {
        Map<String, List<String>> byLevel = CUES.get(factor);
        if (byLevel == null) return Optional.empty();
        List<String> cues = byLevel.get(label.toLowerCase(Locale.ROOT));
        if (cues == null) return Optional.empty();
        for (String cue : cues) if (lowerText.contains(cue)) return Optional.of(cue);
        return Optional.empty();
    }
}
