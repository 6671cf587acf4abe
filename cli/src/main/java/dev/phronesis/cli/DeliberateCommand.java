package dev.phronesis.cli;

import dev.phronesis.core.calculator.DecidedBy;
import dev.phronesis.core.calculator.Assessment;
import dev.phronesis.core.calculator.AssessmentParser;
import dev.phronesis.core.calculator.Decision;
import dev.phronesis.core.calculator.DeliberationCalculator;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "deliberate", header = "Run the deliberation calculator on an assessment.",
        mixinStandardHelpOptions = true,
        description = {"Prints the decision, each factor's contribution and the smallest change that would flip it.",
                "Assessment syntax: factor=level (label or number), benefit.ID=level, intent.ID=count (counts add up to 1000), flag=FLAG.",
                "Example: phronesis deliberate --constitution builtin:general --assess probability=likely,severity=serious,consent=none"})
final class DeliberateCommand implements Callable<Integer> {
    @Option(names = "--constitution", required = true, paramLabel = "FILE", description = "Constitution YAML or builtin:NAME.") String constitution;
    @Option(names = "--assess", paramLabel = "K=V,...", description = "The assessment inline.") String assess;
    @Option(names = "--assessment", paramLabel = "FILE", description = "The assessment as a YAML/JSON file (harm:, benefits:, intents:, flags:).") Path assessmentFile;
    @Option(names = "--json", description = "Print the decision as JSON.") boolean json;

    @Override public Integer call() throws Exception {
        Constitution c = ConstitutionLoader.resolve(constitution);
        if ((assess == null) == (assessmentFile == null)) throw new UserError("give exactly one of --assess or --assessment");
        Assessment a = assess != null ? AssessmentParser.parseInline(c, assess) : AssessmentParser.load(c, assessmentFile);
        Decision d = new DeliberationCalculator(c).decide(a);
        if (json) {
            System.out.println(dev.phronesis.core.Json.pretty().writeValueAsString(d));
            return Main.OK;
        }
        System.out.printf(Locale.ROOT, "constitution: %s%n", c.ref());
        System.out.printf(Locale.ROOT, "decision:     %s%s%n", d.mode(), d.decidedBy() instanceof DecidedBy.Score ? "" : "  (" + d.decidedBy().wire() + "; score alone: " + d.scoreMode() + ")");
        System.out.printf(Locale.ROOT, "score:        %.3f   margin to nearest threshold: %s%n", d.score(),
                Double.isInfinite(d.margin()) ? "n/a" : String.format(Locale.ROOT, "%.3f", d.margin()));
        System.out.printf(Locale.ROOT, "1,000 users:  misuse share %.3f%n%n", d.misuseShare());
        System.out.printf(Locale.ROOT, "%-24s %-10s %-20s %10s%n", "factor", "kind", "level", "contrib");
        for (Decision.Contribution ct : d.contributions()) {
            System.out.printf(Locale.ROOT, "%-24s %-10s %-20s %+10.3f%n", ct.id(), ct.kind(), ct.label(), ct.value());
        }
        System.out.printf(Locale.ROOT, "%-24s %-10s %-20s %+10.3f%n%n", "total", "", "", d.score());
        if (d.sensitivity().isEmpty()) {
            System.out.println("sensitivity:  no single-factor change alters this decision");
        } else {
            Decision.Flip f = d.sensitivity().getFirst();
            System.out.printf(Locale.ROOT, "sensitivity:  %s %s -> %s would change the decision to %s%n", f.factor(), f.fromLabel(), f.toLabel(), f.newMode());
        }
        return Main.OK;
    }
}
