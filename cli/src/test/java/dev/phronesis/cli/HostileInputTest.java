package dev.phronesis.cli;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The hostile-input corpus: one {@code src/test/resources/hostile/*.case} file per bad input, each run
 * through the real command line. A case passes when the command exits with the expected code within
 * {@link #LIMIT} (no hang), prints the expected line (naming file, line and field), and prints no
 * stack trace, library class name or "internal error"; {@code absent:} paths prove nothing ran.
 *
 * <p>Case format: header lines {@code key: value} ({@code args}, {@code exit}, {@code message},
 * optional {@code fifo}, {@code mkdir}, {@code absent}), then {@code === NAME} sections whose bytes
 * are written verbatim (so a latin-1 file stays latin-1). {@code {dir}} is the case's files,
 * {@code {out}} an empty output directory.
 */
class HostileInputTest {
    static final Duration LIMIT = Duration.ofSeconds(90);
    /** What a clean message never contains. */
    static final Pattern UNCLEAN = Pattern.compile("^\\s+at |Exception|Error:|dev\\.phronesis\\.|internal error|StreamReadConstraints|because \"|java\\.[a-z]+\\.",
            Pattern.MULTILINE);

    record Case(String name, Map<String, List<String>> header, Map<String, byte[]> files) {
        String one(String key) { return header.getOrDefault(key, List.of("")).getFirst(); }
    }

    static Case parse(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        String latin = new String(all, StandardCharsets.ISO_8859_1); // byte-preserving split
        String[] parts = Pattern.compile("^=== (.+)\\n", Pattern.MULTILINE).split(latin, -1);
        var m = Pattern.compile("^=== (.+)\\n", Pattern.MULTILINE).matcher(latin);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 1; m.find(); i++) files.put(m.group(1).strip(), parts[i].getBytes(StandardCharsets.ISO_8859_1));
        Map<String, List<String>> header = new LinkedHashMap<>();
        for (String line : parts[0].split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int c = line.indexOf(':');
            header.computeIfAbsent(line.substring(0, c).strip(), k -> new ArrayList<>()).add(line.substring(c + 1).strip());
        }
        return new Case(file.getFileName().toString(), header, files);
    }

    static Path corpus() throws URISyntaxException {
        return Path.of(HostileInputTest.class.getResource("/hostile").toURI());
    }

    /** The figures of the reliability issue, tallied over the cases run in this JVM and printed after them. */
    static final Map<String, java.util.concurrent.atomic.AtomicInteger> TALLY = new java.util.concurrent.ConcurrentSkipListMap<>();

    static void count(String what) { TALLY.computeIfAbsent(what, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet(); }

    @org.junit.jupiter.api.AfterAll
    static void figures() {
        System.out.printf("hostile inputs: %d tried, %d clean, %d stack traces, %d internal errors, %d hangs, %d silent accepts, %d other mismatches%n",
                get("tried"), get("clean"), get("trace"), get("internal error"), get("hang"), get("silent accept"), get("other"));
    }

    private static int get(String k) { var v = TALLY.get(k); return v == null ? 0 : v.get(); }

    @TestFactory
    Stream<DynamicTest> everyBadInputIsOneCleanLine() throws Exception {
        List<Path> cases;
        try (Stream<Path> s = Files.list(corpus())) {
            cases = s.filter(p -> p.toString().endsWith(".case")).sorted().toList();
        }
        assertThat(cases).hasSizeGreaterThan(20);
        return cases.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> run(parse(p))));
    }

    static void run(Case c) throws Exception {
        Path dir = Files.createTempDirectory("hostile-"), out = Files.createTempDirectory("hostile-out-");
        for (var f : c.files().entrySet()) {
            Path to = dir.resolve(f.getKey());
            Files.createDirectories(to.getParent());
            Files.write(to, f.getValue());
        }
        for (String d : c.header().getOrDefault("mkdir", List.of())) Files.createDirectories(dir.resolve(d));
        for (String f : c.header().getOrDefault("fifo", List.of())) {
            Process mk = new ProcessBuilder("mkfifo", dir.resolve(f).toString()).start();
            assertThat(mk.waitFor()).as("mkfifo").isZero();
        }
        String[] args = Arrays.stream(c.one("args").split("\\s+")).map(a -> subst(a, dir, out)).toArray(String[]::new);
        count("tried");
        CliHarness.Result r;
        try {
            r = assertTimeoutPreemptively(LIMIT, () -> CliHarness.run(args), c.name() + ": hung");
        } catch (org.opentest4j.AssertionFailedError e) {
            count("hang");
            throw e;
        }
        String shown = r.err() + r.out();
        int expected = Integer.parseInt(c.one("exit"));
        boolean wroteEarly = c.header().getOrDefault("absent", List.of()).stream().anyMatch(a -> Files.exists(Path.of(subst(a, dir, out))));
        if (java.util.regex.Pattern.compile("^\\s+at ", java.util.regex.Pattern.MULTILINE).matcher(r.err()).find()) count("trace");
        else if (r.err().contains("internal error")) count("internal error");
        else if (r.exitCode() == 0 && expected != 0) count("silent accept");
        else if (r.exitCode() != expected || UNCLEAN.matcher(r.err()).find() || wroteEarly
                || shown.lines().noneMatch(l -> l.contains(c.one("message")))) count("other");
        else count("clean");
        assertThat(r.exitCode()).as("%s exit code; printed:%n%s", c.name(), tail(shown)).isEqualTo(Integer.parseInt(c.one("exit")));
        assertThat(shown.lines().anyMatch(l -> l.contains(c.one("message")))).as("%s prints '%s'; printed:%n%s", c.name(), c.one("message"), tail(shown)).isTrue();
        assertThat(UNCLEAN.matcher(r.err()).find()).as("%s prints internals:%n%s", c.name(), tail(r.err())).isFalse();
        for (String a : c.header().getOrDefault("absent", List.of()))
            assertThat(Path.of(subst(a, dir, out))).as("%s wrote before validating", c.name()).doesNotExist();
    }

    static String subst(String a, Path dir, Path out) {
        return a.replace("{dir}", dir.toString()).replace("{out}", out.toString());
    }

    static String tail(String s) {
        List<String> l = s.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - 8), l.size()));
    }
}
