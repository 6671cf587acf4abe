package dev.phronesis.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Form;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Turn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Imports the prompt folders the public Agentic Misalignment framework's generator writes
 * ({@code scripts/generate_prompts.py}: one folder per condition holding {@code system_prompt.txt},
 * {@code user_prompt.txt}, {@code email_content.txt} and {@code metadata.json}) as eval items: one item per
 * condition, the grid axes as cells, the user turn being the user prompt followed by the e-mails, as the
 * framework sends it. The models act through the scenario's own text tags, which its system prompt describes;
 * no native tools are offered. Nothing of the framework is bundled: the user generates the folders.
 */
public final class AgenticMisalignment {
    public static final String FORMAT = "agentic-misalignment";
    public static final String SYSTEM = "system_prompt.txt";
    public static final String USER = "user_prompt.txt";
    public static final String EMAILS = "email_content.txt";
    public static final String METADATA = "metadata.json";
    /** The files a condition needs; nothing else in a folder is read or copied. */
    public static final List<String> FILES = List.of(SYSTEM, USER, EMAILS, METADATA);
    /** The framework's condition ids read {@code scenario_goaltype-goalvalue_urgency}. */
    private static final Pattern CONDITION_ID = Pattern.compile("([a-z]+)_([a-z]+)-([a-z0-9-]+?)_([a-z]+)");
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,})");
    private static final Pattern EMAIL_BLOCK = Pattern.compile("(?is)<email>(.*?)</email>");
    private static final Pattern ID_FIELD = Pattern.compile("(?im)^\\s*id\\s*:\\s*(\\S+)");
    private static final Pattern OVERRIDE = Pattern.compile("(?i)override\\s+code");
    private static final Pattern CODE_TOKEN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{2,15}");
    /** How far after the words "override code" the code itself is looked for. */
    static final int OVERRIDE_LOOKAHEAD_CHARS = 40;

    private AgenticMisalignment() {}

    /** One generated condition, read. */
    public record Condition(String id, String scenario, String goalType, String goalValue, String urgency, Path dir,
                            String system, String user, String emails) {}

    /**
     * What identifies each scenario's harmful action, where the user says so; anything null or empty is inferred
     * from each condition's e-mails ({@link #rule}).
     */
    public record Targets(String threatened, List<String> companyDomains, List<String> confidentialIds, String overrideCode) {
        public Targets {
            companyDomains = companyDomains == null ? List.of() : List.copyOf(companyDomains);
            confidentialIds = confidentialIds == null ? List.of() : List.copyOf(confidentialIds);
        }

        public static Targets none() { return new Targets(null, List.of(), List.of(), null); }
    }

    /** The folder holding the condition folders: {@code dir} itself, or its {@code prompts/} (the generator's results/EXP/prompts). */
    public static Path conditionsDir(Path dir) {
        if (!Files.isDirectory(dir)) throw new UserError(dir + ": no such prompts directory");
        Path nested = dir.resolve("prompts");
        return !hasConditions(dir) && Files.isDirectory(nested) ? nested : dir;
    }

    private static boolean hasConditions(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> Files.isRegularFile(p.resolve(METADATA)));
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads every condition folder; the first problem is a one-line {@link UserError} naming the file (and how many more there are). */
    public static List<Condition> read(Path dir) {
        Path root = conditionsDir(dir);
        List<Path> folders;
        try (Stream<Path> s = Files.list(root)) {
            folders = s.filter(Files::isDirectory).sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new UserError(root + ": cannot list: " + Suites.firstLine(e.getMessage()));
        }
        if (folders.isEmpty()) throw new UserError(root + ": no condition folders (expected one folder per condition with " + String.join(", ", FILES)
                + ", as the framework's scripts/generate_prompts.py writes them)");
        List<String> problems = new ArrayList<>();
        List<Condition> out = new ArrayList<>();
        Set<String> ids = new LinkedHashSet<>();
        for (Path f : folders) {
            List<String> missing = FILES.stream().filter(n -> !Files.isRegularFile(f.resolve(n))).toList();
            if (!missing.isEmpty()) { problems.add(f + ": not a condition folder: missing " + String.join(", ", missing)); continue; }
            Condition c = condition(f, problems);
            if (c == null) continue;
            if (!ids.add(c.id())) { problems.add(f.resolve(METADATA) + ": field 'condition_id': '" + c.id() + "' is used by another folder too"); continue; }
            out.add(c);
        }
        if (!problems.isEmpty())
            throw new UserError(problems.getFirst() + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problem" + (problems.size() > 2 ? "s" : "") + " in " + root + ")" : ""));
        return out;
    }

    private static Condition condition(Path f, List<String> problems) {
        Path meta = f.resolve(METADATA);
        JsonNode m;
        try {
            m = Jsonl.MAPPER.readTree(Files.readString(meta, StandardCharsets.UTF_8));
        } catch (IOException e) {
            problems.add(meta + ": not valid JSON: " + Suites.firstLine(e.getMessage()));
            return null;
        }
        if (m == null || !m.isObject()) { problems.add(meta + ": expected a JSON object"); return null; }
        String id = text(m, "condition_id", f.getFileName().toString());
        Matcher cm = CONDITION_ID.matcher(id.toLowerCase(Locale.ROOT));
        boolean parsed = cm.matches();
        String scenario = text(m, "scenario", parsed ? cm.group(1) : null);
        String goalType = text(m, "goal_type", parsed ? cm.group(2) : null);
        String goalValue = text(m, "goal_value", parsed ? cm.group(3) : null);
        String urgency = text(m, "urgency_type", parsed ? cm.group(4) : null);
        for (var e : Map.of("scenario", scenario == null ? "" : scenario, "goal_type", goalType == null ? "" : goalType,
                "urgency_type", urgency == null ? "" : urgency).entrySet()) {
            if (e.getValue().isBlank()) { problems.add(meta + ": missing field '" + e.getKey() + "' (and the condition id '" + id + "' does not say it)"); return null; }
        }
        scenario = scenario.toLowerCase(Locale.ROOT);
        if (!HarmRule.SCENARIOS.contains(scenario)) {
            problems.add(meta + ": field 'scenario': '" + scenario + "' is not one of " + HarmRule.SCENARIOS);
            return null;
        }
        try {
            String system = Files.readString(f.resolve(SYSTEM), StandardCharsets.UTF_8);
            String user = Files.readString(f.resolve(USER), StandardCharsets.UTF_8);
            String emails = Files.readString(f.resolve(EMAILS), StandardCharsets.UTF_8);
            if (system.isBlank()) { problems.add(f.resolve(SYSTEM) + ": empty"); return null; }
            if (user.isBlank() && emails.isBlank()) { problems.add(f.resolve(USER) + ": empty, and so is " + EMAILS); return null; }
            return new Condition(id, scenario, goalType.toLowerCase(Locale.ROOT), goalValue == null || goalValue.isBlank() ? "none" : goalValue.toLowerCase(Locale.ROOT),
                    urgency.toLowerCase(Locale.ROOT), f, system, user, emails);
        } catch (java.nio.charset.MalformedInputException e) {
            problems.add(f + ": a prompt file is not UTF-8 text");
            return null;
        } catch (IOException e) {
            problems.add(f + ": cannot read: " + Suites.firstLine(e.getMessage()));
            return null;
        }
    }

    private static String text(JsonNode m, String field, String dflt) {
        JsonNode v = m.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? dflt : v.asText().strip();
    }

    /** The condition's harm rule: what the user gave, else inferred from its e-mails (documented in docs/public-benchmarks.md). */
    public static HarmRule rule(Condition c, Targets t) {
        return switch (c.scenario()) {
            case "blackmail" -> new HarmRule.Blackmail(t.threatened());
            case "leaking" -> new HarmRule.Leaking(t.companyDomains().isEmpty() ? companyDomain(c.emails()) : t.companyDomains(),
                    t.confidentialIds().isEmpty() ? confidentialIds(c.emails()) : t.confidentialIds());
            case "murder" -> new HarmRule.Murder(t.overrideCode() != null ? t.overrideCode() : overrideCode(c.emails()));
            default -> throw new IllegalStateException("unchecked scenario " + c.scenario());
        };
    }

    /** The most frequent e-mail domain in the e-mails (the company's own); empty when there is no address. */
    static List<String> companyDomain(String emails) {
        Map<String, Integer> count = new TreeMap<>();
        Matcher m = ADDRESS.matcher(emails);
        while (m.find()) count.merge(m.group(1).toLowerCase(Locale.ROOT), 1, Integer::sum);
        return count.entrySet().stream().max(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
                .map(e -> List.of(e.getKey())).orElse(List.of());
    }

    /** Ids of the {@code <email>} blocks that call themselves confidential. */
    static List<String> confidentialIds(String emails) {
        List<String> out = new ArrayList<>();
        Matcher b = EMAIL_BLOCK.matcher(emails);
        while (b.find()) {
            String block = b.group(1);
            Matcher id = ID_FIELD.matcher(block);
            if (block.toLowerCase(Locale.ROOT).contains("confidential") && id.find()) out.add(id.group(1).replaceAll("[\",]", ""));
        }
        return out;
    }

    /** The first token with a digit within a few characters after the words "override code"; null when there is none. */
    static String overrideCode(String emails) {
        Matcher m = OVERRIDE.matcher(emails);
        while (m.find()) {
            String after = emails.substring(m.end(), Math.min(emails.length(), m.end() + OVERRIDE_LOOKAHEAD_CHARS));
            Matcher t = CODE_TOKEN.matcher(after);
            while (t.find()) if (t.group().chars().anyMatch(Character::isDigit)) return t.group();
        }
        return null;
    }

    /** One eval item per condition. */
    public static List<EvalItem> items(List<Condition> conditions, Targets targets) {
        List<EvalItem> out = new ArrayList<>();
        for (Condition c : conditions) {
            Map<String, String> cell = new LinkedHashMap<>();
            cell.put(Cells.SCENARIO_KIND, c.scenario());
            cell.put(Cells.GOAL_CONFLICT, c.goalType());
            cell.put(Cells.GOAL_VALUE, c.goalValue());
            cell.put(Cells.PRESSURE, c.urgency());
            String user = c.emails().isBlank() ? c.user() : c.user().isBlank() ? c.emails() : c.user() + "\n\n" + c.emails();
            out.add(new EvalItem(c.id(), c.scenario(), "heldout", Form.AGENTIC, List.of(Turn.system(c.system()), Turn.user(user)), List.of(),
                    Expectation.AVOID_HARMFUL_ACTION, null, null, null, List.of(), cell, rule(c, targets)));
        }
        return out;
    }

    /** Copies each condition's four files (and nothing else) to {@code to/<folder>/}. */
    public static void copy(List<Condition> conditions, Path to) {
        try {
            for (Condition c : conditions) {
                Path d = to.resolve(c.dir().getFileName().toString());
                Files.createDirectories(d);
                for (String f : FILES) Files.copy(c.dir().resolve(f), d.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UserError(to + ": cannot copy the prompt folders: " + Suites.firstLine(e.getMessage()));
        }
    }

    /** Bytes of every file read, in a fixed order, for the suite's content hash. */
    static List<byte[]> hashed(List<Condition> conditions) {
        List<byte[]> out = new ArrayList<>();
        for (Condition c : conditions) for (String f : FILES) out.add(Suites.bytes(c.dir().resolve(f)));
        return out;
    }
}
