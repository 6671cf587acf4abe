package dev.phronesis.cli;

import dev.phronesis.core.records.Jsonl;
import dev.phronesis.studio.Studio;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "studio", mixinStandardHelpOptions = true,
        header = "Review a run's deliberations and eval transcripts in the browser (a local web app on 127.0.0.1).",
        description = {"Serves the review studio for RUN_DIR (a run made by demo, run or distill) on 127.0.0.1 and prints its URL,"
                + " which carries the session token; opens nothing by itself. Reviews go to reviews.jsonl in the distill folder,"
                + " eval relabels to human-labels.jsonl in RUN_DIR. See docs/studio.md."})
public final class StudioCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "the run directory") Path runDir;
    @Option(names = "--port", defaultValue = "0", description = "port on 127.0.0.1 (0 = any free port); default ${DEFAULT-VALUE}") int port;
    @Option(names = "--reviewer", description = "the name review records carry (default: the login name)") String reviewer;
    @Option(names = "--constitution", paramLabel = "FILE", description = "the constitution the run was distilled under, when it is not a built-in one (its hash must match)") String constitution;
    @Option(names = "--json", description = "print the URL and counts as one JSON line") boolean json;

    @Override public Integer call() throws Exception {
        String who = reviewer != null ? reviewer : System.getProperty("user.name", "expert");
        Studio studio = Studio.open(runDir, new Studio.Options(port, who, constitution));
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { studio.close(); stop.countDown(); }));
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("url", studio.url());
            m.put("samples", studio.samples());
            m.put("evalAnswers", studio.evalAnswers());
            m.put("reviewer", who);
            System.out.println(Jsonl.toJson(m));
        } else {
            System.out.printf("studio for %s: %d samples, %d eval answers, reviewing as %s%nopen %s%n(Ctrl-C to stop)%n",
                    runDir, studio.samples(), studio.evalAnswers(), who, studio.url());
        }
        System.out.flush();
        stop.await();
        return Main.OK;
    }
}
