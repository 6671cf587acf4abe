package dev.phronesis.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The kill -9 soak's machinery: `phronesis run` in a child JVM whose progress lines are watched for the
 * stage that is running, SIGKILL at an offset inside a chosen stage, and a comparison of two run
 * directories file by file.
 *
 * <p>What "byte-identical" means here, precisely: every file of the reference run exists in the soaked
 * run and no other file does; every file is compared byte for byte, except the measurements of the
 * process that are not results — wall-clock fields and the step a resumed trainer started from ({@link #TIMING}) in JSON/JSONL, the {@code tokens_per_s}
 * and {@code elapsed_s} columns of {@code loss.csv}, and in the SQLite LLM journal the latency and
 * creation-time columns (its rows are compared, not its pages). {@link Diff} counts how many files
 * were equal as raw bytes and how many only after masking those fields.
 */
final class Soak {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<String> TIMING = Set.of("startedAt", "finishedAt", "wall_ms", "elapsed_s", "tokens_per_s",
            "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_ms",
            "resumed_from");   // trainer_state.json: the step a resumed process started from (history, not result)
    /**
     * Not compared: {@code llm-usage.json} is the usage report of the last process that closed the engine (what
     * that invocation asked, waited and paid), so after a resume it describes the rerun only; what the run as a
     * whole paid is in the journal, whose rows are compared.
     */
    static final Set<String> PER_PROCESS = Set.of("llm-usage.json");
    private static final Pattern STAGE_LINE = Pattern.compile("^\\[(\\d+)/(\\d+)] ([^:]+): (.*)$");

    private Soak() {}

    /** One child JVM running the CLI; its output lines are kept with the time they arrived. */
    static final class Child implements AutoCloseable {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();
        /** stage name -> nanoTime its (not reused) start line arrived, in order */
        final Map<String, Long> starts = Collections.synchronizedMap(new LinkedHashMap<>());
        final Thread reader;

        Child(Path log, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+UseParallelGC", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx2g",
                    "-jar", launcherJar().toString()));
            cmd.addAll(Arrays.asList(args));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                        Matcher m = STAGE_LINE.matcher(line);
                        if (m.matches() && !m.group(4).startsWith("done earlier") && !m.group(4).startsWith("finished in")
                                && !m.group(4).contains("redoing it from scratch")) {
                            starts.putIfAbsent(m.group(3), System.nanoTime());
                        }
                    }
                } catch (IOException ignored) {
                    // the child was killed
                }
                try { Files.write(log, lines, StandardCharsets.UTF_8); } catch (IOException ignored) { }
            });
        }

        /** Waits until {@code stage} starts running (true) or the child ends first (false). */
        boolean awaitStart(String stage, long timeoutS) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutS);
            while (System.nanoTime() < deadline) {
                if (starts.containsKey(stage)) return true;
                if (!process.isAlive()) { reader.join(5000); return starts.containsKey(stage); }
                Thread.sleep(2);
            }
            throw new AssertionError("stage " + stage + " did not start within " + timeoutS + " s; output:\n" + tail());
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();   // SIGKILL on Unix
            if (!process.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("killed child did not exit");
            reader.join(5000);
        }

        int finish(long timeoutS) throws InterruptedException {
            if (!process.waitFor(timeoutS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("child did not finish within " + timeoutS + " s; output:\n" + tail());
            }
            reader.join(5000);
            return process.exitValue();
        }

        String tail() {
            List<String> l = List.copyOf(lines);
            return String.join("\n", l.subList(Math.max(0, l.size() - 40), l.size()));
        }

        @Override public void close() {
            if (process.isAlive()) process.destroyForcibly();
        }
    }

    private static Path launcher;

    /**
     * A manifest-only jar whose Class-Path is this test's class path: the child starts as `./phronesis` does
     * ({@code java -jar} with the jars in the manifest). Started instead with {@code -cp} and the same entries in
     * the same order, the child died of SIGSEGV (exit 139) in the datasets stage on the 2-core build machine,
     * every time (not yet explained; the launcher's way never did).
     */
    static synchronized Path launcherJar() throws IOException {
        if (launcher != null) return launcher;
        java.util.jar.Manifest m = new java.util.jar.Manifest();
        var a = m.getMainAttributes();
        a.put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(java.util.jar.Attributes.Name.MAIN_CLASS, Main.class.getName());
        a.putValue("Enable-Native-Access", "ALL-UNNAMED");
        StringBuilder cp = new StringBuilder();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (e.isBlank()) continue;
            cp.append(cp.isEmpty() ? "" : " ").append(Path.of(e).toAbsolutePath().toUri());
        }
        a.put(java.util.jar.Attributes.Name.CLASS_PATH, cp.toString());
        Path jar = Files.createTempFile("phronesis-soak-launcher", ".jar");
        jar.toFile().deleteOnExit();
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), m)) { /* manifest only */ }
        return launcher = jar;
    }

    /** The stage stages.json shows as running (where a kill landed), or null when none is. */
    static String runningStage(Path runDir) throws IOException {
        Path f = runDir.resolve("stages.json");
        if (!Files.exists(f)) return null;
        for (JsonNode s : JSON.readTree(f.toFile()).path("stages")) if (s.path("state").asText().equals("RUNNING")) return s.path("name").asText();
        return null;
    }

    /** The states of every stage in stages.json. */
    static Map<String, String> states(Path runDir) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Path f = runDir.resolve("stages.json");
        if (!Files.exists(f)) return out;
        for (JsonNode s : JSON.readTree(f.toFile()).path("stages")) out.put(s.path("name").asText(), s.path("state").asText());
        return out;
    }

    /** The outcome of comparing a run directory with a reference. */
    record Diff(int files, int rawIdentical, int identicalOutsideTiming, List<String> problems) {
        boolean same() { return problems.isEmpty(); }
    }

    static Diff compare(Path ref, Path run) throws Exception {
        Set<String> a = files(ref), b = files(run);
        List<String> problems = new ArrayList<>();
        for (String f : a) if (!b.contains(f)) problems.add("missing in the resumed run: " + f);
        for (String f : b) if (!a.contains(f)) problems.add("extra in the resumed run: " + f);
        int raw = 0, masked = 0;
        for (String f : a) {
            if (!b.contains(f)) continue;
            byte[] x = Files.readAllBytes(ref.resolve(f)), y = Files.readAllBytes(run.resolve(f));
            if (Arrays.equals(x, y)) { raw++; continue; }
            String why = maskedDifference(f, ref.resolve(f), run.resolve(f));
            if (why == null) masked++;
            else problems.add(f + ": " + why);
        }
        return new Diff(a.size(), raw, masked, problems);
    }

    static Set<String> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            TreeSet<String> out = new TreeSet<>();
            s.filter(Files::isRegularFile).filter(p -> !PER_PROCESS.contains(p.getFileName().toString())).forEach(p -> out.add(root.relativize(p).toString()));
            return out;
        }
    }

    /** Null when the two files agree outside timing fields, else where they first differ. */
    private static String maskedDifference(String name, Path x, Path y) throws Exception {
        if (name.endsWith(".sqlite")) {
            List<String> rx = journalRows(x), ry = journalRows(y);
            if (rx.equals(ry)) return null;
            for (int i = 0; i < Math.min(rx.size(), ry.size()); i++) {
                if (!rx.get(i).equals(ry.get(i))) return "journal rows differ (" + rx.size() + " vs " + ry.size() + "), first at row " + i + ": " + firstDifference(rx.get(i), ry.get(i));
            }
            return "journal rows differ (" + rx.size() + " vs " + ry.size() + ")";
        }
        List<String> lx = Files.readAllLines(x), ly = Files.readAllLines(y);
        if (lx.size() != ly.size()) return "differs (" + lx.size() + " vs " + ly.size() + " lines): " + firstDifference(String.join("\n", lx), String.join("\n", ly));
        if (name.endsWith("loss.csv")) {
            for (int i = 0; i < lx.size(); i++) {
                String cx = String.join(",", Arrays.copyOf(lx.get(i).split(",", -1), 6)), cy = String.join(",", Arrays.copyOf(ly.get(i).split(",", -1), 6));
                if (!cx.equals(cy)) return "line " + (i + 1) + ": " + cx + " vs " + cy;
            }
            return null;
        }
        if (name.endsWith(".json")) {
            JsonNode jx = strip(JSON.readTree(x.toFile())), jy = strip(JSON.readTree(y.toFile()));
            return jx.equals(jy) ? null : "differs outside timing fields: " + firstDifference(jx.toString(), jy.toString());
        }
        if (name.endsWith(".jsonl")) {
            for (int i = 0; i < lx.size(); i++) {
                if (lx.get(i).equals(ly.get(i))) continue;
                if (!strip(JSON.readTree(lx.get(i))).equals(strip(JSON.readTree(ly.get(i))))) return "line " + (i + 1) + " differs: " + firstDifference(lx.get(i), ly.get(i));
            }
            return null;
        }
        for (int i = 0; i < lx.size(); i++) if (!lx.get(i).equals(ly.get(i))) return "line " + (i + 1) + " differs";
        return "differs in line endings";
    }

    /** Where two texts first differ, with a little context from each. */
    static String firstDifference(String x, String y) {
        int i = 0;
        while (i < x.length() && i < y.length() && x.charAt(i) == y.charAt(i)) i++;
        int from = Math.max(0, i - 60);
        return "at char " + i + ": «" + x.substring(from, Math.min(x.length(), i + 100)) + "» vs «" + y.substring(from, Math.min(y.length(), i + 100)) + "»";
    }

    private static JsonNode strip(JsonNode n) {
        if (n instanceof ObjectNode o) {
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) if (TIMING.contains(it.next())) it.remove();
            o.forEach(Soak::strip);
        } else if (n.isArray()) n.forEach(Soak::strip);
        return n;
    }

    /** The journal's answers and failures, without latency and creation time, in key order. */
    static List<String> journalRows(Path db) throws Exception {
        List<String> out = new ArrayList<>();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement()) {
            try (var rs = s.executeQuery("SELECT key, model, label, tag, request, result, input_tokens, output_tokens, cached_tokens, cost_usd, attempts FROM answers ORDER BY key")) {
                while (rs.next()) {
                    StringBuilder b = new StringBuilder("answer");
                    for (int i = 1; i <= 11; i++) {
                        String v = rs.getString(i);
                        if ((i == 5 || i == 6) && v != null && v.startsWith("{")) v = strip(JSON.readTree(v)).toString();   // request, result: JSON with a latency inside
                        b.append('\u0001').append(v);
                    }
                    out.add(b.toString());
                }
            }
            try (var rs = s.executeQuery("SELECT key, model, kind, message FROM failures ORDER BY key")) {
                while (rs.next()) out.add("failure\u0001" + rs.getString(1) + '\u0001' + rs.getString(2) + '\u0001' + rs.getString(3) + '\u0001' + rs.getString(4));
            }
        }
        return out;
    }

    /**
     * The identities (wire model, then every message as role:content) of the finished answers in a run's
     * journals, with how many of each.
     */
    static Map<String, Integer> finishedCalls(Path runDir) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        List<Path> dbs;
        try (Stream<Path> s = Files.walk(runDir)) { dbs = s.filter(p -> p.getFileName().toString().endsWith(".sqlite")).toList(); }
        for (Path db : dbs) {
            try (var c = DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement();
                 var rs = s.executeQuery("SELECT model, request FROM answers")) {
                while (rs.next()) {
                    String spec = rs.getString(1);
                    String model = spec.replaceFirst("^[a-z-]+:", "").replaceFirst("@.*$", "");
                    StringBuilder id = new StringBuilder(model);
                    for (JsonNode m : JSON.readTree(rs.getString(2)).path("messages")) id.append('\u0001').append(m.path("role").asText()).append(':').append(m.path("content").asText());
                    out.merge(id.toString(), 1, Integer::sum);
                }
            }
        }
        return out;
    }

    static String identity(dev.phronesis.llm.testserver.TestRequest r) {
        StringBuilder id = new StringBuilder(r.model());
        for (var m : r.messages()) id.append('\u0001').append(m.role()).append(':').append(m.content());
        return id.toString();
    }

    static void moveTree(Path from, Path to) throws IOException {
        Files.move(from, to);
    }
}
