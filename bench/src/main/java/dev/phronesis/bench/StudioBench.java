package dev.phronesis.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Deliberation;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.data.distill.Distiller;
import dev.phronesis.data.distill.GatesConfig;
import dev.phronesis.core.Progress;
import dev.phronesis.data.distill.ScriptedJudge;
import dev.phronesis.data.distill.ScriptedTeacher;
import dev.phronesis.data.distill.Verbosity;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.Taxonomy;
import dev.phronesis.studio.Studio;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The studio's list on 50,000 samples: page and filter latency over HTTP (the full request: token
 * check, filter scan, page slice, JSON), each as a ratio against a plain read of the same rows from
 * the JSONL files (what a reviewer's script without the studio does): for a page, read the file up to
 * and through the page's rows and parse them; for a filter, read and parse every row and keep those
 * that match. Ratio < 1: the studio answers faster than reading the rows yourself.
 *
 * <p>Data: a real distilled run (default taxonomy, scripted teacher and judge, every gate) of a few
 * hundred scenarios, replicated with fresh ids up to the target count, so texts, families and gate
 * outcomes have their real mix.
 */
public final class StudioBench {
    static final int PAGE = 50;
    static final int REPEATS = 30;

    public static void main(String[] args) throws Exception {
        int target = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        Constitution c = ConstitutionLoader.builtin("general");
        Path src = Files.createTempDirectory("studio-bench-src");
        List<Scenario> scen = ScenarioGenerator.generateInMemory(Taxonomy.builtin("default"), c, ScenarioGenerator.Options.budget(300, 3).withSemanticDedup(false), null, null).scenarios();
        Distiller.run(scen, c, new ScriptedTeacher(c, Verbosity.FULL, 1), List.of(new ScriptedJudge(c)), GatesConfig.defaults(), src, Progress.NONE, Distiller.Options.defaults().withSamples(2));
        Path run = Files.createTempDirectory("studio-bench");
        int n = replicate(src, run, target);
        long bytes = Files.size(run.resolve(Distiller.DELIBERATIONS)) + Files.size(run.resolve(Distiller.SCENARIOS));
        System.out.printf(Locale.ROOT, "samples %d (from %d distilled scenarios), deliberations + scenarios %.1f MB%n", n, scen.size(), bytes / 1e6);

        long t0 = System.nanoTime();
        try (Studio studio = Studio.open(run, new Studio.Options(0, "bench", null))) {
            double openS = (System.nanoTime() - t0) / 1e9;
            double readAll = time(() -> plainFilter(run, x -> true, 0));
            System.out.printf(Locale.ROOT, "index on open %.2f s; plain read + parse of every row %.2f s (ratio %.2f)%n", openS, readAll, openS / readAll);
            String token = studio.url().substring(studio.url().indexOf("token=") + 6);
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + studio.port() + "/api/samples?limit=" + PAGE;
            JsonNode first = get(http, token, base + "&offset=0");
            String family = first.get("rows").get(0).get("family").asText();
            String word = "consent";
            Random rnd = new Random(7);
            for (int w = 0; w < 10; w++) get(http, token, base + "&offset=" + rnd.nextInt(n)); // warm-up

            System.out.printf(Locale.ROOT, "%-34s %12s %14s %8s%n", "query (page of " + PAGE + ")", "studio ms", "plain read ms", "ratio");
            // paging: a random page of the whole list
            double[] ps = new double[2];
            for (int i = 0; i < REPEATS; i++) {
                int off = rnd.nextInt(n - PAGE);
                ps[0] += time(() -> get(http, token, base + "&offset=" + off));
                ps[1] += time(() -> plainPage(run, off));
            }
            row("random page, no filter", ps);
            // filters: first page of the matches
            Map<String, Predicate<JsonNode>> filters = new java.util.LinkedHashMap<>();
            Map<String, String> famOf = scenarioFamilies(run);
            filters.put("family=" + shorten(family), d -> family.equals(famOf.get(d.get("scenarioId").asText())));
            filters.put("decision=decline", d -> d.get("decision").asText().equals("decline"));
            filters.put("text \"" + word + "\"", d -> (d.get("reasoning").asText() + d.get("response").asText()).toLowerCase(Locale.ROOT).contains(word));
            Map<String, String> query = Map.of("family=" + shorten(family), "&family=" + URLEncoder.encode(family, StandardCharsets.UTF_8),
                    "decision=decline", "&decision=decline", "text \"" + word + "\"", "&q=" + word);
            for (var f : filters.entrySet()) {
                double[] fs = new double[2];
                int reps = REPEATS / 3;
                for (int i = 0; i < reps; i++) {
                    fs[0] += time(() -> get(http, token, base + query.get(f.getKey())));
                    fs[1] += time(() -> plainFilter(run, f.getValue(), PAGE));
                }
                fs[0] = fs[0] * REPEATS / reps;
                fs[1] = fs[1] * REPEATS / reps;
                row(f.getKey() + " (" + get(http, token, base + query.get(f.getKey())).get("total").asInt() + " match)", fs);
            }
        }
    }

    static String shorten(String s) { return s.length() > 16 ? s.substring(0, 16) + "…" : s; }

    static void row(String what, double[] s) {
        System.out.printf(Locale.ROOT, "%-34s %12.2f %14.2f %8.3f%n", what, 1000 * s[0] / REPEATS, 1000 * s[1] / REPEATS, s[0] / s[1]);
    }

    interface Work { void run() throws Exception; }

    static double time(Work w) throws Exception {
        long t = System.nanoTime();
        w.run();
        return (System.nanoTime() - t) / 1e9;
    }

    static JsonNode get(HttpClient http, String token, String url) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(url + ": " + r.statusCode() + " " + r.body());
        return Jsonl.MAPPER.readTree(r.body());
    }

    /** Reads lines up to the page and parses the page's rows. */
    static void plainPage(Path run, int offset) throws Exception {
        try (BufferedReader in = Files.newBufferedReader(run.resolve(Distiller.DELIBERATIONS))) {
            for (int i = 0; i < offset; i++) in.readLine();
            for (int i = 0; i < PAGE; i++) Jsonl.MAPPER.readValue(in.readLine(), Deliberation.class);
        }
    }

    /** Reads and parses every row and keeps the first {@code limit} matches (0 = keep none, read all). */
    static void plainFilter(Path run, Predicate<JsonNode> p, int limit) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(run.resolve(Distiller.DELIBERATIONS))) {
            for (String line; (line = in.readLine()) != null; ) {
                JsonNode d = Jsonl.MAPPER.readTree(line);
                if (p.test(d) && out.size() < limit) out.add(d);
            }
        }
    }

    static Map<String, String> scenarioFamilies(Path run) throws Exception {
        Map<String, String> m = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(run.resolve(Distiller.SCENARIOS))) {
            for (String line; (line = in.readLine()) != null; ) {
                JsonNode s = Jsonl.MAPPER.readTree(line);
                m.put(s.get("id").asText(), s.get("family").asText());
            }
        }
        return m;
    }

    /** Copies the run's records with ids suffixed ~r1, ~r2, ... until {@code target} deliberations exist. */
    static int replicate(Path src, Path dst, int target) throws Exception {
        Files.copy(src.resolve(Distiller.MANIFEST), dst.resolve(Distiller.MANIFEST));
        List<String> scen = Files.readAllLines(src.resolve(Distiller.SCENARIOS));
        List<String> del = Files.readAllLines(src.resolve(Distiller.DELIBERATIONS));
        List<String> ver = Files.readAllLines(src.resolve(Distiller.VERDICTS));
        int copies = (target + del.size() - 1) / del.size();
        int n = 0;
        try (BufferedWriter s = Files.newBufferedWriter(dst.resolve(Distiller.SCENARIOS));
             BufferedWriter d = Files.newBufferedWriter(dst.resolve(Distiller.DELIBERATIONS));
             BufferedWriter v = Files.newBufferedWriter(dst.resolve(Distiller.VERDICTS))) {
            for (int r = 0; r < copies; r++) {
                String suffix = "~r" + r;
                for (String line : scen) write(s, line, "id", suffix);
                for (String line : ver) write(v, line, "scenarioId", suffix);
                for (String line : del) {
                    if (n == target) break;
                    write(d, line, "scenarioId", suffix);
                    n++;
                }
            }
        }
        return n;
    }

    static void write(BufferedWriter w, String line, String field, String suffix) throws Exception {
        ObjectNode o = (ObjectNode) Jsonl.MAPPER.readTree(line);
        o.put(field, o.get(field).asText() + suffix);
        w.write(Jsonl.toJson(o));
        w.write('\n');
    }
}
