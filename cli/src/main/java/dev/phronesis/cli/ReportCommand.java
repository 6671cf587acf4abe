package dev.phronesis.cli;

import dev.phronesis.core.UserError;
import dev.phronesis.eval.Arm;
import dev.phronesis.eval.Reports;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "report", header = "Write the HTML/Markdown/JSON report of one or more eval runs, side by side.",
        mixinStandardHelpOptions = true,
        description = {"Each RUN_DIR is one arm (named by its --arm, or NAME=RUN_DIR); the first is the baseline of every comparison.",
                "Example: phronesis report runs/none runs/advice-deliberation --out reports/ablation"})
final class ReportCommand implements Callable<Integer> {
    @CommandLine.Parameters(arity = "1..*", paramLabel = "[NAME=]RUN_DIR", description = "Eval run directories (from 'phronesis eval').") List<String> runs;
    @Option(names = "--out", paramLabel = "DIR", description = "Where to write report.html, summary.md and summary.json (default: RUN_DIR/report for one run).") Path out;
    @Option(names = "--print", description = "Also print summary.md.") boolean print;

    @Override public Integer call() throws Exception {
        List<Arm> arms = new ArrayList<>();
        for (String r : runs) {
            int eq = r.indexOf('=');
            String name = eq > 0 && !Files.exists(Path.of(r)) ? r.substring(0, eq) : null;
            Path dir = Path.of(name == null ? r : r.substring(eq + 1));
            Arm a = Arm.load(dir);
            arms.add(name == null ? a : a.withName(name));
        }
        Path target = out != null ? out : runs.size() == 1 ? Path.of(runs.getFirst().substring(runs.getFirst().indexOf('=') + 1)).resolve("report") : null;
        if (target == null) throw new UserError("phronesis report: give --out DIR when reporting several runs");
        Reports.Written w = Reports.write(arms, target);
        System.out.println("report:  " + w.html());
        System.out.println("summary: " + w.markdown());
        System.out.println("json:    " + w.json());
        if (print) System.out.print(Files.readString(w.markdown()));
        return Main.OK;
    }
}
