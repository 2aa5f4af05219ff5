package org.unmask.model.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.unmask.model.AttentionMask;

/**
 * Scaled dot-product attention with grouped-query heads, a key-padding mask and an optional causal or
 * block-causal mask, forward and backward side by side.
 *
 * <p>Layouts (row-major): {@code q, out} are {@code [B·T, H·hd]}, {@code k, v} are {@code [B·T, KVH·hd]}, query head
 * {@code h} reads key/value head {@code h / (H/KVH)}, and the saved probabilities are {@code [B, H, T, T]}. Every
 * mask shape lets query {@code i} see a prefix {@code [0, limit(i))} of the keys, minus the padding keys
 * ({@code attend[b·T + j] == false}); padding queries still attend to the visible keys, as in HF LLaDA. A query with
 * no visible key gets a zero output. Keys are transposed per head so that the score and gradient loops run along
 * the key axis in SIMD lanes.
 */
public final class Attention {
    private Attention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Number of leading keys query {@code i} may see under {@code mask} in a row of {@code seqLen}. */
    public static int keyLimit(AttentionMask mask, int i, int seqLen) {
        return switch (mask.kind()) {
            case BIDIRECTIONAL -> seqLen;
            case CAUSAL -> i + 1;
            case BLOCK_CAUSAL -> Math.min(seqLen, (i / mask.blockSize() + 1) * mask.blockSize());
        };
    }

    /** Per-thread scratch space, grown on demand and reused across calls. */
    private static final class Scratch {
        float[] kT = new float[0], vT = new float[0], dkT = new float[0], dvT = new float[0], row = new float[0];
        float[] ensure(float[] a, int n) { return a.length >= n ? a : new float[n]; }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * {@code out = softmax(q·kᵀ/√hd + bias)·v}. {@code probs} (nullable, {@code B·H·T·T}) receives the attention
     * weights for the backward pass; {@code attend} (nullable, {@code B·T}) marks visible keys.
     */
    public static void forward(float[] out, float[] probs, float[] q, float[] k, float[] v, boolean[] attend,
                               AttentionMask mask, int B, int T, int H, int KVH, int hd) {
        int group = H / KVH, qd = H * hd, kvd = KVH * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(B * H, 1, (t0, t1) -> {
            Scratch s = SCRATCH.get();
            s.kT = s.ensure(s.kT, hd * T);
            s.row = s.ensure(s.row, T);
            float[] kT = s.kT;
            for (int bh = t0; bh < t1; bh++) {
                int b = bh / H, h = bh % H, kvh = h / group;
                transpose(kT, k, b, T, kvd, kvh * hd, hd);
                for (int i = 0; i < T; i++) {
                    int lim = keyLimit(mask, i, T);
                    float[] p = probs != null ? probs : s.row;
                    int po = probs != null ? ((b * H + h) * T + i) * T : 0;
                    int qo = (b * T + i) * qd + h * hd;
                    scores(p, po, q, qo, kT, T, hd, lim, scale);
                    boolean any = softmax(p, po, lim, attend, b * T);
                    if (probs != null) java.util.Arrays.fill(p, po + lim, po + T, 0f);
                    if (!any) {
                        java.util.Arrays.fill(p, po, po + lim, 0f);
                        java.util.Arrays.fill(out, qo, qo + hd, 0f);
                        continue;
                    }
                    weightedSum(out, qo, p, po, v, b * T * kvd + kvh * hd, kvd, lim, hd);
                }
            }
        });
    }

