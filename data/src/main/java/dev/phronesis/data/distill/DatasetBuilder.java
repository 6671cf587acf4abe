package dev.phronesis.data.distill;

import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.AnswerFormat;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Sample;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.core.records.Turn;
import dev.phronesis.core.records.Variant;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds SFT datasets from a distilled run's accepted deliberations, as the experts' reviews left them
 * ({@link ExpertReviews}: rejected ones dropped, edited ones replaced).
 *
 * <p>Context distillation: a training prompt is the scenario's messages only; a system turn that carries
 * the constitution (two or more principle texts verbatim) is removed, and the card counts removals. The
 * reasoning has to carry the constitution. Variants from the same samples: {@code deliberative}
 * (reasoning + response) and {@code demonstration} (response only), so ablations compare like with like.
 *
 * <p>Budget: tokens counted with the given {@link TokenCounter} over prompt + reasoning + response.
 * Selection happens once, on the most token-hungry requested variant, and every variant uses the same
 * samples. It greedily maximises coverage: each step takes, from the family with the fewest selected
 * samples, the candidate whose scenario is not yet covered and whose axis values are the least covered
 * (ties: fewer tokens, then id), skipping candidates that no longer fit the budget.
 *
 * <p>Output under {@code RUN_DIR/dataset/}, laid out as a Hugging Face dataset repository:
 * {@code README.md} (a dataset card whose YAML front matter declares one config per variant and format, with
 * splits and features, so {@code datasets.load_dataset(DIR, "deliberative")} gives that variant's rows),
 * {@code samples-<variant>.jsonl} (core {@link Sample}, train split only; other splits in
 * {@code samples-<variant>-<split>.jsonl}), {@code <variant>/<format>-<split>.jsonl|parquet}, a TRL script
 * per format, and {@code card.md} / {@code card.json}. Files are written atomically, mode 0644.
 */
public final class DatasetBuilder {
    public enum Format {
        OPENAI("openai", "jsonl"), HF_REASONING("hf-reasoning", "jsonl"), THINK("think", "jsonl"), PARQUET("parquet", "parquet");

        private final String wire;
        private final String ext;

        Format(String wire, String ext) { this.wire = wire; this.ext = ext; }

        public String wire() { return wire; }
        public String extension() { return ext; }

        public static Format parse(String s) {
            for (Format f : values()) if (f.wire.equalsIgnoreCase(s.trim())) return f;
            throw new UserError("unknown dataset format '" + s + "'; formats are openai, hf-reasoning, think, parquet");
        }
    }

    public record Result(Path dir, Map<Variant, List<Sample>> samples, DatasetCard card) {}

    public static final String DIR = "dataset";

    private DatasetBuilder() {}

    public static Result build(Path runDir, Set<Variant> variants, long budgetTokens, TokenCounter tokens, Set<Format> formats) {
        if (variants.isEmpty()) throw new UserError("choose at least one variant (deliberative, demonstration)");
        if (budgetTokens <= 0) throw new UserError("--budget-tokens must be positive, got " + budgetTokens);
        var manifest = Distiller.manifest(runDir);
        Path acceptedFile = runDir.resolve(Distiller.ACCEPTED);
        if (!Files.exists(acceptedFile)) throw new UserError(runDir + ": no " + Distiller.ACCEPTED + "; the distill run has not finished its gates");
        List<Scenario> scenarios = Jsonl.read(runDir.resolve(Distiller.SCENARIOS), Scenario.class);
        Map<String, Scenario> byId = new HashMap<>();
        scenarios.forEach(s -> byId.put(s.id(), s));
        List<Deliberation> unique = new ArrayList<>();
        Map<String, Deliberation> seen = new HashMap<>();
        for (Deliberation d : Jsonl.read(acceptedFile, Deliberation.class)) { // a repeated line (a copy, a concatenation) is one sample, once
            Deliberation first = seen.putIfAbsent(d.scenarioId() + "#" + d.sampleIndex(), d);
            if (first == null) unique.add(d);
            else if (!first.equals(d))
                throw new UserError(acceptedFile + ": deliberation " + d.scenarioId() + " sample " + d.sampleIndex() + " appears twice with different content");
        }
        // experts' reviews (docs/studio.md): rejected samples are dropped, edited ones replaced by the edit
        ExpertReviews.Applied reviewed = ExpertReviews.apply(runDir, unique, manifest.path("constitution_hash").asText());
        List<Deliberation> accepted = reviewed.deliberations();
        List<String> principleTexts = constitutionTexts(runDir);

        Map<String, String> prov = new LinkedHashMap<>();
        var constitution = DatasetCard.constitution(manifest);
        prov.put("teacher", manifest.path("teacher").asText());
        prov.put("judges", manifest.path("judges").toString());
        int[] stripped = {0};
        Map<Variant, List<Sample>> candidates = new EnumMap<>(Variant.class);
        for (Variant v : EnumSet.copyOf(variants)) candidates.put(v, new ArrayList<>());
        for (Deliberation d : accepted) {
            Scenario s = byId.get(d.scenarioId());
            if (s == null) throw new UserError(acceptedFile + ": scenario " + d.scenarioId() + " is not in " + Distiller.SCENARIOS);
            List<Turn> prompt = new ArrayList<>();
            for (Turn t : s.messages()) {
                if (t.role() == Role.SYSTEM && carriesConstitution(t.content(), principleTexts)) { stripped[0]++; continue; }
                prompt.add(t);
            }
            int promptTokens = 0;
            for (Turn t : prompt) promptTokens += tokens.count(t.content());
            for (Variant v : candidates.keySet()) {
                String reasoning = v == Variant.DELIBERATIVE ? d.reasoning() : "";
                int n = promptTokens + tokens.count(reasoning) + tokens.count(d.response());
                Map<String, String> p = new LinkedHashMap<>(prov);
                p.put("sample_index", Integer.toString(d.sampleIndex()));
                p.put("decision", d.decision());
                candidates.get(v).add(new Sample(d.scenarioId() + "#" + d.sampleIndex() + "/" + v.wire(), s.id(), s.family(), s.split(), s.form(), v,
                        prompt, reasoning, d.response(), n, p, constitution));
            }
        }
        Variant driver = candidates.containsKey(Variant.DELIBERATIVE) ? Variant.DELIBERATIVE : Variant.DEMONSTRATION;
        Set<String> chosen = select(candidates.get(driver), byId, budgetTokens);
        Map<Variant, List<Sample>> selected = new EnumMap<>(Variant.class);
        for (var e : candidates.entrySet()) {
            selected.put(e.getKey(), e.getValue().stream().filter(x -> chosen.contains(x.scenarioId() + "#" + x.provenance().get("sample_index"))).toList());
        }

        Path dir = runDir.resolve(DIR);
        try {
            Files.createDirectories(dir);
            for (var e : selected.entrySet()) {
                Variant v = e.getKey();
                for (Split split : Split.values()) {
                    List<Sample> part = e.getValue().stream().filter(x -> x.split() == split).toList();
                    Path f = dir.resolve(samplesFile(v, split));
                    if (part.isEmpty()) Files.deleteIfExists(f);
                    else Jsonl.writeAll(f, part);
                }
                Path vdir = dir.resolve(v.wire());
                Files.createDirectories(vdir);
                for (Format f : formats) {
                    for (Split split : Split.values()) {
                        List<Sample> part = e.getValue().stream().filter(x -> x.split() == split).toList();
                        Path out = vdir.resolve(f.wire() + "-" + split.wire() + "." + f.extension());
                        if (part.isEmpty()) { Files.deleteIfExists(out); continue; }
                        if (f == Format.PARQUET) writeParquet(out, part, byId);
                        else writeJsonl(out, part, f, byId);
                    }
                    TrainerConfigs.write(vdir, f, v, e.getValue().stream().anyMatch(x -> x.split() == Split.DEV));
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(dir + ": cannot write dataset: " + ex.getMessage(), ex);
        }
        DatasetCard card = DatasetCard.compute(runDir, manifest, selected, candidates.get(driver).size(), budgetTokens, tokens, formats, stripped[0], byId, reviewed.counts());
        card.write(dir);
        HubCard.write(dir, selected, formats);
        readable(dir);
        return new Result(dir, selected, card);
    }

    /**
     * {@code samples-<variant>.jsonl} holds the train split only (what a trainer given that file should see);
     * the other splits go to {@code samples-<variant>-<split>.jsonl}.
     */
    public static String samplesFile(Variant v, Split split) {
        return "samples-" + v.wire() + (split == Split.TRAIN ? "" : "-" + split.wire()) + ".jsonl";
    }

    /** Every split's samples of a variant, in split order. */
    public static List<Sample> readSamples(Path datasetDir, Variant v) {
        List<Sample> out = new ArrayList<>();
        for (Split split : Split.values()) {
            Path f = datasetDir.resolve(samplesFile(v, split));
            if (Files.exists(f)) out.addAll(Jsonl.read(f, Sample.class));
        }
        return out;
    }

    /** Data files are for sharing: rw-r--r-- (temp files are created 0600 and renamed into place). */
    private static void readable(Path dir) {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) return;
        var mode = java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
        try (var files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) if (Files.isRegularFile(f)) Files.setPosixFilePermissions(f, mode);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot set file modes: " + e.getMessage(), e);
        }
    }

    /**
     * Coverage-maximising greedy selection under the budget; returns keys {@code scenarioId#sampleIndex}.
     * The remaining budget only shrinks, so a candidate that does not fit is dropped for good; each step
     * scans one family, which keeps the whole selection near O(samples x family size).
     */
    static Set<String> select(List<Sample> pool, Map<String, Scenario> byId, long budget) {
        Map<String, List<Sample>> byFamily = new TreeMap<>();
        for (Sample s : pool) byFamily.computeIfAbsent(s.family(), k -> new ArrayList<>()).add(s);
        Map<String, Integer> familyCount = new HashMap<>();
        Map<String, Integer> axisCount = new HashMap<>();
        Set<String> scenariosTaken = new HashSet<>();
        Set<String> chosen = new HashSet<>();
        long used = 0;
        while (!byFamily.isEmpty()) {
            String fam = byFamily.keySet().stream().min(Comparator.comparing((String f) -> familyCount.getOrDefault(f, 0)).thenComparing(f -> f)).orElseThrow();
            List<Sample> list = byFamily.get(fam);
            long remaining = budget - used;
            list.removeIf(x -> x.tokens() > remaining);
            if (list.isEmpty()) { byFamily.remove(fam); continue; }
            Sample best = null;
            long[] bestKey = null;
            for (Sample s : list) {
                long axisCover = 0;
                for (var ax : byId.get(s.scenarioId()).spec().axes().entrySet()) axisCover += axisCount.getOrDefault(ax.getKey() + "=" + ax.getValue(), 0);
                long[] key = {scenariosTaken.contains(s.scenarioId()) ? 1 : 0, axisCover, s.tokens()};
                int cmp = best == null ? -1 : compare(key, bestKey);
                if (cmp < 0 || (cmp == 0 && s.id().compareTo(best.id()) < 0)) {
                    best = s;
                    bestKey = key;
                }
            }
            Sample b = best;
            list.remove(b);
            used += b.tokens();
            chosen.add(b.scenarioId() + "#" + b.provenance().get("sample_index"));
            familyCount.merge(fam, 1, Integer::sum);
            scenariosTaken.add(b.scenarioId());
            for (var ax : byId.get(b.scenarioId()).spec().axes().entrySet()) axisCount.merge(ax.getKey() + "=" + ax.getValue(), 1, Integer::sum);
        }
        return chosen;
    }

    private static int compare(long[] a, long[] b) {
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) return Long.compare(a[i], b[i]);
        return 0;
    }

    private static List<String> constitutionTexts(Path runDir) {
        // the manifest names the constitution by ref; principle texts are matched via the builtin/any loaded
        // constitution with that hash is not needed: a system prompt quoting principles is recognised by text.
        List<String> out = new ArrayList<>();
        for (String name : dev.phronesis.core.constitution.ConstitutionLoader.BUILTINS) {
            try {
                dev.phronesis.core.constitution.ConstitutionLoader.builtin(name).principles().forEach(p -> out.add(p.text()));
            } catch (RuntimeException ignored) { /* a builtin that is not shipped yet */ }
        }
        return out;
    }

    static boolean carriesConstitution(String text, List<String> principleTexts) {
        int hits = 0;
        for (String p : principleTexts) if (text.contains(p) && ++hits >= 2) return true;
        return false;
    }

    // ---- exports ---------------------------------------------------------------------------------

    /** The assistant turn's content with the reasoning inline in think tags (deliberative) or the response alone. */
    static String thinkContent(Sample s) {
        return s.reasoning().isEmpty() ? s.response()
                : AnswerFormat.THINK_OPEN + "\n" + s.reasoning() + "\n" + AnswerFormat.THINK_CLOSE + "\n\n" + s.response();
    }

    static ObjectNode record(Sample s, Format f, Map<String, Scenario> byId) {
        ObjectNode root = Jsonl.MAPPER.createObjectNode();
        ArrayNode msgs = root.putArray("messages");
        for (Turn t : s.messages()) msgs.addObject().put("role", t.role().wire()).put("content", t.content());
        ObjectNode a = msgs.addObject().put("role", "assistant");
        switch (f) {
            case OPENAI, THINK, PARQUET -> a.put("content", thinkContent(s));
            case HF_REASONING -> {
                a.put("content", s.response());
                if (!s.reasoning().isEmpty()) a.put("reasoning_content", s.reasoning());
            }
        }
        List<ToolDef> tools = byId.get(s.scenarioId()).tools();
        if (!tools.isEmpty()) {
            ArrayNode ts = root.putArray("tools");
            for (ToolDef t : tools) {
                ObjectNode fn = ts.addObject().put("type", "function").putObject("function");
                fn.put("name", t.name()).put("description", t.description());
                try {
                    fn.set("parameters", Jsonl.MAPPER.readTree(t.parametersSchemaJson()));
                } catch (IOException e) {
                    throw new UserError("scenario " + s.scenarioId() + ": tool " + t.name() + ": parameters are not JSON: " + e.getMessage());
                }
            }
        }
        if (f != Format.OPENAI) root.put("id", s.id());
        return root;
    }

    private static void writeJsonl(Path out, List<Sample> samples, Format f, Map<String, Scenario> byId) throws IOException {
        Path tmp = Files.createTempFile(out.getParent(), out.getFileName().toString(), ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (Sample s : samples) {
                w.write(Jsonl.toJson(record(s, f, byId)));
                w.write('\n');
            }
        }
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The Parquet columns: {@code messages} is a native list of structs {role, content, reasoning_content}
     * (the hf-reasoning messages, reasoning on the assistant turn), {@code tools} the OpenAI tool list as a
     * JSON string (tool parameter schemas differ per tool, so they have no one struct type).
     */
    static final String PARQUET_COLUMNS = "{id: 'VARCHAR', scenario_id: 'VARCHAR', family: 'VARCHAR', split: 'VARCHAR', form: 'VARCHAR', variant: 'VARCHAR', "
            + "messages: 'STRUCT(role VARCHAR, content VARCHAR, reasoning_content VARCHAR)[]', tools: 'VARCHAR', reasoning: 'VARCHAR', response: 'VARCHAR', tokens: 'INTEGER'}";

    /** Writes the rows as JSONL and has DuckDB convert them to Parquet (zstd) with the declared column types. */
    private static void writeParquet(Path out, List<Sample> samples, Map<String, Scenario> byId) throws IOException {
        Path json = Files.createTempFile(out.getParent(), out.getFileName().toString(), ".jsonl.tmp");
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            try (BufferedWriter w = Files.newBufferedWriter(json, StandardCharsets.UTF_8)) {
                for (Sample s : samples) {
                    ObjectNode rec = record(s, Format.HF_REASONING, byId);
                    ObjectNode row = Jsonl.MAPPER.createObjectNode();
                    row.put("id", s.id()).put("scenario_id", s.scenarioId()).put("family", s.family()).put("split", s.split().wire())
                            .put("form", s.form().wire()).put("variant", s.variant().wire());
                    row.set("messages", rec.get("messages"));
                    row.put("tools", rec.has("tools") ? Jsonl.toJson(rec.get("tools")) : "[]");
                    row.put("reasoning", s.reasoning()).put("response", s.response()).put("tokens", s.tokens());
                    w.write(Jsonl.toJson(row));
                    w.write('\n');
                }
            }
            Files.deleteIfExists(tmp);
            try (var c = java.sql.DriverManager.getConnection("jdbc:duckdb:"); var st = c.createStatement()) {
                st.execute("COPY (SELECT * FROM read_json(" + sqlString(json) + ", format='newline_delimited', columns=" + PARQUET_COLUMNS
                        + ")) TO " + sqlString(tmp) + " (FORMAT parquet, COMPRESSION zstd)");
            } catch (java.sql.SQLException e) {
                throw new IOException(out + ": cannot write Parquet: " + LlmJudge.oneLine(e.getMessage()), e);
            }
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(json);
            Files.deleteIfExists(tmp);
        }
    }

    private static String sqlString(Path p) {
        return "'" + p.toAbsolutePath().toString().replace("'", "''") + "'";
    }

    static String pct(double x) { return String.format(Locale.ROOT, "%.1f%%", 100 * x); }

    static Comparator<Sample> byId() { return Comparator.comparing(Sample::id); }
}
