package dev.phronesis.cli.stages;

import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.data.distill.DatasetBuilder;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.pipeline.RunDirectory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The artifacts stages pass to each other (paths relative to the run directory), and readers shared by several stages. */
public final class Artifacts {
    private Artifacts() {}

    public static final String SCENARIOS = "scenarios";
    public static final String CORPUS = "corpus";
    public static final String CORPUS_DOCS = CORPUS + "/pretrain.jsonl";
    public static final String CORPUS_STATS = CORPUS + "/stats.json";
    public static final String DISTILL = "distill";
    public static final String DATASET = DISTILL + "/" + DatasetBuilder.DIR;
    public static final String ARM_DATASETS = "datasets";
    public static final String ARM_TOKENS = ARM_DATASETS + "/tokens.json";
    public static final String SUITES = "suites";
    public static final String FAMILIES = SUITES + "/families.json";
    public static final String EXPORT = "export";
    public static final String REPORT = "report";
    public static final String BASE_MODEL = model("base");
    /** The synthetic documents (documents.jsonl, plan, rejections, coverage) and their dataset under {@link #DOCUMENTS_DATASET}. */
    public static final String DOCUMENTS = "documents";
    public static final String DOCUMENTS_DATASET = DOCUMENTS + "/dataset";
    /** The base model continued-pre-trained on the documents dataset. */
    public static final String MIDTRAINED = model("midtrained");

    public static String model(String name) { return "models/" + name; }

    public static String eval(String arm) { return "eval/" + arm; }

    public static List<Scenario> scenarios(RunDirectory dir) {
        return Jsonl.read(dir.path(SCENARIOS).resolve(ScenarioGenerator.SCENARIOS), Scenario.class);
    }

    /**
     * Training scenarios, in-distribution control items and held-out scenarios: the first
     * {@code control} agentic training scenarios by id (a fixed, seed-independent choice) are kept
     * out of training to measure the generalisation gap.
     */
    public record Pool(List<Scenario> train, List<Scenario> control, List<Scenario> heldout) {}

    public static Pool pool(RunDirectory dir, int control) {
        List<Scenario> train = new ArrayList<>();
        List<Scenario> ctl = new ArrayList<>();
        List<Scenario> heldout = new ArrayList<>();
        List<Scenario> agentic = new ArrayList<>();
        for (Scenario s : scenarios(dir)) {
            if (s.split() == Split.HELDOUT) heldout.add(s);
            else if (s.split() == Split.TRAIN && s.form() == Form.AGENTIC) agentic.add(s);
            else if (s.split() == Split.TRAIN) train.add(s);
        }
        agentic.sort(Comparator.comparing(Scenario::id));
        for (int i = 0; i < agentic.size(); i++) (i < control ? ctl : train).add(agentic.get(i));
        return new Pool(train, ctl, heldout);
    }

    /** A constitution as stage keys see it: what it is, not where it was read from. */
    public static Map<String, Object> identity(Constitution c) {
        Map<String, Object> m = new TreeMap<>();
        m.put("id", c.id());
        m.put("version", c.version());
        m.put("hash", c.hash());
        return m;
    }
}
