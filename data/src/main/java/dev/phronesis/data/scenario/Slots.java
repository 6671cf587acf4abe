package dev.phronesis.data.scenario;

import dev.phronesis.core.UserError;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Fills {@code {slot}} placeholders; {@code {Slot}} capitalises the value. Values may hold slots themselves. */
public final class Slots {
    private static final Pattern SLOT = Pattern.compile("\\{([A-Za-z_]+)}");
    /** Nested slot values are resolved this many levels deep at most (a cycle is a taxonomy bug). */
    private static final int MAX_DEPTH = 4;

    private Slots() {}

    public static Map<String, String> pronouns(String pronoun) {
        Map<String, String> m = new HashMap<>();
        boolean she = pronoun.equals("she");
        m.put("subj", she ? "she" : "he");
        m.put("obj", she ? "her" : "him");
        m.put("pos", she ? "her" : "his");
        return m;
    }

    public static String fill(String template, Map<String, String> slots, String where) {
        return fill(template, slots, where, 0);
    }

    private static String fill(String template, Map<String, String> slots, String where, int depth) {
        if (depth > MAX_DEPTH) throw new UserError(where + ": slots nested too deeply in '" + template + "'");
        Matcher m = SLOT.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String lower = key.substring(0, 1).toLowerCase(Locale.ROOT) + key.substring(1);
            String v = slots.get(lower);
            if (v == null) throw new UserError(where + ": unknown slot {" + key + "} in '" + template + "'; known slots: " + new java.util.TreeSet<>(slots.keySet()));
            v = fill(v, slots, where, depth + 1);
            if (!key.equals(lower)) v = capitalise(v);
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }

    public static String capitalise(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }

    public static int words(String s) {
        String t = s.strip();
        return t.isEmpty() ? 0 : t.split("\\s+").length;
    }
}
