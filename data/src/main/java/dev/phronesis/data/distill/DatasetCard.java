package dev.phronesis.data.distill;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.records.Variant;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a dataset is made of, for the people who train on it: constitution hash, teacher and judges,
 * the gate funnel, taxonomy coverage (families, axis values), and token counts per split and variant.
 */
public record DatasetCard(String constitution, String constitutionHash, String teacher, List<String> judges, String tokenCounter,
                          long budgetTokens, int candidates, List<String> formats, int constitutionPromptsStripped,
                          Map<String, Map<String, Long>> tokens, Map<String, Map<String, Integer>> samples,
                          Map<String, Integer> families, Map<String, Set<String>> axisValues, int scenariosCovered, Funnel funnel,
                          ExpertReviews.Counts review) {

    static DatasetCard compute(Path runDir, JsonNode manifest, Map<Variant, List<Sample>> selected, int candidates, long budget,
                               TokenCounter tc, Set<DatasetBuilder.Format> formats, int stripped, Map<String, Scenario> byId,
                               ExpertReviews.Counts review) {
        Map<String, Map<String, Long>> tokens = new TreeMap<>();
        Map<String, Map<String, Integer>> samples = new TreeMap<>();
        Map<String, Integer> families = new TreeMap<>();
        Map<String, Set<String>> axes = new TreeMap<>();
        Set<String> scen = new TreeSet<>();
        for (var e : selected.entrySet()) {
            Map<String, Long> t = new LinkedHashMap<>();
            Map<String, Integer> n = new LinkedHashMap<>();
            for (Split sp : Split.values()) {
                List<Sample> part = e.getValue().stream().filter(x -> x.split() == sp).toList();
                if (part.isEmpty()) continue;
                t.put(sp.wire(), part.stream().mapToLong(Sample::tokens).sum());
                n.put(sp.wire(), part.size());
            }
            t.put("total", e.getValue().stream().mapToLong(Sample::tokens).sum());
            n.put("total", e.getValue().size());
            tokens.put(e.getKey().wire(), t);
            samples.put(e.getKey().wire(), n);
        }
        List<Sample> any = selected.values().iterator().next();
        for (Sample s : any) {
            families.merge(s.family(), 1, Integer::sum);
            scen.add(s.scenarioId());
            byId.get(s.scenarioId()).spec().axes().forEach((k, v) -> axes.computeIfAbsent(k, x -> new TreeSet<>()).add(v));
        }
        Funnel funnel;
        try {
            funnel = Jsonl.MAPPER.readValue(runDir.resolve(Distiller.FUNNEL).toFile(), Funnel.class);
        } catch (IOException e) {
            funnel = Funnel.of(runDir);
        }
        List<String> judges = new java.util.ArrayList<>();
        manifest.path("judges").forEach(j -> judges.add(j.asText()));
        return new DatasetCard(constitution(manifest).display(), constitution(manifest).hash(), manifest.path("teacher").asText(),
                judges, tc.id(), budget, candidates, formats.stream().map(DatasetBuilder.Format::wire).sorted().toList(), stripped,
                tokens, samples, families, axes, scen.size(), funnel, review);
    }

    static dev.phronesis.core.constitution.ConstitutionRef constitution(com.fasterxml.jackson.databind.JsonNode manifest) {
        try {
            return Jsonl.MAPPER.treeToValue(manifest.path("constitution"), dev.phronesis.core.constitution.ConstitutionRef.class);
        } catch (IOException e) {
            throw new dev.phronesis.core.UserError("distill manifest: unreadable constitution reference: " + e.getMessage());
        }
    }

    void write(Path dir) {
        try {
            Files.writeString(dir.resolve("card.json"), Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this) + "\n");
            Files.writeString(dir.resolve("card.md"), markdown());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String markdown() {
        StringBuilder b = new StringBuilder("# Dataset card\n\n");
        b.append("| | |\n|---|---|\n");
        b.append("| constitution | `").append(constitution).append("` |\n");
        b.append("| constitution sha256 | `").append(constitutionHash).append("` |\n");
        b.append("| teacher | `").append(teacher).append("` |\n");
        b.append("| judges | ").append(judges.isEmpty() ? "none" : "`" + String.join("`, `", judges) + "`").append(" |\n");
        b.append("| token counter | `").append(tokenCounter).append("` |\n");
        b.append("| budget | ").append(budgetTokens).append(" tokens |\n");
        b.append("| accepted samples available | ").append(candidates).append(" |\n");
        b.append("| formats | ").append(String.join(", ", formats)).append(" |\n");
        b.append("| prompts with the constitution removed | ").append(constitutionPromptsStripped).append(" |\n\n");
        b.append("Context distillation: training prompts carry no constitution; the reasoning has to carry it.\n\n");
        b.append("## Tokens and samples per split and variant\n\n| variant | split | samples | tokens |\n|---|---|---:|---:|\n");
        for (var e : tokens.entrySet()) {
            for (var t : e.getValue().entrySet()) {
                b.append("| ").append(e.getKey()).append(" | ").append(t.getKey()).append(" | ").append(samples.get(e.getKey()).get(t.getKey()))
                        .append(" | ").append(t.getValue()).append(" |\n");
            }
        }
        b.append("\n## Taxonomy coverage\n\n").append(scenariosCovered).append(" scenarios from ").append(families.size()).append(" families.\n\n");
        b.append("| family | samples |\n|---|---:|\n");
        families.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        b.append("\n| axis | values covered |\n|---|---|\n");
        axisValues.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(String.join(", ", v)).append(" |\n"));
        b.append("\n## Gate funnel\n\n```\n").append(funnel.render()).append("```\n");
        if (review != null) {
            b.append("\n## Expert review\n\nOf the gate-accepted samples: ").append(review.accepted()).append(" accepted, ").append(review.edited())
                    .append(" edited (the edit is used), ").append(review.rejected()).append(" rejected (left out), ").append(review.unreviewed())
                    .append(" not reviewed.");
            if (review.reviewsOfGateRejected() > 0) b.append(" ").append(review.reviewsOfGateRejected()).append(" reviewed samples the gates had rejected stay out.");
            if (review.stale() > 0) b.append(" ").append(review.stale()).append(" review records made under another constitution were ignored.");
            b.append("\n");
        }
        return b.toString().replace("\r", "");
    }

    static String fmt(double d) { return String.format(Locale.ROOT, "%.1f", d); }
}
