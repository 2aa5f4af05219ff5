package org.unmask.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector helpers whose results are fixed bit for bit. The Vector API leaves the order of {@code reduceLanes(ADD)}
 * and the algorithm of {@code lanewise(EXP)} to the implementation, and the interpreted and JIT-compiled forms
 * differ in the last bit, which would make a model's output depend on how warm the JVM is. These use only
 * exactly-rounded lane operations (add, mul, fma, permutes, integer bit work).
 */
public final class Simd {
    private Simd() {}

    public static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    // Butterfly permutes (lane i swaps with lane i ^ s), one static final field each so the JIT sees constants; a
    // shuffle read from an array is not constant-folded and made every reduction several times slower.
    private static final VectorShuffle<Float> SWAP_8 = swap(8), SWAP_4 = swap(4), SWAP_2 = swap(2), SWAP_1 = swap(1);

    private static VectorShuffle<Float> swap(int step) {
        return step < S.length() ? VectorShuffle.fromOp(S, i -> i ^ step) : null;
    }

    /** Sum of the lanes in a fixed pairwise order (the same bits interpreted or compiled). */
    public static float sum(FloatVector v) {
        int n = S.length();
        if (n >= 16) v = v.add(v.rearrange(SWAP_8));
        if (n >= 8) v = v.add(v.rearrange(SWAP_4));
        if (n >= 4) v = v.add(v.rearrange(SWAP_2));
        if (n >= 2) v = v.add(v.rearrange(SWAP_1));
        return v.lane(0);
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693145751953125f;       // ln 2 in 16 bits, so n·LN2_HI is exact
    private static final float LN2_LO = 1.42860682030941723212e-6f;
    private static final float ROUND = 12582912f;                  // 1.5·2^23: adding it rounds to an integer
    private static final float MIN_X = -87.33654f, MAX_X = 88.0f;

    /**
     * {@code e^x} per lane to about one ulp: {@code 2^n · e^r} with {@code n = round(x·log2 e)} and a degree-7
     * Taylor polynomial for {@code |r| ≤ ln2/2}. Below {@code -87.3} (including −∞) the result is exactly 0.
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(MIN_X).min(MAX_X);
        FloatVector n = xc.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, 1f / 5040);
        p = p.fma(r, FloatVector.broadcast(S, 1f / 720));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector result = p.mul(bits.reinterpretAsFloats());
        return result.blend(0f, x.lt(MIN_X));
    }

    // The loops over exp live here, in small methods of their own, rather than in the kernels' bodies: a large
    // kernel exhausts the JIT's inlining budget before it reaches exp, and a vector passed to or returned from a
    // method that is not inlined is boxed, a heap object per call (measured in a training step: cross-entropy 15 times
    // slower than in isolation, with hundreds of MB of vector boxes per second). These take and return scalars only.

    /** {@code max_{i<n} a[off+i]}, −∞ when {@code n} is 0. */
    public static float max(float[] a, int off, int n) {
        int i = 0, lanes = S.length();
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int bound = S.loopBound(n); i < bound; i += lanes) acc = acc.max(FloatVector.fromArray(S, a, off + i));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, a[off + i]);
        return m;
    }

    /** {@code Σ_{i<n} e^(a[off+i] − shift)}: the lanes summed as {@link #sum} does, the tail added in double. */
    public static double expSum(float[] a, int off, int n, float shift) {
        int i = 0, lanes = S.length();
        FloatVector acc = FloatVector.zero(S);
        for (int bound = S.loopBound(n); i < bound; i += lanes) acc = acc.add(exp(FloatVector.fromArray(S, a, off + i).sub(shift)));
        double total = sum(acc);
        for (; i < n; i++) total += Math.exp(a[off + i] - shift);
        return total;
    }

    /** {@code a[off+i] = e^(a[off+i] − shift)} for {@code i < n}; returns their float sum ({@link #sum}, then the tail). */
    public static float expInPlace(float[] a, int off, int n, float shift) {
        int i = 0, lanes = S.length();
        FloatVector acc = FloatVector.zero(S);
        for (int bound = S.loopBound(n); i < bound; i += lanes) {
            FloatVector e = exp(FloatVector.fromArray(S, a, off + i).sub(shift));
            e.intoArray(a, off + i);
            acc = acc.add(e);
        }
        float total = sum(acc);
        for (; i < n; i++) {
            float e = (float) Math.exp(a[off + i] - shift);
            a[off + i] = e;
            total += e;
        }
        return total;
    }

    /** {@code a[off+i] = scale·e^(a[off+i] − shift)} for {@code i < n}, the tail in double. */
    public static void scaledExpInPlace(float[] a, int off, int n, double shift, float scale) {
        int i = 0, lanes = S.length();
        float shiftF = (float) shift;
        for (int bound = S.loopBound(n); i < bound; i += lanes)
            exp(FloatVector.fromArray(S, a, off + i).sub(shiftF)).mul(scale).intoArray(a, off + i);
        for (; i < n; i++) a[off + i] = (float) (scale * Math.exp(a[off + i] - shift));
    }

    /** {@code σ(x) = 1 / (1 + e^−x)} per lane, for callers that keep it inside one loop of their own. */
    public static FloatVector sigmoid(FloatVector x) {
        return ONE.div(exp(x.neg()).add(1f));
    }

    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
}
