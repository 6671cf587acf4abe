package dev.phronesis.pipeline;

import dev.phronesis.core.Hashes;
import dev.phronesis.core.Progress;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs declared {@link Stage}s in a {@link RunDirectory}.
 *
 * <p>Before anything runs, {@link #plan} checks the stage list: names are unique, no two stages
 * write the same artifact, and every artifact a stage reads is written by an earlier stage or is
 * already in the run directory (else one error naming the stage and the artifact). It then derives
 * each key as {@code sha256(config, version, keys of the stages that wrote what it reads)}, in
 * order, so a changed setting changes that stage's key and, through the inputs, the key of every
 * stage downstream of it — and no other key. A stage runs when it never finished, when its key
 * changed, or when a stage it reads from runs; everything else is reused.
 */
public final class Engine {
    private Engine() {}

    /** Checks the stages and says, for each, whether it would be reused or run and why; changes nothing. */
    public static Plan plan(RunDirectory dir, List<Stage> stages) {
        check(dir, stages);
        Map<String, String> keyOfArtifact = new HashMap<>();   // written artifact -> key of its writer
        Map<String, Boolean> runsOfArtifact = new HashMap<>(); // written artifact -> whether its writer runs
        Map<String, String> writerOf = new HashMap<>();
        List<Plan.Step> steps = new ArrayList<>();
        for (Stage s : stages) {
            TreeMap<String, String> config = new TreeMap<>();
            s.config().forEach((k, v) -> config.put(k, Jsonl.toJson(v)));
            TreeMap<String, String> inputs = new TreeMap<>();
            List<String> upstreamRuns = new ArrayList<>();
            for (String r : s.reads()) {
                String w = writtenArtifact(r, keyOfArtifact.keySet());
                if (w != null) {
                    inputs.put(r, keyOfArtifact.get(w));
                    if (runsOfArtifact.get(w)) upstreamRuns.add("upstream " + writerOf.get(w) + " runs (" + r + ")");
                } else {
                    inputs.put(r, "file:" + contentHash(dir.path(r)));
                }
            }
            KeyParts parts = new KeyParts(config, inputs, s.version());
            String key = key(parts);
            RunDirectory.StageState before = dir.state(s.name());
            Plan.Status status;
            List<String> reasons = new ArrayList<>();
            if (before == null) {
                status = Plan.Status.PENDING;
                reasons.add("not run yet");
            } else if (!before.key().equals(key)) {
                status = before.state() == RunDirectory.State.DONE ? Plan.Status.STALE : Plan.Status.PENDING;
                if (before.parts() != null) reasons.addAll(parts.changesFrom(before.parts()));
                if (reasons.isEmpty()) reasons.add("key changed");
                if (status == Plan.Status.PENDING) reasons.addFirst(before.state().name().toLowerCase(java.util.Locale.ROOT) + " under an older key");
            } else if (before.state() != RunDirectory.State.DONE) {
                status = Plan.Status.PENDING;
                reasons.add(before.state() == RunDirectory.State.FAILED ? "failed: " + before.note() : before.state() == RunDirectory.State.RUNNING
                        ? "interrupted; resumes" : "not finished");
            } else if (!upstreamRuns.isEmpty()) {
                status = Plan.Status.PENDING;
                reasons.addAll(upstreamRuns);
            } else {
                status = Plan.Status.DONE;
            }
            steps.add(new Plan.Step(s, key, parts, status, reasons));
            for (String w : s.writes()) {
                keyOfArtifact.put(w, key);
                runsOfArtifact.put(w, status != Plan.Status.DONE);
                writerOf.put(w, s.name());
            }
        }
        return new Plan(steps);
    }

    /** Plans, then runs every stage that is not done; returns the plan it followed. */
    public static Plan run(RunDirectory dir, List<Stage> stages, Progress progress) throws Exception {
        Plan plan = plan(dir, stages);
        int swept = sweepTempFiles(dir.root());
        if (swept > 0) progress.message("removed " + swept + " temporary file(s) an interrupted run left half-written");
        int n = plan.steps().size();
        for (int i = 0; i < n; i++) {
            Plan.Step step = plan.steps().get(i);
            Stage s = step.stage();
            String tag = String.format("[%d/%d] %s", i + 1, n, s.name());
            if (!step.runs()) {
                progress.message(tag + ": done earlier, reused");
                continue;
            }
            RunDirectory.StageState before = dir.state(s.name());
            boolean resume = before != null && before.key().equals(step.key()) && before.state() != RunDirectory.State.DONE;
            if (before != null && !resume) {
                for (String out : s.writes()) deleteTree(dir.path(out));
                progress.message(tag + ": " + String.join("; ", step.reasons()) + "; redoing it from scratch");
            }
            progress.message(tag + ": " + s.describe());
            long t0 = System.nanoTime();
            dir.mark(s.name(), RunDirectory.State.RUNNING, step.key(), step.parts(), null);
            try {
                s.run(dir, progress);
            } catch (Exception | Error e) {
                dir.mark(s.name(), RunDirectory.State.FAILED, step.key(), step.parts(), String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
                throw e;
            }
            dir.mark(s.name(), RunDirectory.State.DONE, step.key(), step.parts(), null);
            progress.message(String.format("%s: finished in %s", tag, dev.phronesis.core.ProgressLine.seconds((System.nanoTime() - t0) / 1e9)));
        }
        return plan;
    }

    private static void check(RunDirectory dir, List<Stage> stages) {
        Set<String> names = new HashSet<>();
        Map<String, String> writer = new HashMap<>();
        for (Stage s : stages) {
            if (s.name() == null || s.name().isBlank()) throw new IllegalArgumentException("a stage has no name");
            if (!names.add(s.name())) throw new UserError("stage '" + s.name() + "' appears twice in the plan");
            for (String w : s.writes()) {
                String other = writer.putIfAbsent(w, s.name());
                if (other != null) throw new UserError("stages '" + other + "' and '" + s.name() + "' both write " + w);
            }
        }
        Set<String> written = new HashSet<>();
        for (Stage s : stages) {
            for (String r : s.reads()) {
                if (writtenArtifact(r, written) != null) continue;
                String later = writtenArtifact(r, writer.keySet());
                if (later != null) throw new UserError("stage '" + s.name() + "' reads " + r + ", which only the later stage '" + writer.get(later) + "' writes");
                if (!Files.exists(dir.path(r))) throw new UserError("stage '" + s.name() + "' reads " + r + ", which no stage writes and " + dir.root() + " does not hold");
            }
            written.addAll(s.writes());
        }
    }

    /** The written artifact {@code read} is, or lies inside (the longest such), or null. */
    private static String writtenArtifact(String read, Set<String> written) {
        String best = null;
        for (String w : written) {
            if ((read.equals(w) || read.startsWith(w + "/")) && (best == null || w.length() > best.length())) best = w;
        }
        return best;
    }

    static String key(KeyParts parts) {
        return Hashes.shortHex(Hashes.sha256(Jsonl.toJson(parts)));
    }

    /** SHA-256 over the relative paths and bytes of a file or of every file under a directory. */
    private static String contentHash(Path p) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            List<Path> files;
            try (var walk = Files.walk(p)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path f : files) {
                md.update((p.relativize(f) + "\u0000").getBytes(StandardCharsets.UTF_8));
                md.update(Files.readAllBytes(f));
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, Hashes.SHORT_HEX_DIGITS);
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What an atomic write (write a temporary sibling, then rename it over the file) leaves when the process is
     * killed between the two: {@code NAME<random digits>.tmp} ({@code Files.createTempFile}'s names). The rename
     * never happened, so the file it was for is intact (old or absent) and the temporary one is garbage; it is
     * removed so that a resumed run holds exactly the files of an uninterrupted one.
     */
    static final java.util.regex.Pattern TEMP_FILE = java.util.regex.Pattern.compile(".*\\d{5,}(\\.jsonl)?\\.tmp");

    static int sweepTempFiles(Path root) throws IOException {
        if (!Files.isDirectory(root)) return 0;
        List<Path> stale;
        try (var walk = Files.walk(root)) {
            stale = walk.filter(Files::isRegularFile).filter(f -> TEMP_FILE.matcher(f.getFileName().toString()).matches()).toList();
        }
        for (Path f : stale) Files.deleteIfExists(f);
        return stale.size();
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
