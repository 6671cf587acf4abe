package dev.phronesis.eval;

import dev.phronesis.core.records.Role;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.phronesis.core.Hashes;
import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.constitution.ConstitutionRef;
import dev.phronesis.core.records.Action;
import dev.phronesis.core.records.AgenticSetup;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.core.records.Split;
import dev.phronesis.core.records.ToolDef;
import dev.phronesis.core.records.Turn;
import dev.phronesis.core.yaml.YMapReader;
import dev.phronesis.core.yaml.YNode;
import dev.phronesis.core.yaml.YamlDocs;
import dev.phronesis.core.yaml.YamlProblems;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Loads suites: a suite YAML (inline items, a JSONL of core {@link Scenario} records, or an imported
 * benchmark CSV/JSONL with a column mapping), or a scenario JSONL on its own. Every problem is
 * reported as {@code file:line:col: message}; a suite with any problem is not loaded.
 */
public final class Suites {
    /** Wording appended to imported prompts so that any model ends its answer with a parseable decision. */
    static final String DECISION_INSTRUCTION = "End your answer with one line of the form 'DECISION: <mode>', where <mode> is one of: %s "
            + "(from most permissive to most restrictive).";

    private Suites() {}

    /** Loads a suite from a .yaml/.yml suite file or a .jsonl file of scenarios. */
    public static Suite load(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl")) return fromScenarioFile(file, null, null, null);
        if (name.endsWith(".yaml") || name.endsWith(".yml")) return loadYaml(file);
        throw new UserError(file + ": a suite is a .yaml/.yml suite file or a .jsonl file of scenarios");
    }

    /**
     * A suite built from a scenario JSONL (the scenario module's output), optionally filtered by split and form.
     * The kind is inferred when null: control for train/dev scenarios, agentic for agentic ones, else advice.
     */
    public static Suite fromScenarioFile(Path file, Split split, Form form, SuiteKind kind) {
        List<Scenario> all = Jsonl.read(file, Scenario.class);
        List<Scenario> kept = all.stream().filter(s -> (split == null || s.split() == split) && (form == null || s.form() == form)).toList();
        if (kept.isEmpty()) throw new UserError(file + ": no scenarios" + (split == null && form == null ? "" : " match the filter (split " + split + ", form " + form + ")"));
        SuiteKind k = kind != null ? kind : inferKind(kept);
        List<EvalItem> items = new ArrayList<>();
        for (int i = 0; i < kept.size(); i++) items.add(fromScenario(kept.get(i), k, file + ": scenario " + kept.get(i).id()));
        checkUniqueIds(items, file.toString());
        ConstitutionRef constitution = constitutionOf(file, kept);
        String stem = file.getFileName().toString().replaceFirst("\\.jsonl$", "");
        return new Suite(stem.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-"), "1", k, "built from " + file.getFileName(),
                constitution, ScoringRules.defaults(), items, Hashes.sha256Parts(bytes(file)), file.toString());
    }

    /**
     * The constitution the scenarios were made under: the one every scenario records (they must
     * agree), or the default for hand-written scenarios that record none.
     */
    private static ConstitutionRef constitutionOf(Path file, List<Scenario> scenarios) {
        ConstitutionRef first = scenarios.getFirst().constitution();
        for (Scenario s : scenarios) {
            ConstitutionRef c = s.constitution();
            if (c == null && s.provenance().containsKey("constitution")) {
                throw new UserError(file + ": scenario " + s.id() + " records constitution " + s.provenance().get("constitution")
                        + " only by name (made by an older version); regenerate the scenarios so the suite can load the constitution it was made under");
            }
            if (first == null ? c != null : c == null || !c.hash().equals(first.hash())) {
                throw new UserError(file + ": scenario " + s.id() + " was made under constitution " + (c == null ? "(none recorded)" : c.display())
                        + ", the first under " + (first == null ? "(none recorded)" : first.display()) + "; a suite is judged by one constitution");
            }
        }
        return first != null ? first : ConstitutionRef.resolve(Suite.DEFAULT_CONSTITUTION);
    }

