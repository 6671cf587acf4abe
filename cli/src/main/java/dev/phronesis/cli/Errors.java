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
                err.println("phronesis: " + ioMessage(ex instanceof java.io.UncheckedIOException u ? u.getCause() : ex));
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

    /** A file-system failure in words: the JDK's own message for these is the bare path. */
    static String ioMessage(Throwable e) {
        return switch (e) {
            case java.nio.file.NoSuchFileException x -> "no such file or directory: " + x.getFile();
            case java.nio.file.AccessDeniedException x -> "permission denied: " + x.getFile();
            case java.nio.file.FileAlreadyExistsException x -> "already exists: " + x.getFile();
            case java.nio.file.NotDirectoryException x -> "not a directory: " + x.getFile();
            case java.nio.file.DirectoryNotEmptyException x -> "directory not empty: " + x.getFile();
            case java.nio.file.FileSystemException x when x.getReason() != null -> x.getFile() + ": " + x.getReason();
            default -> String.valueOf(e.getMessage());
        };
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
