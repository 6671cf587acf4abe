package dev.phronesis.core.calculator;

import dev.phronesis.core.UserError;
import dev.phronesis.core.constitution.Constitution;
import dev.phronesis.core.constitution.Constitution.Condition;
import dev.phronesis.core.constitution.Constitution.Factor;
import dev.phronesis.core.constitution.Constitution.Intent;
import dev.phronesis.core.constitution.ConstitutionLoader;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The deliberation calculator: pure, deterministic and fast.
 *
 * <p>Score model (documented in docs/constitutions.md): each harm factor adds
 * {@code weight * level / maxLevel} (aggravating) or {@code weight * (1 - level / maxLevel)}
 * (mitigating: the less consent, the more harm); each benefit subtracts
 * {@code weight * level / maxLevel}; the 1,000-users test adds {@code population.weight * misuseShare},
 * where misuseShare is the misuse of every intent weighted by how many of the 1,000 senders hold it.
 * The score picks a mode by thresholds; rules can only raise the mode to a floor; a triggered hard
 * constraint always gives the policy's hard-constraint mode. Hence the properties the tests check:
 * more harm never makes the decision more permissive, more benefit never less permissive, and the
 * contributions sum to the score.
 *
 * <p>Construction compiles the constitution into flat tables; {@link #decideIndex} is allocation-free.
 */
public final class DeliberationCalculator {
    private final Constitution c;
    private final int nHarm;
    private final int nBenefit;
    /** contribution[f][level] for harm factors followed by benefits. */
    private final double[][] table;
    private final double popWeight;
    private final double[] thresholds; // thresholds[i] = lower bound of mode i (i >= 1)
    private final int[][] ruleTargets; // per rule: factor index (harm, then benefits), or -1 for misuse share
    private final boolean[][] ruleAtLeast;
    private final double[][] ruleValues;
    private final int[] ruleFloor;
    private final int hardMode;
    private final Map<String, Integer> factorIndex = new HashMap<>();
    private final Map<String, Integer> flagIndex = new HashMap<>();
    private final Map<String, Integer> intentIndex = new HashMap<>();
    private final double[] intentMisuse;
    private final int[] defaultLevels;
    private final int[] defaultMix;

    public DeliberationCalculator(Constitution constitution) {
        this.c = constitution;
        this.nHarm = c.harmFactors().size();
        this.nBenefit = c.benefits().size();
        this.table = new double[nHarm + nBenefit][];
        this.defaultLevels = new int[nHarm + nBenefit];
        for (int i = 0; i < nHarm + nBenefit; i++) {
            Factor f = factor(i);
            factorIndex.put(i < nHarm ? f.id() : "benefit." + f.id(), i);
            double[] row = new double[f.levels().size()];
            for (int l = 0; l < row.length; l++) {
                double frac = (double) l / f.maxLevel();
                row[l] = switch (f.direction()) {
                    case AGGRAVATING -> f.weight() * frac;
                    case MITIGATING -> f.weight() * (1 - frac);
                    case BENEFIT -> -f.weight() * frac;
                };
            }
            table[i] = row;
            defaultLevels[i] = f.defaultLevel();
        }
        this.popWeight = c.population().weight();
        List<Intent> intents = c.population().intents();
        this.intentMisuse = new double[intents.size()];
        this.defaultMix = new int[intents.size()];
        for (int i = 0; i < intents.size(); i++) {
            intentIndex.put(intents.get(i).id(), i);
            intentMisuse[i] = intents.get(i).misuse();
            defaultMix[i] = c.population().defaultMix().getOrDefault(intents.get(i).id(), 0);
        }
        var modes = c.decision().modes();
        this.thresholds = new double[modes.size()];
        for (int i = 0; i < modes.size(); i++) thresholds[i] = modes.get(i).from();
        var rules = c.decision().rules();
        ruleTargets = new int[rules.size()][];
        ruleAtLeast = new boolean[rules.size()][];
        ruleValues = new double[rules.size()][];
        ruleFloor = new int[rules.size()];
        for (int r = 0; r < rules.size(); r++) {
            List<Condition> when = rules.get(r).when();
            ruleTargets[r] = new int[when.size()];
            ruleAtLeast[r] = new boolean[when.size()];
            ruleValues[r] = new double[when.size()];
            for (int k = 0; k < when.size(); k++) {
                Condition cond = when.get(k);
                ruleTargets[r][k] = cond.target().equals(ConstitutionLoader.MISUSE_SHARE) ? -1 : factorIndex.get(cond.target());
                ruleAtLeast[r][k] = cond.atLeast();
                ruleValues[r][k] = cond.value();
            }
            ruleFloor[r] = c.decision().indexOf(rules.get(r).atLeast());
        }
        for (int h = 0; h < c.hardConstraints().size(); h++) flagIndex.put(c.hardConstraints().get(h).flag(), h);
        this.hardMode = c.decision().indexOf(c.decision().onHardConstraint());
    }

    public Constitution constitution() { return c; }

    private Factor factor(int i) { return i < nHarm ? c.harmFactors().get(i) : c.benefits().get(i - nHarm); }

    /** Number of level slots in a compiled assessment: harm factors, then benefits. */
    public int slots() { return nHarm + nBenefit; }

    /** A compiled assessment: levels per slot, the population's misuse share, and a bitmask of triggered hard constraints. */
    public record Compiled(int[] levels, double misuseShare, long flags) {}

    /** Validates and compiles an assessment (names and levels checked against the constitution). */
    public Compiled compile(Assessment a) {
        int[] levels = defaultLevels.clone();
        for (var e : a.harm().entrySet()) setLevel(levels, e.getKey(), e.getValue(), false);
        for (var e : a.benefits().entrySet()) setLevel(levels, "benefit." + e.getKey(), e.getValue(), true);
        double share = misuseShare(a.intentMix());
        long flags = 0;
        for (String f : a.flags()) {
            Integer h = flagIndex.get(f);
            if (h == null) throw new UserError("unknown hard-constraint flag '" + f + "'"
                    + dev.phronesis.core.yaml.YMapReader.didYouMean(f, flagIndex.keySet()) + "; flags are " + flagIndex.keySet());
            flags |= 1L << h;
        }
        return new Compiled(levels, share, flags);
    }

    private void setLevel(int[] levels, String key, int level, boolean benefit) {
        Integer i = factorIndex.get(key);
        if (i == null) {
            String bare = benefit ? key.substring("benefit.".length()) : key;
            List<String> names = benefit ? c.benefits().stream().map(Factor::id).toList() : c.harmFactors().stream().map(Factor::id).toList();
            throw new UserError("unknown " + (benefit ? "benefit" : "harm factor") + " '" + bare + "'"
                    + dev.phronesis.core.yaml.YMapReader.didYouMean(bare, names) + "; known: " + names);
        }
        Factor f = factor(i);
        if (level < 0 || level > f.maxLevel()) {
            throw new UserError(key + ": level " + level + " is out of range [0, " + f.maxLevel() + "]");
        }
        levels[i] = level;
    }

    /** The 1,000-users test as a policy: misuse weighted by how many senders hold each intent. */
    public double misuseShare(Map<String, Integer> mix) {
        int[] counts = defaultMix;
        if (!mix.isEmpty()) {
            counts = new int[intentMisuse.length];
            int total = 0;
            for (var e : mix.entrySet()) {
                Integer i = intentIndex.get(e.getKey());
                if (i == null) throw new UserError("unknown intent '" + e.getKey() + "'"
                        + dev.phronesis.core.yaml.YMapReader.didYouMean(e.getKey(), intentIndex.keySet()) + "; intents are " + intentIndex.keySet());
                if (e.getValue() < 0) throw new UserError("intent " + e.getKey() + ": count must be >= 0");
                counts[i] = e.getValue();
                total += e.getValue();
            }
            if (total != ConstitutionLoader.POPULATION_SIZE) {
                throw new UserError("the intent mix must add up to " + ConstitutionLoader.POPULATION_SIZE + " senders, found " + total);
            }
        }
        double s = 0;
        for (int i = 0; i < counts.length; i++) s += counts[i] * intentMisuse[i];
        return s / ConstitutionLoader.POPULATION_SIZE;
    }

    /** The score of a compiled assessment (sum of contributions). */
    public double score(int[] levels, double misuseShare) {
        double s = popWeight * misuseShare;
        for (int i = 0; i < levels.length; i++) s += table[i][levels[i]];
        return s;
    }

    private int modeForScore(double score) {
        int m = 0;
        for (int i = 1; i < thresholds.length; i++) if (score >= thresholds[i]) m = i;
        return m;
    }

    private int firedFloor(int[] levels, double misuseShare) {
        int floor = 0;
        for (int r = 0; r < ruleFloor.length; r++) {
            if (ruleFloor[r] <= floor) continue;
            if (ruleHolds(r, levels, misuseShare)) floor = ruleFloor[r];
        }
        return floor;
    }

    private boolean ruleHolds(int r, int[] levels, double misuseShare) {
        int[] t = ruleTargets[r];
        for (int k = 0; k < t.length; k++) {
            double v = t[k] < 0 ? misuseShare : levels[t[k]];
            if (ruleAtLeast[r][k] ? v < ruleValues[r][k] : v > ruleValues[r][k]) return false;
        }
        return true;
    }

    /** The decision's mode index for a compiled assessment. Allocation-free: the benchmark's hot path. */
    public int decideIndex(int[] levels, double misuseShare, long flags) {
        if (flags != 0) return hardMode;
        return Math.max(modeForScore(score(levels, misuseShare)), firedFloor(levels, misuseShare));
    }

    public String decideMode(Assessment a) {
        Compiled k = compile(a);
        return c.decision().modes().get(decideIndex(k.levels(), k.misuseShare(), k.flags())).id();
    }

    /** The full answer: mode, score, margin, contributions and sensitivity. */
    public Decision decide(Assessment a) {
        Compiled k = compile(a);
        return explain(k);
    }

    public Decision explain(Compiled k) {
        int[] levels = k.levels();
        double share = k.misuseShare();
        List<Decision.Contribution> contributions = new ArrayList<>();
        for (int i = 0; i < levels.length; i++) {
            Factor f = factor(i);
            contributions.add(new Decision.Contribution(f.id(), i < nHarm ? "harm" : "benefit", levels[i], f.label(levels[i]), table[i][levels[i]]));
        }
        contributions.add(new Decision.Contribution("thousand-users", "population", -1,
                "misuse share " + Math.round(share * 1000) / 1000.0, popWeight * share));
        double score = 0;
        for (Decision.Contribution ct : contributions) score += ct.value();
        int scoreMode = modeForScore(score);
        int mode = decideIndex(levels, share, k.flags());
        DecidedBy decidedBy = DecidedBy.SCORE;
        double margin;
        if (k.flags() != 0) {
            int h = Long.numberOfTrailingZeros(k.flags());
            decidedBy = new DecidedBy.HardConstraint(c.hardConstraints().get(h).id());
            margin = Double.POSITIVE_INFINITY;
        } else {
            double lower = scoreMode == 0 ? Double.NEGATIVE_INFINITY : thresholds[scoreMode];
            double upper = scoreMode + 1 < thresholds.length ? thresholds[scoreMode + 1] : Double.POSITIVE_INFINITY;
            margin = Math.min(score - lower, upper - score);
            if (mode > scoreMode) {
                for (int r = 0; r < ruleFloor.length; r++) {
                    if (ruleFloor[r] == mode && ruleHolds(r, levels, share)) {
                        decidedBy = new DecidedBy.Rule(c.decision().rules().get(r).id());
                        break;
                    }
                }
            }
        }
        return new Decision(c.decision().modes().get(mode).id(), score, c.decision().modes().get(scoreMode).id(), margin,
                decidedBy, share, contributions, sensitivity(levels, share, k.flags(), mode));
    }

    /** For every factor, the nearest level (fewest steps) that changes the decision; sorted by steps. */
    private List<Decision.Flip> sensitivity(int[] levels, double share, long flags, int mode) {
        if (flags != 0) return List.of();
        List<Decision.Flip> flips = new ArrayList<>();
        int[] trial = levels.clone();
        for (int i = 0; i < levels.length; i++) {
            Factor f = factor(i);
            Decision.Flip best = null;
            for (int l = 0; l <= f.maxLevel(); l++) {
                if (l == levels[i]) continue;
                trial[i] = l;
                // the full recomputation, not an incremental update: rounding must match decide() exactly at thresholds
                int m = decideIndex(trial, share, 0);
                if (m != mode && (best == null || Math.abs(l - levels[i]) < best.steps())) {
                    best = new Decision.Flip(i < nHarm ? f.id() : "benefit." + f.id(), levels[i], f.label(levels[i]), l, f.label(l),
                            c.decision().modes().get(m).id());
                }
            }
            trial[i] = levels[i];
            if (best != null) flips.add(best);
        }
        flips.sort(Comparator.comparingInt(Decision.Flip::steps).thenComparing(Decision.Flip::factor));
        return flips;
    }
}