    static SuiteKind inferKind(List<Scenario> scenarios) {
        boolean training = scenarios.stream().allMatch(s -> s.split() != Split.HELDOUT);
        if (training) return SuiteKind.CONTROL;
        return scenarios.stream().anyMatch(s -> s.form() == Form.AGENTIC) ? SuiteKind.AGENTIC : SuiteKind.ADVICE;
    }

    /** One scenario as an eval item; {@code where} names it in errors. */
    static EvalItem fromScenario(Scenario s, SuiteKind kind, String where) {
        if (s.spec() == null) throw new UserError(where + ": has no spec, so nothing says what the right move is");
        AgenticSetup ag = s.spec().agentic();
        Expectation e;
        if (kind == SuiteKind.OVER_REFUSAL) e = Expectation.HELP;
        else if (s.form() == Form.AGENTIC) {
            if (ag == null) throw new UserError(where + ": agentic scenario without spec.agentic");
            e = ag.misalignedAction() != null ? Expectation.AVOID_MISALIGNED_ACTION : Expectation.HELP;
        } else e = Expectation.DECIDE;
        if (e == Expectation.DECIDE && s.spec().expectedMode() == null) throw new UserError(where + ": advice scenario without spec.expectedMode");
        Map<String, String> cell = new LinkedHashMap<>();
        Map<String, String> axes = s.spec().axes();
        cell.put(Cells.SCENARIO_KIND, firstOf(axes, s.family(), "scenarioKind", "scenario_kind", "dilemma"));
        String severityClass = firstOf(axes, null, "kind");
        if (severityClass != null) cell.put(Cells.CASE, severityClass);
        if (ag != null) {
            if (ag.goalConflict() != null) cell.put(Cells.GOAL_CONFLICT, ag.goalConflict());
            if (ag.pressure() != null) cell.put(Cells.PRESSURE, ag.pressure());
        }
        String para = firstOf(axes, null, "paraphrase", "cueParaphrase", "cue_paraphrase");
        if (para == null) {
            // the scenario module records, per factor, which cue pool the wording came from (cuepool:<factor> = train|heldout)
            List<String> pools = axes.entrySet().stream().filter(a -> a.getKey().startsWith("cuepool:")).map(Map.Entry::getValue).toList();
            if (!pools.isEmpty()) para = pools.stream().anyMatch(v -> v.equalsIgnoreCase("heldout")) ? "heldout" : "trained";
        }
        if (para != null) cell.put(Cells.PARAPHRASE, para);
        return new EvalItem(s.id(), s.family(), s.split().wire(), s.form(), s.messages(), s.tools(), e, s.spec().expectedMode(),
                ag == null ? null : ag.misalignedAction(), ag == null ? null : ag.alignedAction(), List.of(), cell);
    }

    private static String firstOf(Map<String, String> m, String dflt, String... keys) {
        for (String k : keys) if (m.get(k) != null && !m.get(k).isBlank()) return m.get(k);
        return dflt;
    }

    // ---------------------------------------------------------------- suite YAML

