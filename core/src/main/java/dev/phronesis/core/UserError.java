package dev.phronesis.core;

/**
 * A problem with what the user gave us (a file, a flag, a config), reported as one line with no
 * stack trace. The message names the file, line and field where there is one.
 */
public class UserError extends RuntimeException {
    private final int exitCode;

    public UserError(String message) { this(message, 2); }

    public UserError(String message, int exitCode) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public UserError(String message, Throwable cause) {
        super(message, cause, false, false);
        this.exitCode = 2;
    }

    /** 1 for a failed check, 2 for a usage or input error. */
    public int exitCode() { return exitCode; }
}