    /**
     * Writes {@code dq}, {@code dk}, {@code dv} (same layouts as q, k, v) from {@code dout} and the saved
     * probabilities. Work is split by (batch, key/value head), so each key gradient is summed in one fixed order.
     */
    public static void backward(float[] dq, float[] dk, float[] dv, float[] dout, float[] probs, float[] q, float[] k,
                                float[] v, AttentionMask mask, int B, int T, int H, int KVH, int hd) {
        int group = H / KVH, qd = H * hd, kvd = KVH * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(B * KVH, 1, (t0, t1) -> {
            Scratch s = SCRATCH.get();
            int n = hd * T;
            s.kT = s.ensure(s.kT, n); s.vT = s.ensure(s.vT, n);
            s.dkT = s.ensure(s.dkT, n); s.dvT = s.ensure(s.dvT, n);
            s.row = s.ensure(s.row, T);
            float[] kT = s.kT, vT = s.vT, dkT = s.dkT, dvT = s.dvT, ds = s.row;
            for (int bk = t0; bk < t1; bk++) {
                int b = bk / KVH, kvh = bk % KVH;
                transpose(kT, k, b, T, kvd, kvh * hd, hd);
                transpose(vT, v, b, T, kvd, kvh * hd, hd);
                java.util.Arrays.fill(dkT, 0, n, 0f);
                java.util.Arrays.fill(dvT, 0, n, 0f);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int i = 0; i < T; i++) {
                        int lim = keyLimit(mask, i, T);
                        int po = ((b * H + h) * T + i) * T;
                        int qo = (b * T + i) * qd + h * hd;
                        // dp_j = dout_i · v_j, then ds_j = p_j (dp_j − Σ_j' p_j' dp_j') · scale
                        scores(ds, 0, dout, qo, vT, T, hd, lim, 1f);
                        float dot = dotRow(probs, po, ds, 0, lim);
                        softmaxBackward(ds, probs, po, lim, dot, scale);
                        for (int c = 0; c < hd; c++) {
                            dq[qo + c] = dotRow(kT, c * T, ds, 0, lim);
                            axpy(dkT, c * T, q[qo + c], ds, 0, lim);
                            axpy(dvT, c * T, dout[qo + c], probs, po, lim);
                        }
                    }
                }
                for (int j = 0; j < T; j++) {
                    int o = (b * T + j) * kvd + kvh * hd;
                    for (int c = 0; c < hd; c++) {
                        dk[o + c] = dkT[c * T + j];
                        dv[o + c] = dvT[c * T + j];
                    }
                }
            }
        });
    }

    /** {@code dst[c·T + j] = src[(b·T + j)·stride + off + c]}: one head of one batch row, keys along the lanes. */
    private static void transpose(float[] dst, float[] src, int b, int T, int stride, int off, int hd) {
        for (int j = 0; j < T; j++) {
            int o = (b * T + j) * stride + off;
            for (int c = 0; c < hd; c++) dst[c * T + j] = src[o + c];
        }
    }

    /** {@code p[po + j] = scale · Σ_c x[xo + c]·kT[c·T + j]} for {@code j < lim}, register-blocked over the keys. */
    private static void scores(float[] p, int po, float[] x, int xo, float[] kT, int T, int hd, int lim, float scale) {
        int j = 0;
        for (int bound = S.loopBound(lim); j < bound; j += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int c = 0; c < hd; c++) acc = FloatVector.fromArray(S, kT, c * T + j).fma(FloatVector.broadcast(S, x[xo + c]), acc);
            acc.mul(scale).intoArray(p, po + j);
        }
        for (; j < lim; j++) {
            float a = 0;
            for (int c = 0; c < hd; c++) a += x[xo + c] * kT[c * T + j];
            p[po + j] = a * scale;
        }
    }

    /** Softmax in place over the first {@code lim} scores, hiding padding keys; false when no key is visible. */
    private static boolean softmax(float[] p, int po, int lim, boolean[] attend, int keyBase) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < lim; j++) {
            if (attend != null && !attend[keyBase + j]) p[po + j] = Float.NEGATIVE_INFINITY;
            else max = Math.max(max, p[po + j]);
        }
        if (max == Float.NEGATIVE_INFINITY) return false;
        FloatVector sumV = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(lim); j < bound; j += L) {
            FloatVector e = FloatVector.fromArray(S, p, po + j).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(p, po + j);
            sumV = sumV.add(e);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; j < lim; j++) {
            float e = (float) Math.exp(p[po + j] - max);
            p[po + j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        j = 0;
        for (int bound = S.loopBound(lim); j < bound; j += L) FloatVector.fromArray(S, p, po + j).mul(inv).intoArray(p, po + j);
        for (; j < lim; j++) p[po + j] *= inv;
        return true;
    }

    /** {@code ds[j] = p[po + j]·(ds[j] − dot)·scale}. */
    private static void softmaxBackward(float[] ds, float[] p, int po, int lim, float dot, float scale) {
        int j = 0;
        for (int bound = S.loopBound(lim); j < bound; j += L) {
            FloatVector d = FloatVector.fromArray(S, ds, j).sub(dot);
            FloatVector.fromArray(S, p, po + j).mul(d).mul(scale).intoArray(ds, j);
        }
        for (; j < lim; j++) ds[j] = p[po + j] * (ds[j] - dot) * scale;
    }

    /** {@code out[oo + c] = Σ_j p[po + j]·v[vBase + j·stride + c]} for {@code c < hd}. */
    private static void weightedSum(float[] out, int oo, float[] p, int po, float[] v, int vBase, int stride, int lim, int hd) {
        int c = 0;
        for (int bound = S.loopBound(hd); c < bound; c += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < lim; j++) {
                float pj = p[po + j];
                if (pj != 0f) acc = FloatVector.fromArray(S, v, vBase + j * stride + c).fma(FloatVector.broadcast(S, pj), acc);
            }
            acc.intoArray(out, oo + c);
        }
        for (; c < hd; c++) {
            float a = 0;
            for (int j = 0; j < lim; j++) a += p[po + j] * v[vBase + j * stride + c];
            out[oo + c] = a;
        }
    }

    /** {@code Σ_{j<n} a[ao + j]·b[bo + j]}. */
    private static float dotRow(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            acc = FloatVector.fromArray(S, a, ao + j).fma(FloatVector.fromArray(S, b, bo + j), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) sum += a[ao + j] * b[bo + j];
        return sum;
    }

    /** {@code y[yo + j] += alpha·x[xo + j]} for {@code j < n}. */
    private static void axpy(float[] y, int yo, float alpha, float[] x, int xo, int n) {
        if (alpha == 0f) return;
        FloatVector a = FloatVector.broadcast(S, alpha);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector.fromArray(S, x, xo + j).fma(a, FloatVector.fromArray(S, y, yo + j)).intoArray(y, yo + j);
        }
        for (; j < n; j++) y[yo + j] += alpha * x[xo + j];
    }
}
