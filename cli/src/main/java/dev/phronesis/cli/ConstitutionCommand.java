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
        @picocli.CommandLine.Option(names = "--json", description = "Print one JSON array, an object per file (ok, counts, sha256, or error), instead of text.") boolean json;

        @Override public Integer call() throws com.fasterxml.jackson.core.JsonProcessingException {
            int bad = 0;
            PrintStream out = System.out;
            var arr = dev.phronesis.core.Json.MAPPER.createArrayNode();
            for (String f : files) {
                try {
                    Constitution c = ConstitutionLoader.resolve(f);
                    if (json) {
                        arr.addObject().put("file", f).put("ok", true).put("id", c.id()).put("title", c.title()).put("version", String.valueOf(c.version()))
                                .put("principles", c.principles().size()).put("hard_constraints", c.hardConstraints().size()).put("heuristics", c.heuristics().size())
                                .put("harm_factors", c.harmFactors().size()).put("benefits", c.benefits().size()).put("modes", c.decision().modes().size())
                                .put("sha256", c.hash());
                        continue;
                    }
                    out.printf("%s: ok — %s (%s) v%s, %d principles, %d hard constraints, %d heuristics, %d harm factors, %d benefits, %d modes; sha256 %s%n",
                            f, c.title(), c.id(), c.version(), c.principles().size(), c.hardConstraints().size(), c.heuristics().size(),
                            c.harmFactors().size(), c.benefits().size(), c.decision().modes().size(), c.hash());
                } catch (UserError e) {
                    if (json) arr.addObject().put("file", f).put("ok", false).put("error", e.getMessage());
                    else System.err.println(e.getMessage());
                    bad++;
                }
            }
            if (json) out.println(dev.phronesis.core.Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
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