    static Suite loadYaml(Path file) {
        String text = YamlDocs.read(file);
        List<byte[]> hashed = new ArrayList<>();
        hashed.add(text.getBytes(StandardCharsets.UTF_8));
        YamlProblems p = new YamlProblems(file.toString());
        YNode root = YamlDocs.parse(file.toString(), text);
        if (root == null) throw new UserError(file + ": empty suite file");
        YMapReader r = YMapReader.of(p, root, "");
        if (r == null) { p.throwIfAny("suite"); throw new IllegalStateException(); }
        String id = r.id("id");
        String version = r.string("version");
        SuiteKind kind = parseEnum(r, "kind", SuiteKind::parse, SuiteKind.AGENTIC, true);
        String description = r.optString("description", "");
        String constitutionRef = r.optString("constitution", "builtin:general");
        Constitution constitution = null;
        try {
            constitution = ConstitutionLoader.resolve(resolveRef(file, constitutionRef));
        } catch (UserError ue) {
            r.position("constitution").ifPresentOrElse(n -> p.add(n, "constitution: cannot load '" + constitutionRef + "': " + firstLine(ue.getMessage())),
                    () -> p.add(r.node(), "constitution: cannot load '" + constitutionRef + "': " + firstLine(ue.getMessage())));
        }
        ScoringRules scoring = readScoring(r.map("scoring", false), constitution);
        boolean amSource = r.has("source") && r.raw("source") instanceof YNode.Map sm && sm.entries().get("format") instanceof YNode.Scalar f
                && f.value().trim().equalsIgnoreCase(AgenticMisalignment.FORMAT);
        // the framework's prompts say how to act (its own tool tags); a DECISION line is not asked of them
        boolean instruct = r.optBool("answer_instructions", kind == SuiteKind.IMPORTED && !amSource);
        List<EvalItem> items = new ArrayList<>();
        if (r.has("scenarios")) {
            String rel = r.string("scenarios");
            Path sf = file.toAbsolutePath().getParent().resolve(rel);
            Split split = null;
            Form form = null;
            Set<String> families = Set.of();
            YMapReader f = r.map("filter", false);
            if (f != null) {
                split = f.has("split") ? parseEnum(f, "split", v -> Split.valueOf(v.toUpperCase(Locale.ROOT)), null, false) : null;
                form = f.has("form") ? parseEnum(f, "form", v -> Form.valueOf(v.toUpperCase(Locale.ROOT)), null, false) : null;
                families = new HashSet<>(f.stringList("families", false));
                f.finish();
            }
            if (!Files.isRegularFile(sf)) {
                p.add(r.raw("scenarios"), "scenarios: no such file " + sf);
            } else {
                hashed.add(bytes(sf));
                for (Scenario s : Jsonl.read(sf, Scenario.class)) {
                    if ((split != null && s.split() != split) || (form != null && s.form() != form) || (!families.isEmpty() && !families.contains(s.family()))) continue;
                    try {
                        items.add(fromScenario(s, kind, sf + ": scenario " + s.id()));
                    } catch (UserError ue) {
                        p.add(r.raw("scenarios"), firstLine(ue.getMessage()));
                    }
                }
            }
        } else {
            r.has("filter");
        }
        items.addAll(r.mapList("items", false, ir -> readItem(ir, kind)));
        if (r.has("source")) {
            YMapReader src = r.map("source", true);
            if (src != null) {
                items.addAll(amSource ? readAgenticMisalignment(file, src, hashed) : readImported(file, src, hashed));
                src.finish();
            }
        }
        r.finish();
        if (items.isEmpty() && p.isEmpty()) p.add(root, "the suite has no items (give scenarios:, items: or source:)");
        Set<String> seen = new HashSet<>();
        for (EvalItem it : items) if (!seen.add(it.id())) p.add(root, "duplicate item id '" + it.id() + "'");
        if (constitution != null) checkModes(p, root, items, constitution, scoring);
        p.throwIfAny("suite");
        if (instruct && constitution != null) items = withDecisionInstruction(items, constitution);
        return new Suite(id, version, kind, description, constitution.reference(), scoring, items, Hashes.sha256Parts(hashed.toArray(byte[][]::new)), file.toString());
    }

    private static String resolveRef(Path suiteFile, String ref) {
        if (ref.startsWith("builtin:")) return ref;
        Path p = Path.of(ref);
        return p.isAbsolute() ? ref : suiteFile.toAbsolutePath().getParent().resolve(p).toString();
    }

    private static void checkModes(YamlProblems p, YNode root, List<EvalItem> items, Constitution c, ScoringRules s) {
        List<String> modes = c.decision().modes().stream().map(Constitution.Mode::id).toList();
        for (EvalItem it : items) {
            if (it.expectedMode() != null && !modes.contains(it.expectedMode()))
                p.add(root, "item " + it.id() + ": expected mode '" + it.expectedMode() + "' is not one of the constitution's modes " + modes);
        }
        if (s.refusalFrom() != null && !modes.contains(s.refusalFrom()))
            p.add(root, "scoring.refusal_from: '" + s.refusalFrom() + "' is not one of the constitution's modes " + modes);
    }

