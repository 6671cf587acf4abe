package dev.phronesis.core.constitution;

import dev.phronesis.core.constitution.Constitution.Factor;

import java.util.Locale;

/** Readable renderings of a constitution for reviewers (plain text and Markdown). */
public final class ConstitutionRenderer {
    private ConstitutionRenderer() {}

    public static String text(Constitution c) { return render(c, false); }

    public static String markdown(Constitution c) { return render(c, true); }

    private static String render(Constitution c, boolean md) {
        StringBuilder b = new StringBuilder();
        String h1 = md ? "# " : "";
        String h2 = md ? "\n## " : "\n== ";
        String h2end = md ? "\n\n" : " ==\n";
        String li = md ? "- " : "  * ";
        b.append(h1).append(c.title()).append(" (").append(c.id()).append(" v").append(c.version()).append(")\n");
        b.append(md ? "\n`sha256 " : "sha256 ").append(c.hash()).append(md ? "`\n" : "\n");
        if (!c.description().isBlank()) b.append('\n').append(c.description().strip()).append('\n');
        b.append(h2).append("Principles, by priority (").append(String.join(" > ", c.tiers())).append(")").append(h2end);
        for (String tier : c.tiers()) {
            b.append(md ? "\n**" + tier + "**\n\n" : "\n" + tier.toUpperCase(Locale.ROOT) + "\n");
            c.principles().stream().filter(p -> p.tier().equals(tier))
                    .forEach(p -> b.append(li).append('[').append(p.id()).append("] ").append(p.text()).append('\n'));
        }
        b.append(h2).append("Hard constraints (filters, never weights)").append(h2end);
        for (var h : c.hardConstraints()) {
            b.append(li).append('[').append(h.id()).append("] ").append(h.text()).append("\n    test (flag ").append(h.flag()).append("): ").append(h.test()).append('\n');
        }
        b.append(h2).append("Heuristics").append(h2end);
        for (var h : c.heuristics()) {
            b.append(li).append(h.name()).append(" [").append(h.id()).append("]\n");
            for (String q : h.questions()) b.append("    ? ").append(q).append('\n');
            b.append("    => ").append(h.bearsOn()).append('\n');
        }
        b.append(h2).append("Harm factors").append(h2end);
        for (Factor f : c.harmFactors()) factor(b, f, li);
        b.append(h2).append("Benefits").append(h2end);
        for (Factor f : c.benefits()) factor(b, f, li);
        b.append(h2).append("The 1,000-users population (weight ").append(fmt(c.population().weight())).append(")").append(h2end);
        for (var i : c.population().intents()) {
            b.append(li).append(i.id()).append(" (misuse ").append(fmt(i.misuse())).append(", default ")
                    .append(c.population().defaultMix().getOrDefault(i.id(), 0)).append("/1000): ").append(i.description()).append('\n');
        }
        b.append(h2).append("Decision policy").append(h2end);
        for (var m : c.decision().modes()) {
            b.append(li).append(m.id()).append(Double.isInfinite(m.from()) ? " (score below the next threshold)" : " (score >= " + fmt(m.from()) + ")")
                    .append(": ").append(m.text()).append('\n');
        }
        b.append(li).append("any hard constraint triggered: ").append(c.decision().onHardConstraint()).append('\n');
        for (var r : c.decision().rules()) {
            b.append(li).append("rule ").append(r.id()).append(": at least ").append(r.atLeast()).append(" when ");
            b.append(String.join(" and ", r.when().stream().map(w -> w.target() + (w.atLeast() ? " >= " : " <= ") + fmt(w.value())).toList()));
            if (!r.text().isBlank()) b.append(" — ").append(r.text());
            b.append('\n');
        }
        if (!c.guidance().isEmpty()) {
            b.append(h2).append("Domain guidance").append(h2end);
            for (var g : c.guidance()) b.append(li).append(g.topic()).append(": ").append(g.text()).append('\n');
        }
        return b.toString();
    }

    private static void factor(StringBuilder b, Factor f, String li) {
        b.append(li).append(f.name()).append(" [").append(f.id()).append("], weight ").append(fmt(f.weight()))
                .append(f.direction() == Constitution.Direction.MITIGATING ? ", mitigating" : "").append('\n');
        for (var l : f.levels()) {
            b.append("    ").append(l.level()).append(' ').append(l.label()).append(l.level() == f.defaultLevel() ? " (default)" : "")
                    .append(": ").append(l.anchor()).append('\n');
        }
    }

    static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.2f", d);
    }
}
