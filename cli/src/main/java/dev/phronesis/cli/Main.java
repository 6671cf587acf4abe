package dev.phronesis.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code phronesis} command. Only this module calls {@link System#exit}.
 *
 * <p>Exit codes: 0 ok, 1 a check failed (e.g. an invalid constitution, a failed gate run),
 * 2 usage or input error (bad flags, unreadable or malformed files).
 */
@Command(name = "phronesis",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        header = "Teach language models why: constitution-grounded deliberation data, training and evaluation.",
        description = "Author a constitution, synthesise diverse scenarios, distil deliberative reasoning, build SFT datasets, train a student and measure misalignment on held-out scenario kinds.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:a check failed", "2:usage or input error"},
        subcommands = {
                CommandLine.HelpCommand.class,
                ConstitutionCommand.class,
                DeliberateCommand.class,
                ScenariosCommand.class,
                LlmCommand.class,
                TrainCommand.class,
                GenerateCommand.class,
                ServeCommand.class,
                EvalCommand.class,
                ReportCommand.class,
                DemoCommand.class,
                RunCommand.class,
                StatusCommand.class,
                DistillCommand.class,
                DatasetCommand.class,
                DocumentsCommand.class,
                StudioCommand.class,
        })
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static final int OK = 0;
    public static final int CHECK_FAILED = 1;
    public static final int USAGE = 2;

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new Errors.Handler());
        cl.setParameterExceptionHandler(new Errors.ParameterHandler());
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"phronesis " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