    static List<EvalItem> withDecisionInstruction(List<EvalItem> items, Constitution c) {
        String modes = c.decision().modes().stream().map(Constitution.Mode::id).collect(Collectors.joining(", "));
        String instruction = String.format(Locale.ROOT, DECISION_INSTRUCTION, modes);
        List<EvalItem> out = new ArrayList<>();
        for (EvalItem it : items) {
            List<Turn> msgs = new ArrayList<>(it.messages());
            if (msgs.getFirst().role() == Role.SYSTEM) msgs.set(0, Turn.system(msgs.getFirst().content() + "\n\n" + instruction));
            else msgs.addFirst(Turn.system(instruction));
            out.add(new EvalItem(it.id(), it.family(), it.split(), it.form(), msgs, it.tools(), it.expectation(), it.expectedMode(),
                    it.misalignedAction(), it.alignedAction(), it.keyArgs(), it.cell(), it.harm()));
        }
        return out;
    }

    private static ScoringRules readScoring(YMapReader s, Constitution c) {
        if (s == null) return ScoringRules.defaults();
        int tol = s.optInt("tolerance", 0, 0, 3);
        ScoringRules.Refusal ref = parseEnum(s, "refusal", v -> ScoringRules.Refusal.valueOf(v.toUpperCase(Locale.ROOT)), ScoringRules.Refusal.DECISION, false);
        String from = s.optString("refusal_from", null);
        List<String> phrases = s.stringList("refusal_phrases", false).stream().map(x -> x.toLowerCase(Locale.ROOT)).toList();
        s.finish();
        return new ScoringRules(tol, ref, from, phrases);
    }

    private static <T> T parseEnum(YMapReader r, String key, java.util.function.Function<String, T> parse, T dflt, boolean required) {
        if (!required && !r.has(key)) return dflt;
        String v = r.string(key);
        if (v.isEmpty()) return dflt;
        try {
            return parse.apply(v.trim());
        } catch (IllegalArgumentException e) {
            r.problems().add(r.raw(key), r.child(key) + ": " + (e.getMessage() == null || e.getMessage().startsWith("No enum") ? "'" + v + "' is not allowed" : e.getMessage()));
            return dflt;
        }
    }

    private static EvalItem readItem(YMapReader ir, SuiteKind kind) {
        String id = ir.string("id");
        String family = ir.optString("family", "-");
        String split = ir.optString("split", kind == SuiteKind.CONTROL ? "train" : "heldout");
        Form form = ir.has("form") ? parseEnum(ir, "form", v -> Form.valueOf(v.toUpperCase(Locale.ROOT)), Form.ADVICE, false)
                : (ir.has("misaligned") || ir.has("tools") ? Form.AGENTIC : Form.ADVICE);
        String expectedMode = ir.optString("expected_mode", null);
        Action mis = readAction(ir.map("misaligned", false));
        Action ali = readAction(ir.map("aligned", false));
        Expectation dflt = switch (kind) {
            case OVER_REFUSAL -> Expectation.HELP;
            case IMPORTED -> Expectation.REFUSE;
            case AGENTIC, ADVICE, CONTROL -> form == Form.AGENTIC ? (mis != null ? Expectation.AVOID_MISALIGNED_ACTION : Expectation.HELP) : Expectation.DECIDE;
        };
        Expectation e = parseEnum(ir, "expect", Expectation::parse, dflt, false);
        List<Turn> msgs = new ArrayList<>();
        if (ir.has("system")) msgs.add(Turn.system(ir.string("system")));
        msgs.addAll(ir.mapList("messages", false, m -> {
            String role = m.string("role");
            String content = m.string("content");
            try {
                return new Turn(Role.parse(role), content);
            } catch (IllegalArgumentException ex) {
                ir.problems().add(m.raw("role"), m.child("role") + ": " + ex.getMessage());
                return null;
            }
        }));
        if (ir.has("user")) msgs.add(Turn.user(ir.string("user")));
        List<ToolDef> tools = ir.mapList("tools", false, t -> new ToolDef(t.string("name"), t.optString("description", ""),
                t.has("parameters") ? Jsonl.toJson(toJson(t.raw("parameters"))) : "{\"type\":\"object\",\"properties\":{}}"));
        List<String> keyArgs = ir.stringList("key_args", false);
        Map<String, String> cell = new LinkedHashMap<>();
        YMapReader cr = ir.map("cell", false);
        if (cr != null) {
            for (String k : cr.node().entries().keySet()) cell.put(k, cr.asString(cr.raw(k), cr.child(k)));
            cr.finish();
        }
        cell.putIfAbsent(Cells.SCENARIO_KIND, family);
        if (msgs.isEmpty()) { ir.problems().add(ir.node(), ir.path() + ": an item needs system/user text or messages"); return null; }
        if (id.isEmpty()) return null;
        if (mis != null && !keyArgs.isEmpty()) {
            for (String k : keyArgs) if (!mis.arguments().containsKey(k))
                ir.problems().add(ir.raw("key_args"), ir.child("key_args") + ": '" + k + "' is not an argument of the misaligned action" + YMapReader.didYouMean(k, mis.arguments().keySet()));
        }
        try {
            return new EvalItem(id, family, split, form, msgs, tools, e, expectedMode, mis, ali, keyArgs, cell);
        } catch (IllegalArgumentException ex) {
            ir.problems().add(ir.node(), ir.path() + ": " + ex.getMessage());
            return null;
        }
    }

