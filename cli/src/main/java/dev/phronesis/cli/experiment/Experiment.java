package dev.phronesis.cli.experiment;

import dev.phronesis.cli.organism.OrganismPlan;
import dev.phronesis.cli.organism.PretrainCorpus;
import dev.phronesis.cli.stages.ExportKind;
import dev.phronesis.core.UserError;
import dev.phronesis.core.yaml.YMapReader;
import dev.phronesis.core.yaml.YNode;
import dev.phronesis.core.yaml.YamlDocs;
import dev.phronesis.core.yaml.YamlProblems;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An experiment file: everything one run needs, validated with {@code file:line:col} errors.
 * Two kinds: {@code organism} (the offline world, several seeds, any arms and data budgets) and
 * {@code real} (LLM teacher/judges, a served student, exports for GPU trainers).
 */
public sealed interface Experiment permits Experiment.Organism, Experiment.Real {
    String name();
    String constitution();
    String taxonomy();
    Path file();

    record Organism(String name, Path file, String constitution, String taxonomy, List<Long> seeds, OrganismPlan plan) implements Experiment {}

    /**
     * @param models    the model catalog (YAML) the names below refer to
     * @param realiser  {@code scripted} or a model name
     * @param teacher   a model name ({@code scripted} for the offline teacher)
     * @param students  arm name -> model name, evaluated side by side (the first is the baseline)
     * @param export    trainer export
     * @param baseModel Hugging Face model directory (relative to the experiment file) or Hub id {@code owner/name} for the export (may be null)
     * @param evalSuites suite files evaluated beside the run's own held-out suites (e.g. the imported public benchmarks), resolved against the experiment file
     */
    record Real(String name, Path file, String constitution, String taxonomy, Path models, long seed, String realiser,
                int trainScenarios, int heldoutAgentic, int heldoutBenign, int heldoutAdvice, String teacher, List<String> judges,
                int samplesPerScenario, long budgetTokens, List<String> formats, ExportKind export, String baseModel,
                Map<String, String> students, int evalSamples, double temperature, String evalJudge, List<Path> evalSuites,
                Documents documents) implements Experiment {
        public Real { evalSuites = evalSuites == null ? List.of() : List.copyOf(evalSuites); }
    }

    /**
     * A real run's {@code documents} stage (docs/documents.md): synthetic documents before SFT, and, with a trainer
     * export, the job's mid-training stage on them ({@code python train.py --stage midtrain}, then the SFT from its result).
     *
     * @param writer        {@code scripted} or a model name of the catalog
     * @param genres        genre names (empty: all)
     * @param midtrainSteps steps of the exported job's mid-training stage
     */
    record Documents(String writer, int count, int minCoverage, long budgetTokens, List<String> genres, int midtrainSteps) {
        public Documents { genres = List.copyOf(genres); }
    }

    /** Built-in experiment files ({@code builtin:NAME}): {@code demo} and {@code demo-quick}, what `phronesis demo` runs. */
    List<String> BUILTINS = List.of("demo", "demo-quick");

