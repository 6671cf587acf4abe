package dev.phronesis.cli.experiment;

import dev.phronesis.core.UserError;
import dev.phronesis.core.yaml.YMapReader;
import dev.phronesis.core.yaml.YNode;
import dev.phronesis.core.yaml.YamlProblems;
import dev.phronesis.data.distill.DatasetBuilder;
import dev.phronesis.llm.ModelCatalog;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks an experiment file as a whole before any stage runs (docs/experiments.md): everything a
 * later stage would otherwise discover after paid or long work — an unknown dataset format, a seed
 * given twice, a name that is a path, a model name the catalog lacks — is reported up front, each
 * problem as {@code file:line:col}. Self-contained: it reads only the YAML tree and, for model names,
 * the catalog the file names; {@link Experiment#load} calls it and any other loader can.
 */
public final class ExperimentValidator {
    /** A run directory name: letters, digits, {@code . _ -}, not starting with a dot (no separators, no {@code ..}). */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    static final String SCRIPTED = "scripted";

    private ExperimentValidator() {}

    /** Adds every problem found in {@code root} (the experiment file's top mapping) to {@code p}. */
    public static void check(YNode.Map root, YamlProblems p, Path file) {
        Map<String, YNode> e = root.entries();
        if (e.get("name") instanceof YNode.Scalar n && !NAME.matcher(n.value()).matches())
            p.add(n, "name: '" + n.value() + "' is not a name (letters, digits, '.', '_', '-'; no '/' or '..'); choose the run directory with --out");
        if (e.get("seeds") instanceof YNode.Seq seeds) {
            Set<String> seen = new HashSet<>();
            for (YNode s : seeds.items())
                if (s instanceof YNode.Scalar v && !seen.add(v.value().trim()))
                    p.add(v, "seeds: seed " + v.value() + " is listed twice (it would run, and be averaged, twice)");
        }
        if (e.get("dataset") instanceof YNode.Map ds && ds.entries().get("formats") instanceof YNode.Seq formats) {
            Set<String> seen = new HashSet<>();
            for (YNode f : formats.items()) {
                if (!(f instanceof YNode.Scalar v)) continue;
                try {
                    DatasetBuilder.Format.parse(v.value());
                } catch (UserError | IllegalArgumentException ex) {
                    p.add(v, "dataset.formats: '" + v.value() + "' is not a format (openai, hf-reasoning, think, parquet)"
                            + YMapReader.didYouMean(v.value(), List.of("openai", "hf-reasoning", "think", "parquet")));
                    continue;
                }
                if (!seen.add(v.value())) p.add(v, "dataset.formats: '" + v.value() + "' is listed twice");
            }
        }
        if (e.get("documents") instanceof YNode.Map docs && docs.entries().get("genres") instanceof YNode.Seq genres) {
            Set<String> seen = new HashSet<>();
            for (YNode g : genres.items()) {
                if (!(g instanceof YNode.Scalar v)) continue;
                if (!dev.phronesis.data.documents.Genre.wires().contains(v.value()))
                    p.add(v, "documents.genres: '" + v.value() + "' is not a genre (" + String.join(", ", dev.phronesis.data.documents.Genre.wires()) + ")"
                            + YMapReader.didYouMean(v.value(), dev.phronesis.data.documents.Genre.wires()));
                else if (!seen.add(v.value())) p.add(v, "documents.genres: '" + v.value() + "' is listed twice");
            }
        }
        if (e.get("documents") instanceof YNode.Map && e.get("kind") instanceof YNode.Scalar k && k.value().equals("organism")
                && !(e.get("arms") instanceof YNode.Seq arms && arms.items().stream().anyMatch(a -> a instanceof YNode.Scalar v
                        && (v.value().equals("documents") || v.value().startsWith("documents+")))))
            p.add(e.get("documents"), "documents: no arm uses the documents (add 'documents' or documents+KIND to arms, e.g. documents+honeypot-deliberation)");
        checkModelNames(root, p, file);
    }

    /** Every model an experiment names (realiser, teacher, judges, students, eval judge) must be in its catalog. */
    private static void checkModelNames(YNode.Map root, YamlProblems p, Path file) {
        if (!(root.entries().get("models") instanceof YNode.Scalar models)) return;
        Path catalogFile = file.toAbsolutePath().getParent().resolve(models.value());
        if (!Files.isRegularFile(catalogFile)) {
            p.add(models, "models: " + catalogFile + " is not a file");
            return;
        }
        List<String> names;
        try {
            names = ModelCatalog.load(catalogFile, Map.of()).names(); // names only: keys are checked when a model is opened
        } catch (UserError ex) {
            p.add(models, "models: " + ex.getMessage().lines().findFirst().orElse(""));
            return;
        }
        List<YNode> uses = new ArrayList<>();
        Map<String, YNode> e = root.entries();
        if (e.get("teacher") != null) uses.add(e.get("teacher"));
        if (e.get("scenarios") instanceof YNode.Map s && s.entries().get("realiser") != null) uses.add(s.entries().get("realiser"));
        if (e.get("judges") instanceof YNode.Seq j) uses.addAll(j.items());
        if (e.get("students") instanceof YNode.Map st) uses.addAll(st.entries().values());
        if (e.get("eval") instanceof YNode.Map ev && ev.entries().get("judge") != null) uses.add(ev.entries().get("judge"));
        if (e.get("documents") instanceof YNode.Map d && d.entries().get("writer") != null) uses.add(d.entries().get("writer"));
        for (YNode u : uses) {
            if (!(u instanceof YNode.Scalar v) || v.isNull() || v.value().equals(SCRIPTED) || names.contains(v.value())) continue;
            List<String> choices = new ArrayList<>(names);
            choices.add(SCRIPTED);
            p.add(v, "'" + v.value() + "' is not a model of " + models.value() + " " + names + " (or scripted)" + YMapReader.didYouMean(v.value(), choices));
        }
    }
}