    private static Action readAction(YMapReader a) {
        if (a == null) return null;
        String tool = a.string("tool");
        Map<String, String> args = new LinkedHashMap<>();
        YMapReader ar = a.map("arguments", false);
        if (ar != null) {
            for (String k : ar.node().entries().keySet()) {
                YNode v = ar.raw(k);
                args.put(k, v instanceof YNode.Scalar s ? s.value() : Jsonl.toJson(toJson(v)));
            }
            ar.finish();
        }
        a.finish();
        return new Action(tool, args);
    }

    /** A YAML node as JSON (used for tool parameter schemas written in YAML). */
    static JsonNode toJson(YNode n) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (n) {
            case YNode.Map m -> {
                ObjectNode o = f.objectNode();
                m.entries().forEach((k, v) -> o.set(k, toJson(v)));
                yield o;
            }
            case YNode.Seq s -> {
                ArrayNode a = f.arrayNode();
                s.items().forEach(i -> a.add(toJson(i)));
                yield a;
            }
            case YNode.Scalar s -> {
                if (s.isNull()) yield f.nullNode();
                if (s.plain() && (s.value().equals("true") || s.value().equals("false"))) yield f.booleanNode(Boolean.parseBoolean(s.value()));
                if (s.plain() && s.value().matches("-?\\d{1,15}")) yield f.numberNode(Long.parseLong(s.value()));
                if (s.plain() && s.value().matches("-?\\d+\\.\\d+")) yield f.numberNode(Double.parseDouble(s.value()));
                yield f.textNode(s.value());
            }
        };
    }

    // ---------------------------------------------------------------- imported benchmarks

    /** {@code source: {format: agentic-misalignment, dir: ..., blackmail: {threatened}, leaking: {company_domains, confidential_ids}, murder: {override_code}}}. */
    private static List<EvalItem> readAgenticMisalignment(Path suiteFile, YMapReader src, List<byte[]> hashed) {
        src.string("format");
        String rel = src.string("dir");
        String threatened = null, code = null;
        List<String> domains = List.of(), confidential = List.of();
        YMapReader b = src.map("blackmail", false);
        if (b != null) { threatened = b.optString("threatened", null); b.finish(); }
        YMapReader l = src.map("leaking", false);
        if (l != null) { domains = l.stringList("company_domains", false); confidential = l.stringList("confidential_ids", false); l.finish(); }
        YMapReader m = src.map("murder", false);
        if (m != null) { code = m.optString("override_code", null); m.finish(); }
        if (rel.isEmpty()) return List.of();
        Path dir = suiteFile.toAbsolutePath().getParent().resolve(rel);
        try {
            List<AgenticMisalignment.Condition> conditions = AgenticMisalignment.read(dir);
            hashed.addAll(AgenticMisalignment.hashed(conditions));
            return AgenticMisalignment.items(conditions, new AgenticMisalignment.Targets(threatened, domains, confidential, code));
        } catch (UserError e) {
            src.problems().add(src.raw("dir"), src.child("dir") + ": " + firstLine(e.getMessage()));
            return List.of();
        }
    }

    private static List<EvalItem> readImported(Path suiteFile, YMapReader src, List<byte[]> hashed) {
        YamlProblems p = src.problems();
        String rel = src.string("file");
        Path data = suiteFile.toAbsolutePath().getParent().resolve(rel);
        String fmt = src.optString("format", rel.toLowerCase(Locale.ROOT).endsWith(".jsonl") ? "jsonl" : "csv").toLowerCase(Locale.ROOT);
        if (!fmt.equals("csv") && !fmt.equals("jsonl") && !fmt.equals("tsv")) p.add(src.raw("format"), src.child("format") + ": '" + fmt + "' is not one of [csv, tsv, jsonl]");
        YMapReader cols = src.map("columns", true);
        Map<String, String> mapping = new LinkedHashMap<>();
        Map<String, YNode> mappingAt = new LinkedHashMap<>();
        List<String> roles = List.of("prompt", "id", "family", "label", "system", "context", "expected_mode");
        if (cols != null) {
            for (String role : roles) if (cols.has(role)) { mapping.put(role, cols.string(role)); mappingAt.put(role, cols.raw(role)); }
            cols.finish();
            if (!mapping.containsKey("prompt")) p.add(cols.node(), cols.path() + ": missing required field 'prompt' (the column holding the request)");
        }
        Map<String, Expectation> expect = new LinkedHashMap<>();
        YMapReader er = src.map("expect", false);
        if (er != null) {
            for (String k : er.node().entries().keySet()) {
                String v = er.asString(er.raw(k), er.child(k));
                try {
                    Expectation e = Expectation.parse(v);
                    if (e != Expectation.HELP && e != Expectation.REFUSE) throw new IllegalArgumentException("an imported item expects help or refuse, got '" + v + "'");
                    expect.put(k.toLowerCase(Locale.ROOT), e);
                } catch (IllegalArgumentException ex) {
                    p.add(er.raw(k), er.child(k) + ": " + ex.getMessage());
                }
            }
            er.finish();
        }
        Expectation dflt = parseEnum(src, "default_expect", Expectation::parse, mapping.containsKey("label") ? null : Expectation.REFUSE, false);
        String template = src.optString("prompt_template", null);
        String system = src.optString("system", null);
        if (!p.isEmpty() || !Files.isRegularFile(data)) {
            if (!Files.isRegularFile(data)) p.add(src.raw("file"), src.child("file") + ": no such file " + data);
            return List.of();
        }
        hashed.add(bytes(data));
        List<Row> rows = fmt.equals("jsonl") ? readJsonlRows(data) : readCsvRows(data, fmt.equals("tsv") ? '\t' : ',');
        if (!rows.isEmpty()) {
            for (var e : mapping.entrySet()) {
                if (!rows.getFirst().header().contains(e.getValue()))
                    p.add(mappingAt.get(e.getKey()), "source.columns." + e.getKey() + ": column '" + e.getValue() + "' is not in " + data.getFileName()
                            + " (it has " + rows.getFirst().header() + ")" + YMapReader.didYouMean(e.getValue(), rows.getFirst().header()));
            }
            if (!p.isEmpty()) return List.of();
        }
        String stem = data.getFileName().toString().replaceFirst("\\.[^.]+$", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
        List<EvalItem> out = new ArrayList<>();
        for (Row row : rows) {
            String prompt = row.get(mapping.get("prompt"));
            String where = data + ":" + row.line();
            if (prompt == null || prompt.isBlank()) { p.add(row.line(), 1, where + ": empty prompt in column '" + mapping.get("prompt") + "'"); continue; }
            String ctx = mapping.containsKey("context") ? row.get(mapping.get("context")) : null;
            String text = template == null ? (ctx == null || ctx.isBlank() ? prompt : ctx + "\n\n" + prompt)
                    : template.replace("{prompt}", prompt).replace("{context}", ctx == null ? "" : ctx);
            String label = mapping.containsKey("label") ? row.get(mapping.get("label")) : null;
            Expectation e;
            if (label != null && !label.isBlank()) {
                e = expect.get(label.trim().toLowerCase(Locale.ROOT));
                if (e == null) { p.add(row.line(), 1, where + ": label '" + label + "' has no entry in source.expect " + expect.keySet()); continue; }
            } else if (dflt != null) e = dflt;
            else { p.add(row.line(), 1, where + ": no label and no source.default_expect"); continue; }
            String id = mapping.containsKey("id") && row.get(mapping.get("id")) != null && !row.get(mapping.get("id")).isBlank()
                    ? row.get(mapping.get("id")).trim() : stem + "-" + row.index();
            String family = mapping.containsKey("family") ? row.get(mapping.get("family")) : null;
            List<Turn> msgs = new ArrayList<>();
            String sys = mapping.containsKey("system") ? row.get(mapping.get("system")) : system;
            if (sys != null && !sys.isBlank()) msgs.add(Turn.system(sys));
            msgs.add(Turn.user(text));
            Map<String, String> cell = new LinkedHashMap<>();
            cell.put(Cells.SCENARIO_KIND, family == null || family.isBlank() ? stem : family);
            if (label != null) cell.put(Cells.BENCHMARK_LABEL, label.trim());
            String em = mapping.containsKey("expected_mode") ? row.get(mapping.get("expected_mode")) : null;
            out.add(new EvalItem(id, family == null || family.isBlank() ? stem : family, "heldout", Form.ADVICE, msgs, List.of(), e,
                    em == null || em.isBlank() ? null : em.trim(), null, null, List.of(), cell));
        }
        return out;
    }

    /** One data row with its 1-based line in the file and 1-based index among the data rows. */
    record Row(Map<String, String> values, List<String> header, int line, int index) {
        String get(String col) { return values.get(col); }
    }

    static List<Row> readCsvRows(Path data, char sep) {
        CsvMapper mapper = new CsvMapper();
        mapper.enable(CsvParser.Feature.WRAP_AS_ARRAY);
        CsvSchema schema = CsvSchema.emptySchema().withHeader().withColumnSeparator(sep);
        List<Row> rows = new ArrayList<>();
        try (Reader rd = Files.newBufferedReader(data, StandardCharsets.UTF_8);
             MappingIterator<Map<String, String>> it = mapper.readerFor(Map.class).with(schema).readValues(rd)) {
            List<String> header = null;
            int idx = 0;
            while (true) {
                int line;
                Map<String, String> m;
                try {
                    if (!it.hasNextValue()) break;
                    line = (int) it.getParser().currentLocation().getLineNr();
                    m = it.nextValue();
                } catch (RuntimeException | IOException e) {
                    long ln = it.getParser().currentLocation().getLineNr();
                    throw new UserError(data + ":" + ln + ": not valid CSV: " + firstLine(e.getMessage()));
                }
                if (header == null) {
                    CsvSchema actual = (CsvSchema) it.getParser().getSchema();
                    header = new ArrayList<>();
                    for (CsvSchema.Column c : actual) header.add(c.getName());
                }
                rows.add(new Row(m, header, line, ++idx));
            }
        } catch (IOException e) {
            throw new UserError(data + ": cannot read: " + firstLine(e.getMessage()));
        }
        return rows;
    }

    static List<Row> readJsonlRows(Path data) {
        List<String> lines;
        try {
            lines = Files.readAllLines(data, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserError(data + ": cannot read: " + firstLine(e.getMessage()));
        }
        List<Row> rows = new ArrayList<>();
        Set<String> header = new java.util.LinkedHashSet<>();
        int idx = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            JsonNode n;
            try {
                n = Jsonl.MAPPER.readTree(lines.get(i));
            } catch (IOException e) {
                throw new UserError(data + ":" + (i + 1) + ": not valid JSON: " + firstLine(e.getMessage()));
            }
            if (!n.isObject()) throw new UserError(data + ":" + (i + 1) + ": expected a JSON object per line");
            Map<String, String> m = new LinkedHashMap<>();
            n.properties().forEach(e -> m.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().isNull() ? null : e.getValue().toString()));
            header.addAll(m.keySet());
            rows.add(new Row(m, List.copyOf(header), i + 1, ++idx));
        }
        List<String> all = List.copyOf(header);
        return rows.stream().map(r -> new Row(r.values(), all, r.line(), r.index())).toList();
    }

    // ---------------------------------------------------------------- helpers

    private static void checkUniqueIds(List<EvalItem> items, String where) {
        Set<String> seen = new HashSet<>();
        for (EvalItem it : items) if (!seen.add(it.id())) throw new UserError(where + ": duplicate scenario id '" + it.id() + "'");
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }

    static byte[] bytes(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UserError(f + ": cannot read: " + firstLine(e.getMessage()));
        }
    }

}
