package dev.phronesis.cli;

import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.constitution.ConstitutionRenderer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "constitution", header = "Validate and show constitution files.",
        mixinStandardHelpOptions = true,
        subcommands = {ConstitutionCommand.Validate.class, ConstitutionCommand.Show.class})
final class ConstitutionCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    @Command(name = "validate", header = "Check constitution files and report every problem as file:line:col.",
            mixinStandardHelpOptions = true,
            description = "Exits 0 when every file is valid, 1 when any has problems. FILE may also be builtin:general, builtin:health or builtin:finance.")
    static final class Validate implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE") List<String> files;

        @Override public Integer call() {
            int bad = 0;
            PrintStream out = System.out;
            for (String f : files) {
                try {
                    Constitution c = ConstitutionLoader.resolve(f);
                    out.printf("%s: ok — %s (%s) v%s, %d principles, %d hard constraints, %d heuristics, %d harm factors, %d benefits, %d modes; sha256 %s%n",
                            f, c.title(), c.id(), c.version(), c.principles().size(), c.hardConstraints().size(), c.heuristics().size(),
                            c.harmFactors().size(), c.benefits().size(), c.decision().modes().size(), c.hash());
                } catch (UserError e) {
                    System.err.println(e.getMessage());
                    bad++;
                }
            }
            return bad == 0 ? Main.OK : Main.CHECK_FAILED;
        }
    }

    @Command(name = "show", header = "Render a constitution for human reviewers.", mixinStandardHelpOptions = true)
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "A constitution YAML file or builtin:NAME.") String file;
        @picocli.CommandLine.Option(names = "--markdown", description = "Markdown instead of plain text.") boolean markdown;

        @Override public Integer call() {
            Constitution c = ConstitutionLoader.resolve(file);
            System.out.print(markdown ? ConstitutionRenderer.markdown(c) : ConstitutionRenderer.text(c));
            return Main.OK;
        }
    }
}
