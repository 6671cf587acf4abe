package dev.phronesis.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phronesis.cli.experiment.ExperimentRunner;
import dev.phronesis.core.UserError;
import dev.phronesis.core.records.Jsonl;
import dev.phronesis.pipeline.Plan;
import dev.phronesis.pipeline.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "status", header = "Show each stage of a run directory: done, stale (and which setting or input changed) or pending.",
        mixinStandardHelpOptions = true,
        description = {"The plan is rebuilt from the experiment the run was made from (run.json), as that file stands now.",
                "Exits 0 when every stage is done and current, 1 otherwise."})
final class StatusCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR") Path dir;
    @Option(names = "--json", description = "Print the status as JSON.") boolean json;

    @Override public Integer call() throws IOException {
        if (!Files.isDirectory(dir)) throw new UserError(dir + ": no such run directory");
        List<Path> runs;
        if (Files.exists(dir.resolve("stages.json"))) {
            runs = List.of(dir);
        } else {
            try (Stream<Path> s = Files.list(dir)) {
                runs = s.filter(p -> Files.exists(p.resolve("stages.json"))).sorted().toList();
            }
            if (runs.isEmpty()) throw new UserError(dir + ": not a Phronesis run directory (no stages.json here or in its sub-directories)");
        }
        boolean allDone = true;
        ObjectNode root = Jsonl.MAPPER.createObjectNode();
        ArrayNode out = root.putArray("runs");
        for (Path run : runs) {
            RunDirectory d = RunDirectory.existing(run);
            Plan plan = null;
            String why = null;
            try {
                plan = ExperimentRunner.plan(run);
            } catch (UserError e) {
                why = e.getMessage().lines().findFirst().orElse("");
            }
            ObjectNode r = out.addObject();
            r.put("dir", run.toString());
            if (plan != null) {
                ObjectNode p = plan.json();
                r.set("stages", p.path("stages"));
                allDone &= plan.allDone();
                if (!json) {
                    System.out.println(run + ":");
                    System.out.print(plan.text());
                }
            } else {
                r.put("note", "plan unavailable: " + why + "; recorded states only");
                ArrayNode a = r.putArray("stages");
                if (!json) {
                    System.out.println(run + ": (plan unavailable: " + why + "; recorded states only)");
                    System.out.printf("  %-30s %-8s %-22s %-22s %s%n", "stage", "state", "started", "finished", "note");
                }
                for (RunDirectory.StageState s : d.stages()) {
                    String state = s.state().name().toLowerCase(Locale.ROOT);
                    a.addObject().put("name", s.name()).put("status", state).put("key", s.key()).put("note", s.note());
                    if (!json) System.out.printf("  %-30s %-8s %-22s %-22s %s%n", s.name(), state, trim(s.startedAt()), trim(s.finishedAt()), s.note() == null ? "" : s.note());
                    allDone &= s.state() == RunDirectory.State.DONE;
                }
            }
        }
        if (json) System.out.println(Jsonl.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        return allDone ? Main.OK : Main.CHECK_FAILED;
    }

    private static String trim(String iso) { return iso == null ? "-" : iso.length() > 19 ? iso.substring(0, 19).replace('T', ' ') : iso; }
}
