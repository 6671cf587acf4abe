package dev.phronesis.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD inner loops of {@link CpuLlama} on the JDK Vector API (jdk.incubator.vector; the JVM
 * must be started with {@code --add-modules jdk.incubator.vector}, which {@code phronesis},
 * {@code bench/run} and the tests do). Loaded only when that module is present: HotSpot's
 * auto-vectoriser leaves these loops scalar on JDK 25 (it cannot rule out that the output and
 * weight arrays overlap), which made them 4-5x slower.
 */
final class CpuVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private CpuVector() {}

    /** y[yo ..< yo+len] = fma(a1, w[w1..], fma(a0, w[w0..], y[yo..])). */
    static void axpy2(float[] y, int yo, float[] w, int w0, int w1, float a0, float a1, int len) {
        FloatVector b0 = FloatVector.broadcast(S, a0), b1 = FloatVector.broadcast(S, a1);
        int j = 0;
        for (int n = S.loopBound(len); j < n; j += L) {
            FloatVector v = FloatVector.fromArray(S, y, yo + j);
            v = FloatVector.fromArray(S, w, w0 + j).fma(b0, v);
            v = FloatVector.fromArray(S, w, w1 + j).fma(b1, v);
            v.intoArray(y, yo + j);
        }
        for (; j < len; j++) y[yo + j] = Math.fma(a1, w[w1 + j], Math.fma(a0, w[w0 + j], y[yo + j]));
    }

    /** y[yo ..< yo+len] = fma(a, w[wo..], y[yo..]). */
    static void axpy(float[] y, int yo, float[] w, int wo, float a, int len) {
        FloatVector b = FloatVector.broadcast(S, a);
        int j = 0;
        for (int n = S.loopBound(len); j < n; j += L) {
            FloatVector v = FloatVector.fromArray(S, y, yo + j);
            FloatVector.fromArray(S, w, wo + j).fma(b, v).intoArray(y, yo + j);
        }
        for (; j < len; j++) y[yo + j] = Math.fma(a, w[wo + j], y[yo + j]);
    }

    /** Inputs per k-block: a block of 64 weight rows × 4 vectors (16 KB) stays in L1 while every row tile of the batch uses it. */
    static final int KB = 64;

    /**
     * y[b, j0 + c ..] += x[b, :] · w[:, c ..] for the rows b of one (in, pw) weight panel starting at
     * {@code base}: micro-tiles of 4 rows × 4 vectors keep 16 accumulators in registers over a block
     * of {@link #KB} inputs (each weight load feeds 4 rows; the block is read from memory once and
     * from L1 by the other row tiles). Every element is y + x₀w₀ + x₁w₁ + ... in input order with
     * fused multiply-adds (a block continues from the previous block's sum in y), the same in the
     * 4-row, 1-row and scalar tails, so the result does not depend on the batch or the blocking.
     */
    static void panel(float[] x, int n, int in, float[] w, int base, int pw, float[] y, int out, int j0) {
        int cEnd = pw / (4 * L) * (4 * L);
        for (int c = 0; c < cEnd; c += 4 * L)
            for (int k0 = 0; k0 < in; k0 += KB) {
                int len = Math.min(KB, in - k0), wo = base + c + k0 * pw, b = 0;
                for (; b + 4 <= n; b += 4) micro4(x, in, len, w, wo, pw, y, b * out + j0 + c, out, b * in + k0);
                for (; b < n; b++) micro1(x, len, w, wo, pw, y, b * out + j0 + c, b * in + k0);
            }
        for (int c = cEnd; c < pw; c++)
            for (int b = 0; b < n; b++) {
                float a = y[b * out + j0 + c];
                for (int i = 0; i < in; i++) a = Math.fma(x[b * in + i], w[base + i * pw + c], a);
                y[b * out + j0 + c] = a;
            }
    }

    /** 4 rows (x row stride {@code in}) × 4 vectors, over {@code len} inputs from x[xo..] and weight row wo. */
    private static void micro4(float[] x, int in, int len, float[] w, int wo, int pw, float[] y, int yo, int out, int xo) {
        FloatVector a00 = FloatVector.fromArray(S, y, yo), a01 = FloatVector.fromArray(S, y, yo + 1 * L), a02 = FloatVector.fromArray(S, y, yo + 2 * L), a03 = FloatVector.fromArray(S, y, yo + 3 * L);
        FloatVector a10 = FloatVector.fromArray(S, y, yo + 1 * out), a11 = FloatVector.fromArray(S, y, yo + 1 * out + 1 * L), a12 = FloatVector.fromArray(S, y, yo + 1 * out + 2 * L), a13 = FloatVector.fromArray(S, y, yo + 1 * out + 3 * L);
        FloatVector a20 = FloatVector.fromArray(S, y, yo + 2 * out), a21 = FloatVector.fromArray(S, y, yo + 2 * out + 1 * L), a22 = FloatVector.fromArray(S, y, yo + 2 * out + 2 * L), a23 = FloatVector.fromArray(S, y, yo + 2 * out + 3 * L);
        FloatVector a30 = FloatVector.fromArray(S, y, yo + 3 * out), a31 = FloatVector.fromArray(S, y, yo + 3 * out + 1 * L), a32 = FloatVector.fromArray(S, y, yo + 3 * out + 2 * L), a33 = FloatVector.fromArray(S, y, yo + 3 * out + 3 * L);
        int x1 = xo + in, x2 = x1 + in, x3 = x2 + in;
        for (int i = 0; i < len; i++, wo += pw) {
            FloatVector w0 = FloatVector.fromArray(S, w, wo), w1 = FloatVector.fromArray(S, w, wo + L), w2 = FloatVector.fromArray(S, w, wo + 2 * L), w3 = FloatVector.fromArray(S, w, wo + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, x[xo + i]), b1 = FloatVector.broadcast(S, x[x1 + i]), b2 = FloatVector.broadcast(S, x[x2 + i]), b3 = FloatVector.broadcast(S, x[x3 + i]);
            a00 = w0.fma(b0, a00); a01 = w1.fma(b0, a01); a02 = w2.fma(b0, a02); a03 = w3.fma(b0, a03);
            a10 = w0.fma(b1, a10); a11 = w1.fma(b1, a11); a12 = w2.fma(b1, a12); a13 = w3.fma(b1, a13);
            a20 = w0.fma(b2, a20); a21 = w1.fma(b2, a21); a22 = w2.fma(b2, a22); a23 = w3.fma(b2, a23);
            a30 = w0.fma(b3, a30); a31 = w1.fma(b3, a31); a32 = w2.fma(b3, a32); a33 = w3.fma(b3, a33);
        }
        a00.intoArray(y, yo); a01.intoArray(y, yo + 1 * L); a02.intoArray(y, yo + 2 * L); a03.intoArray(y, yo + 3 * L);
        a10.intoArray(y, yo + 1 * out); a11.intoArray(y, yo + 1 * out + 1 * L); a12.intoArray(y, yo + 1 * out + 2 * L); a13.intoArray(y, yo + 1 * out + 3 * L);
        a20.intoArray(y, yo + 2 * out); a21.intoArray(y, yo + 2 * out + 1 * L); a22.intoArray(y, yo + 2 * out + 2 * L); a23.intoArray(y, yo + 2 * out + 3 * L);
        a30.intoArray(y, yo + 3 * out); a31.intoArray(y, yo + 3 * out + 1 * L); a32.intoArray(y, yo + 3 * out + 2 * L); a33.intoArray(y, yo + 3 * out + 3 * L);
    }

    private static void micro1(float[] x, int len, float[] w, int wo, int pw, float[] y, int yo, int xo) {
        FloatVector a0 = FloatVector.fromArray(S, y, yo), a1 = FloatVector.fromArray(S, y, yo + L), a2 = FloatVector.fromArray(S, y, yo + 2 * L), a3 = FloatVector.fromArray(S, y, yo + 3 * L);
        for (int i = 0; i < len; i++, wo += pw) {
            FloatVector b = FloatVector.broadcast(S, x[xo + i]);
            a0 = FloatVector.fromArray(S, w, wo).fma(b, a0);
            a1 = FloatVector.fromArray(S, w, wo + L).fma(b, a1);
            a2 = FloatVector.fromArray(S, w, wo + 2 * L).fma(b, a2);
            a3 = FloatVector.fromArray(S, w, wo + 3 * L).fma(b, a3);
        }
        a0.intoArray(y, yo); a1.intoArray(y, yo + L); a2.intoArray(y, yo + 2 * L); a3.intoArray(y, yo + 3 * L);
    }

}
