package dev.phronesis.bench;

import dev.phronesis.core.constitution.ConstitutionLoader;
import dev.phronesis.core.records.Scenario;
import dev.phronesis.data.scenario.ScenarioGenerator;
import dev.phronesis.data.scenario.ScriptedRealiser;
import dev.phronesis.data.scenario.Taxonomy;

import java.util.ArrayList;
import java.util.List;

/** Realistic benchmark inputs: scenario texts from the default taxonomy, several renderings per spec. */
final class ScenarioTexts {
    private ScenarioTexts() {}

    static List<String> generate(int count, long seed) {
        Taxonomy tax = Taxonomy.resolve("builtin:default");
        int renderings = 10;
        int specs = Math.max(1, (count + renderings - 1) / renderings);
        List<Scenario> base = ScenarioGenerator.generateInMemory(tax, ConstitutionLoader.resolve("builtin:general"),
                ScenarioGenerator.Options.budget(specs, seed).withSemanticDedup(false), null, null).scenarios();
        ScriptedRealiser r = new ScriptedRealiser(tax);
        List<String> out = new ArrayList<>(count);
        for (int k = 0; out.size() < count; k++) {
            Scenario s = base.get(k % base.size());
            out.add(r.realise(s.spec(), seed * 7919 + k).messages().getLast().content());
        }
        return out;
    }
}
