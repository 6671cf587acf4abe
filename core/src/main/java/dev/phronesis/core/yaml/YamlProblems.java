package dev.phronesis.core.yaml;

import dev.phronesis.core.UserError;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects every problem found in one YAML file, each as {@code file:line:col: message}, so a
 * loader can report them all at once and refuse to half-load.
 */
public final class YamlProblems {
    private final String file;
    private final List<String> problems = new ArrayList<>();

    public YamlProblems(String file) { this.file = file; }

    public String file() { return file; }

    public void add(YNode at, String message) {
        add(at == null ? 0 : at.line(), at == null ? 0 : at.column(), message);
    }

    public void add(int line, int column, String message) {
        problems.add(line > 0 ? file + ":" + line + ":" + column + ": " + message : file + ": " + message);
    }

    public boolean isEmpty() { return problems.isEmpty(); }

    public List<String> all() { return List.copyOf(problems); }

    /** Throws a {@link UserError} listing every problem (one per line) when there are any. */
    public void throwIfAny(String what) {
        if (problems.isEmpty()) return;
        String noun = problems.size() == 1 ? "problem" : "problems";
        throw new UserError(String.join("\n", problems) + "\n" + file + ": " + problems.size() + " " + noun + "; " + what + " not loaded");
    }
}