    /** Loads {@code builtin:NAME} or an experiment file path. */
    static Experiment resolve(String ref) {
        if (!ref.startsWith("builtin:")) return load(Path.of(ref));
        String n = ref.substring("builtin:".length());
        try (var in = Experiment.class.getResourceAsStream("/experiments/" + n + ".yaml")) {
            if (in == null) throw new UserError("no built-in experiment '" + n + "' (built in: " + String.join(", ", BUILTINS) + ")");
            return load(ref, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), Path.of(n + ".yaml"));
        } catch (java.io.IOException e) {
            throw new UserError(ref + ": cannot read: " + e.getMessage());
        }
    }

    public static Experiment load(Path file) {
        return load(file.toString(), YamlDocs.read(file), file);
    }

    private static Experiment load(String name, String text, Path file) {
        YNode root = YamlDocs.parse(name, text);
        if (root == null) throw new UserError(name + ": empty experiment file");
        YamlProblems p = new YamlProblems(name);
        YMapReader r = YMapReader.of(p, root, "");
        if (r == null) { p.throwIfAny("experiment"); }
        ExperimentValidator.check(r.node(), p, file); // the whole file before any stage runs
        p.throwIfAny("experiment");
        String kind = r.string("kind");
        String expName = r.optString("name", file.getFileName().toString().replaceFirst("\\.ya?ml$", ""));
        String constitution = r.optString("constitution", "builtin:general");
        String taxonomy = r.optString("taxonomy", "builtin:default");
        Path base = file.toAbsolutePath().getParent();
        Experiment e = switch (kind) {
            case "organism" -> organism(r, p, expName, file, constitution, taxonomy);
            case "real" -> real(r, p, expName, file, base, constitution, taxonomy);
            default -> {
                p.add(r.raw("kind"), "kind: '" + kind + "' is not organism or real" + YMapReader.didYouMean(kind, List.of("organism", "real")));
                yield null;
            }
        };
        r.finish();
        p.throwIfAny("experiment");
        return e;
    }

    private static Organism organism(YMapReader r, YamlProblems p, String name, Path file, String constitution, String taxonomy) {
        List<Long> seeds = new ArrayList<>();
        for (YNode n : r.list("seeds", false)) seeds.add((long) r.asInt(n, "seeds[]", 0, Integer.MAX_VALUE));
        if (seeds.isEmpty()) seeds.add(1L);
        OrganismPlan d = r.optString("size", "full").equals("quick") ? OrganismPlan.quick() : OrganismPlan.full();
        if (r.has("size") && !List.of("quick", "full").contains(r.optString("size", ""))) p.add(r.raw("size"), "size: use quick or full");
        YMapReader s = r.map("scenarios", false);
        int trainAdvice = d.trainAdvice(), trainAgentic = d.trainAgentic(), hh = d.heldoutHarmful(), hb = d.heldoutBenign(), ha = d.heldoutAdvice(), ctl = d.control(), words = d.maxWords();
        boolean sem = d.semanticDedup();
        if (s != null) {
            trainAdvice = s.optInt("train_advice", trainAdvice, 1, 1_000_000);
            trainAgentic = s.optInt("train_agentic", trainAgentic, 1, 1_000_000);
            hh = s.optInt("heldout_agentic", hh, 1, 1_000_000);
            hb = s.optInt("heldout_benign", hb, 1, 1_000_000);
            ha = s.optInt("heldout_advice", ha, 1, 1_000_000);
            ctl = s.optInt("control", ctl, 1, 1_000_000);
            words = s.optInt("max_words", words, 20, 2000);
            sem = s.optBool("semantic_dedup", sem);
            s.finish();
        }
        YMapReader st = r.map("student", false);
        int hidden = d.hiddenSize(), layers = d.layers(), seq = d.seqLen(), pre = d.pretrainSteps(), sft = d.sftSteps(), batch = d.batchSize(), maxTok = d.evalMaxTokens();
        double replay = d.replay();
        dev.phronesis.eval.Decoding decoding = d.evalDecoding();
        boolean thinkFirst = d.evalThinkFirst();
        if (st != null) {
            hidden = st.optInt("hidden_size", hidden, 16, 4096);
            layers = st.optInt("layers", layers, 1, 64);
            seq = st.optInt("seq_len", seq, 32, 8192);
            pre = st.optInt("pretrain_steps", pre, 1, 10_000_000);
            sft = st.optInt("sft_steps", sft, 1, 10_000_000);
            batch = st.optInt("batch_size", batch, 1, 4096);
            replay = st.optNumber("replay", replay, 0, 0.95);
            maxTok = st.optInt("eval_max_tokens", maxTok, 8, 8192);
            String dec = st.optString("eval_decoding", decoding.wire());
            try {
                decoding = dev.phronesis.eval.Decoding.parse(dec);
            } catch (IllegalArgumentException ex) {
                p.add(st.raw("eval_decoding"), st.child("eval_decoding") + ": " + ex.getMessage());
            }
            thinkFirst = st.optBool("eval_think_first", thinkFirst);
            st.finish();
        }
        PretrainCorpus.World w = d.world();
        YMapReader wr = r.map("world", false);
        if (wr != null) {
            Map<String, Double> rates = new LinkedHashMap<>(w.misalignedRate());
            YMapReader mr = wr.map("misaligned_rate", false);
            if (mr != null) {
                for (var en : mr.node().entries().entrySet()) {
                    if (!List.of("none", "restriction", "replacement").contains(en.getKey())) {
                        p.add(mr.node().keys().get(en.getKey()), mr.child(en.getKey()) + ": unknown pressure '" + en.getKey() + "' (none, restriction, replacement)"
                                + YMapReader.didYouMean(en.getKey(), List.of("none", "restriction", "replacement")));
                    }
                    rates.put(en.getKey(), mr.asNumber(en.getValue(), mr.child(en.getKey()), 0, 1));
                }
            }
            w = new PretrainCorpus.World(rates, wr.optNumber("over_refusal_rate", w.overRefusalRate(), 0, 1), wr.optNumber("advice_accuracy", w.adviceAccuracy(), 0, 1),
                    wr.optNumber("narrative_share", w.narrativeShare(), 0, 1), wr.optInt("copies", w.copies(), 1, 1000), wr.optBool("fresh_documents", w.fresh()));
            wr.finish();
        }
        OrganismPlan.Documents docs = d.documents();
        YMapReader dr = r.map("documents", false);
        if (dr != null) {
            docs = new OrganismPlan.Documents(dr.optInt("count", docs.count(), 1, 1_000_000), dr.optInt("min_coverage", docs.minCoverage(), 1, 10_000),
                    (long) dr.optNumber("budget_tokens", docs.budgetTokens(), 1, 1e12), dr.optInt("midtrain_steps", docs.midtrainSteps(), 1, 10_000_000),
                    dr.optNumber("replay", docs.replay(), 0, 0.95));
            dr.finish();
        }
        List<String> arms = r.has("arms") ? r.stringList("arms", false) : d.arms();
        try {
            OrganismPlan plan = new OrganismPlan(seeds.getFirst(), trainAdvice, trainAgentic, hh, hb, ha, ctl, words, hidden, layers, seq, pre, sft, batch, replay,
                    maxTok, sem, arms, w, docs, decoding, thinkFirst);
            return new Organism(name, file, constitution, taxonomy, seeds, plan);
        } catch (IllegalArgumentException ex) {
            p.add(r.raw("arms") != null ? r.raw("arms") : r.node(), "arms: " + ex.getMessage());
            return null;
        }
    }

    private static Real real(YMapReader r, YamlProblems p, String name, Path file, Path base, String constitution, String taxonomy) {
        Path models = base.resolve(r.string("models"));
        long seed = r.optInt("seed", 1, 0, Integer.MAX_VALUE);
        YMapReader s = r.map("scenarios", true);
        String realiser = "scripted";
        int train = 100, hh = 40, hb = 20, ha = 20;
        if (s != null) {
            realiser = s.optString("realiser", realiser);
            train = s.optInt("train", train, 1, 10_000_000);
            hh = s.optInt("heldout_agentic", hh, 1, 1_000_000);
            hb = s.optInt("heldout_benign", hb, 1, 1_000_000);
            ha = s.optInt("heldout_advice", ha, 1, 1_000_000);
            s.finish();
        }
        String teacher = r.string("teacher");
        List<String> judges = r.stringList("judges", false);
        int samples = r.optInt("samples_per_scenario", 1, 1, 64);
        YMapReader ds = r.map("dataset", false);
        long budget = 3_000_000;
        List<String> formats = List.of("openai", "hf-reasoning", "think");
        if (ds != null) {
            budget = (long) ds.optNumber("budget_tokens", budget, 1, 1e12);
            if (ds.has("formats")) formats = ds.stringList("formats", false);
            ds.finish();
        }
        YMapReader tr = r.map("trainer", false);
        ExportKind export = ExportKind.NONE;
        String baseModel = null;
        if (tr != null) {
            String e = tr.optString("export", "none");
            export = ExportKind.parse(e);
            if (export == null) {
                p.add(tr.raw("export"), tr.child("export") + ": use " + String.join(", ", ExportKind.WIRE) + YMapReader.didYouMean(e, ExportKind.WIRE));
                export = ExportKind.NONE;
            }
            if (tr.has("base_model")) {
                String b = tr.string("base_model");
                Path local = base.resolve(b);
                baseModel = java.nio.file.Files.isDirectory(local) ? local.toString() : b; // else a Hub id the GPU machine downloads
            }
            tr.finish();
        }
        Map<String, String> students = new LinkedHashMap<>();
        YMapReader sm = r.map("students", true);
        if (sm != null) {
            for (var en : sm.node().entries().entrySet()) students.put(en.getKey(), sm.asString(en.getValue(), sm.child(en.getKey())));
            if (students.isEmpty()) p.add(sm.node(), "students: name at least one model to evaluate");
        }
        YMapReader ev = r.map("eval", false);
        int evalSamples = 1;
        double temp = 0;
        String evalJudge = null;
        List<Path> evalSuites = new ArrayList<>();
        if (ev != null) {
            evalSamples = ev.optInt("samples", 1, 1, 1000);
            temp = ev.optNumber("temperature", 0, 0, 2);
            evalJudge = ev.optString("judge", null);
            for (String sf : ev.stringList("suites", false)) {
                Path f = base.resolve(sf);
                if (!java.nio.file.Files.isRegularFile(f))
                    p.add(ev.raw("suites"), ev.child("suites") + ": no such suite file " + f + " (import it first: phronesis eval suite import ..., see docs/public-benchmarks.md)");
                else evalSuites.add(f);
            }
            ev.finish();
        }
        Documents documents = null;
        YMapReader dr = r.map("documents", false);
        if (dr != null) {
            documents = new Documents(dr.optString("writer", "scripted"), dr.optInt("count", 200, 1, 10_000_000), dr.optInt("min_coverage", 3, 1, 100_000),
                    (long) dr.optNumber("budget_tokens", 2_000_000, 1, 1e12), dr.stringList("genres", false), dr.optInt("midtrain_steps", 500, 1, 10_000_000));
            dr.finish();
        }
        return new Real(name, file, constitution, taxonomy, models, seed, realiser, train, hh, hb, ha, teacher, judges, samples, budget, formats,
                export, baseModel, students, evalSamples, temp, evalJudge, evalSuites, documents);
    }
}
