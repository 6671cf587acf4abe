package dev.phronesis.cli;

import dev.phronesis.core.UserError;
import picocli.CommandLine;

import java.io.PrintWriter;

/** Turns exceptions into one-line messages and exit codes; no stack traces for user errors. */
final class Errors {
    private Errors() {}

    static final class Handler implements CommandLine.IExecutionExceptionHandler {
        @Override public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
            PrintWriter err = cl.getErr();
            if (ex instanceof UserError ue) {
                err.println(ue.getMessage());
                err.flush();
                return ue.exitCode();
            }
            if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
                err.println("phronesis: " + ex.getMessage());
                err.flush();
                return Main.USAGE;
            }
            if (ex instanceof IllegalArgumentException iae && iae.getMessage() != null
                    && dev.phronesis.core.JsonProblems.clean(iae.getMessage()).equals(iae.getMessage().strip())) {
                // a value refused by a record's or option's validation ("--strength must be within [1, 4], got 9"): the user's input
                err.println("phronesis: " + iae.getMessage().lines().findFirst().orElse(""));
                err.flush();
                return Main.USAGE;
            }
            err.println("phronesis: internal error: " + ex);
            if (System.getenv("PHRONESIS_DEBUG") != null) ex.printStackTrace(err);
            else err.println("(set PHRONESIS_DEBUG=1 for the stack trace)");
            err.flush();
            return 3;
        }
    }

    static final class ParameterHandler implements CommandLine.IParameterExceptionHandler {
        @Override public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine cl = ex.getCommandLine();
            PrintWriter err = cl.getErr();
            err.println("phronesis: " + ex.getMessage());
            if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, err)) {
                cl.usage(err, cl.getColorScheme());
            }
            err.flush();
            return Main.USAGE;
        }
    }
}
