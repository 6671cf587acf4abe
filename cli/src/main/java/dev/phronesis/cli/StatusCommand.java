package dev.phronesis.cli;

import dev.phronesis.cli.pipeline.RunDirectory;
import dev.phronesis.core.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "status", header = "Show the state of each stage of a run directory.", mixinStandardHelpOptions = true)
final class StatusCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR") Path dir;

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
        for (Path run : runs) {
            RunDirectory d = RunDirectory.existing(run);
            System.out.println(run + ":");
            System.out.printf("  %-28s %-8s %-22s %-22s %s%n", "stage", "state", "started", "finished", "note");
            for (RunDirectory.StageState s : d.stages()) {
                System.out.printf("  %-28s %-8s %-22s %-22s %s%n", s.name(), s.state().name().toLowerCase(java.util.Locale.ROOT),
                        trim(s.startedAt()), trim(s.finishedAt()), s.note() == null ? "" : s.note());
                allDone &= s.state() == RunDirectory.State.DONE;
            }
        }
        return allDone ? Main.OK : Main.CHECK_FAILED;
    }

    private static String trim(String iso) { return iso == null ? "-" : iso.length() > 19 ? iso.substring(0, 19).replace('T', ' ') : iso; }
}
