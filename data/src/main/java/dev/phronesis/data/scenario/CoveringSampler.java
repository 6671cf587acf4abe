package dev.phronesis.data.scenario;

import dev.phronesis.data.scenario.Taxonomy.Axis;
import dev.phronesis.data.scenario.Taxonomy.Constraint;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * Greedy covering-array construction (AETG style) under constraints, then stratified random top-up.
 *
 * <p>Each new row is seeded with one still-uncovered t-tuple; the remaining axes are filled one at a
 * time with the value that covers the most new t-tuples among the axes already set, never breaking a
 * constraint. A finished row must also pass {@code rowCheck} (the calculator check of the kind axis);
 * a seed tuple that fails {@link #SEED_ATTEMPTS} times is recorded as unreachable. When every reachable
 * tuple is covered and the budget allows more rows, rows are drawn at random, cycling through the
 * allowed families so each family gets its share. Deterministic for a seed.
 */
final class CoveringSampler {
    /** Tries per seed tuple before it is declared unreachable; a handful suffices because fill order is random. */
    private static final int SEED_ATTEMPTS = 6;
    /** Random draws per top-up row before the family is skipped. */
    private static final int TOPUP_ATTEMPTS = 50;

    private static final byte OPEN = 0, COVERED = 1, FORBIDDEN = 2, UNREACHABLE = 3;

    private final List<Axis> axes;
    private final int n;
    private final int[] k;
    private final int t;
    private final int[][] consAxes;        // per constraint: axis indices
    private final boolean[][][] consVals;  // per constraint, per its axis: forbidden value mask
    private final int[] familyAxes;
    private final Predicate<int[]> familyOk; // called with a row whose family axes are all set
    private final Predicate<Map<String, String>> rowCheck;
    private final int[][] combos;          // all t-subsets of axes
    private final byte[][] state;          // per combo, per tuple index
    private final List<List<Integer>> combosOfAxis = new ArrayList<>();

    CoveringSampler(List<Axis> axes, List<Constraint> constraints, List<String> familyAxisIds,
                    Predicate<Map<String, String>> familyFilter, Predicate<Map<String, String>> rowCheck, int strength) {
        this.axes = List.copyOf(axes);
        this.n = axes.size();
        if (strength < 1 || strength > n) throw new IllegalArgumentException("strength must be within [1, " + n + "], got " + strength);
        this.t = strength;
        this.k = new int[n];
        for (int i = 0; i < n; i++) k[i] = axes.get(i).values().size();
        this.consAxes = new int[constraints.size()][];
        this.consVals = new boolean[constraints.size()][][];
        for (int c = 0; c < constraints.size(); c++) {
            var never = constraints.get(c).never();
            int[] ax = new int[never.size()];
            boolean[][] vals = new boolean[never.size()][];
            int j = 0;
            for (var e : never.entrySet()) {
                int a = axisIndex(e.getKey());
                ax[j] = a;
                vals[j] = new boolean[k[a]];
                for (String v : e.getValue()) {
                    int vi = axes.get(a).indexOf(v);
                    if (vi >= 0) vals[j][vi] = true;
                }
                j++;
            }
            consAxes[c] = ax;
            consVals[c] = vals;
        }
        this.familyAxes = familyAxisIds.stream().mapToInt(this::axisIndex).toArray();
        this.familyOk = row -> familyFilter.test(toMap(row));
        this.rowCheck = rowCheck;
        List<int[]> cs = new ArrayList<>();
        subsets(0, new int[t], 0, cs);
        this.combos = cs.toArray(int[][]::new);
        for (int i = 0; i < n; i++) combosOfAxis.add(new ArrayList<>());
        this.state = new byte[combos.length][];
        for (int c = 0; c < combos.length; c++) {
            int size = 1;
            for (int a : combos[c]) size = Math.multiplyExact(size, k[a]);
            state[c] = new byte[size];
            for (int a : combos[c]) combosOfAxis.get(a).add(c);
            int[] row = blank();
            for (int idx = 0; idx < size; idx++) {
                decode(c, idx, row);
                if (!partialValid(row)) state[c][idx] = FORBIDDEN;
            }
        }
    }

    private int axisIndex(String id) {
        for (int i = 0; i < n; i++) if (axes.get(i).id().equals(id)) return i;
        throw new IllegalArgumentException("no axis '" + id + "'");
    }

    private void subsets(int from, int[] cur, int depth, List<int[]> out) {
        if (depth == t) { out.add(cur.clone()); return; }
        for (int i = from; i < n; i++) { cur[depth] = i; subsets(i + 1, cur, depth + 1, out); }
    }

    private int[] blank() {
        int[] r = new int[n];
        java.util.Arrays.fill(r, -1);
        return r;
    }

    private void decode(int c, int idx, int[] row) {
        java.util.Arrays.fill(row, -1);
        int[] ax = combos[c];
        for (int j = ax.length - 1; j >= 0; j--) {
            row[ax[j]] = idx % k[ax[j]];
            idx /= k[ax[j]];
        }
    }

    /** Tuple index of combo c in row, or -1 when an axis of the combo is unset. */
    private int encode(int c, int[] row) {
        int idx = 0;
        for (int a : combos[c]) {
            if (row[a] < 0) return -1;
            idx = idx * k[a] + row[a];
        }
        return idx;
    }

    /** No constraint whose axes are all set matches, and the family (when set) is allowed. */
    private boolean partialValid(int[] row) {
        outer:
        for (int c = 0; c < consAxes.length; c++) {
            for (int j = 0; j < consAxes[c].length; j++) {
                int v = row[consAxes[c][j]];
                if (v < 0 || !consVals[c][j][v]) continue outer;
            }
            return false;
        }
        for (int a : familyAxes) if (row[a] < 0) return true;
        return familyOk.test(row);
    }

    Map<String, String> toMap(int[] row) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) if (row[i] >= 0) m.put(axes.get(i).id(), axes.get(i).values().get(row[i]).id());
        return m;
    }

    record Result(List<Map<String, String>> rows, Coverage coverage) {}

    Result sample(int budget, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Map<String, String>> rows = new ArrayList<>();
        int combo = 0, idx = 0;
        while (rows.size() < budget) {
            // next open seed tuple
            while (combo < combos.length && (idx >= state[combo].length || state[combo][idx] != OPEN)) {
                if (idx >= state[combo].length) { combo++; idx = 0; } else idx++;
            }
            if (combo >= combos.length) break;
            int[] row = null;
            for (int attempt = 0; attempt < SEED_ATTEMPTS && row == null; attempt++) row = build(combo, idx, rnd);
            if (row == null) { state[combo][idx] = UNREACHABLE; continue; }
            markCovered(row);
            rows.add(toMap(row));
        }
        int coveringRows = rows.size();
        topUp(rows, budget, rnd);
        return new Result(rows, coverage(coveringRows, rows.size()));
    }

    private int[] build(int seedCombo, int seedIdx, SplittableRandom rnd) {
        int[] row = blank();
        decode(seedCombo, seedIdx, row);
        if (!partialValid(row)) return null;
        int[] order = shuffledAxes(rnd);
        for (int a : order) {
            if (row[a] >= 0) continue;
            int best = -1, bestGain = -1, ties = 0;
            for (int v = 0; v < k[a]; v++) {
                row[a] = v;
                if (!partialValid(row)) continue;
                int gain = 0;
                for (int c : combosOfAxis.get(a)) {
                    int ti = encode(c, row);
                    if (ti >= 0 && state[c][ti] == OPEN) gain++;
                }
                if (gain > bestGain) { bestGain = gain; best = v; ties = 1; }
                else if (gain == bestGain && rnd.nextInt(++ties) == 0) best = v;
            }
            if (best < 0) return null;
            row[a] = best;
        }
        return rowCheck.test(toMap(row)) ? row : null;
    }

    private int[] shuffledAxes(SplittableRandom rnd) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); int x = order[i]; order[i] = order[j]; order[j] = x; }
        // family axes first, so the split filter prunes early
        int p = 0;
        for (int fa : familyAxes) {
            for (int i = 0; i < n; i++) if (order[i] == fa) { order[i] = order[p]; order[p] = fa; p++; break; }
        }
        return order;
    }

    private void markCovered(int[] row) {
        for (int c = 0; c < combos.length; c++) {
            int ti = encode(c, row);
            if (state[c][ti] == OPEN || state[c][ti] == UNREACHABLE) state[c][ti] = COVERED;
        }
    }

    /** Stratified random rows: cycle through the allowed families in a shuffled order. */
    private void topUp(List<Map<String, String>> rows, int budget, SplittableRandom rnd) {
        if (rows.size() >= budget) return;
        List<int[]> families = new ArrayList<>();
        int[] fam = blank();
        enumerateFamilies(0, fam, families);
        if (families.isEmpty()) return;
        for (int i = families.size() - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); var x = families.get(i); families.set(i, families.get(j)); families.set(j, x); }
        int f = 0, misses = 0;
        while (rows.size() < budget && misses < families.size()) {
            int[] base = families.get(f++ % families.size());
            int[] row = null;
            for (int attempt = 0; attempt < TOPUP_ATTEMPTS && row == null; attempt++) row = randomRow(base, rnd);
            if (row == null) { misses++; continue; }
            misses = 0;
            markCovered(row);
            rows.add(toMap(row));
        }
    }

    private void enumerateFamilies(int j, int[] row, List<int[]> out) {
        if (j == familyAxes.length) {
            if (partialValid(row)) out.add(row.clone());
            return;
        }
        int a = familyAxes[j];
        for (int v = 0; v < k[a]; v++) {
            row[a] = v;
            if (partialValid(row)) enumerateFamilies(j + 1, row, out);
        }
        row[a] = -1;
    }

    private int[] randomRow(int[] base, SplittableRandom rnd) {
        int[] row = base.clone();
        for (int a : shuffledAxes(rnd)) {
            if (row[a] >= 0) continue;
            int start = rnd.nextInt(k[a]);
            boolean ok = false;
            for (int d = 0; d < k[a] && !ok; d++) {
                row[a] = (start + d) % k[a];
                ok = partialValid(row);
            }
            if (!ok) return null;
        }
        return rowCheck.test(toMap(row)) ? row : null;
    }

    private Coverage coverage(int coveringRows, int rows) {
        long possible = 0, allowed = 0, covered = 0, unreachable = 0;
        for (byte[] s : state) {
            possible += s.length;
            for (byte b : s) {
                if (b != FORBIDDEN) allowed++;
                if (b == COVERED) covered++;
                if (b == UNREACHABLE) unreachable++;
            }
        }
        return new Coverage(t, possible, allowed, unreachable, covered, coveringRows, rows);
    }

    /** Coverage of arbitrary rows (e.g. after dedup) measured against this sampler's constraints. */
    Coverage measure(List<Map<String, String>> rows) {
        for (byte[] s : state) for (int i = 0; i < s.length; i++) if (s[i] == COVERED) s[i] = OPEN;
        int[] row = new int[n];
        for (Map<String, String> m : rows) {
            for (int i = 0; i < n; i++) row[i] = axes.get(i).indexOf(m.get(axes.get(i).id()));
            for (int c = 0; c < combos.length; c++) {
                int ti = encode(c, row);
                if (ti >= 0 && state[c][ti] == OPEN) state[c][ti] = COVERED;
            }
        }
        return coverage(rows.size(), rows.size());
    }
}
