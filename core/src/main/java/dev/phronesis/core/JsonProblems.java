package dev.phronesis.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Jackson failure as words a user can act on: the field path it happened at and the problem, with
 * no Java class names ({@code `dev.phronesis.core.records.Split`} becomes {@code Split}), no
 * "from `StreamReadConstraints...`" tails and no source excerpts.
 */
public final class JsonProblems {
    private static final Pattern QUOTED_CLASS = Pattern.compile("`(?:[a-z_][\\w$]*\\.)+([A-Za-z_][\\w$]*)(?:\\$[\\w$]+)*`");
    private static final Pattern CONSTRAINTS = Pattern.compile("\\s*\\(?,?\\s*from `?StreamReadConstraints[^)]*\\)?\\)?");
    private static final Pattern HINTS = Pattern.compile("\\s*\\(through reference chain:.*|\\s*at \\[Source:.*|\\s*\\(for Object starting at.*|;?\\s*Use `[^`]*` to.*");

    private JsonProblems() {}

    /** "field 'a.b[2]': problem" when Jackson knows the path, else the problem alone; always one line. */
    public static String describe(Throwable e) {
        String m = e instanceof JsonProcessingException j && j.getOriginalMessage() != null ? j.getOriginalMessage() : String.valueOf(e.getMessage());
        m = clean(m);
        if (e instanceof JsonMappingException jm && !jm.getPath().isEmpty()) {
            StringBuilder path = new StringBuilder();
            for (JsonMappingException.Reference r : jm.getPath()) {
                if (r.getFieldName() != null) path.append(path.isEmpty() ? "" : ".").append(r.getFieldName());
                else if (r.getIndex() >= 0) path.append('[').append(r.getIndex()).append(']');
            }
            if (!path.isEmpty()) return "field '" + path + "': " + m;
        }
        return m;
    }

    /** One line, class names reduced to their simple names, constraint and source tails removed. */
    public static String clean(String message) {
        if (message == null) return "malformed JSON";
        String m = message.replaceAll("\\s+", " ").strip();
        m = CONSTRAINTS.matcher(m).replaceAll("");
        m = HINTS.matcher(m).replaceAll("");
        Matcher q = QUOTED_CLASS.matcher(m);
        m = q.replaceAll(r -> Matcher.quoteReplacement(r.group(1).toLowerCase(java.util.Locale.ROOT)));
        m = m.replaceAll("(?:java\\.lang\\.|java\\.util\\.|dev\\.phronesis\\.[\\w.]+\\.)", "");
        return m.strip();
    }
}
