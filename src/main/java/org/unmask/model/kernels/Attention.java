package org.unmask.model.kernels;

import org.unmask.compute.Simd;
import org.unmask.compute.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention with grouped-query heads, key padding ({@code attend}) and an optional causal,
 * block-causal or look-ahead {@link AttentionPattern}, forward and backward side by side.
 *
 * <p>Layouts (row-major): {@code q, out} are {@code [B·T, H·hd]}, {@code k, v} are {@code [B·T, KVH·hd]}, query head
 * {@code h} reads key/value head {@code h / (H/KVH)}, and the saved probabilities are {@code [B, H, T, T]}. Every
 * pattern lets query {@code i} see a span {@code [start(i), limit(i))} of the keys (a prefix for all but BD3-LM's
 * noisy/clean mask), minus the pattern's hidden range and the padding keys ({@code attend[b·T + j] == false});
 * padding queries still attend to the visible keys, as in HF LLaDA. Hidden keys inside a span are scored and given
 * probability zero, which the backward pass then carries without a special case. A query with no visible key gets a
 * zero output. The forward transposes the keys per head so that its score loops run along the key axis in SIMD
 * lanes; the backward is four matrix products per head.
 */
public final class Attention {
    private Attention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int TILE = 4;

    /** Number of leading keys query {@code i} may see under {@code pattern} in a row of {@code seqLen}. */
    public static int keyLimit(AttentionPattern pattern, int i, int seqLen) { return pattern.keyLimit(i, seqLen); }

    /** Per-thread scratch space, grown on demand and reused across calls. */
    private static final class Scratch {
        float[] kT = new float[0], row = new float[0];                 // the forward's transposed keys and score rows
        float[] qh = new float[0], kh = new float[0], vh = new float[0], doh = new float[0];   // the backward's heads, [T, hd]
        float[] dqh = new float[0], dkh = new float[0], dvh = new float[0], ds = new float[0]; // their gradients, dP/dS
        float[] ensure(float[] a, int n) { return a.length >= n ? a : new float[n]; }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * {@code out = softmax(q·kᵀ/√hd + bias)·v}. {@code probs} (nullable, {@code B·H·T·T}) receives the attention
     * weights for the backward pass; {@code attend} (nullable, {@code B·T}) marks visible keys.
     */
    public static void forward(float[] out, float[] probs, float[] q, float[] k, float[] v, boolean[] attend,
                               AttentionPattern pattern, int B, int T, int H, int KVH, int hd) {
        float[][] ks = new float[B][], vs = new float[B][];
        int[] base = new int[B];
        for (int b = 0; b < B; b++) {
            ks[b] = k;
            vs[b] = v;
            base[b] = b * T * KVH * hd;
        }
        forwardWindow(out, probs, q, ks, vs, base, attend, pattern, B, T, java.util.stream.IntStream.range(0, T).toArray(),
                H, KVH, hd);
    }

    /**
     * Attention of a window of queries over whole rows of keys: the W queries of row b are at the ascending positions
     * {@code positions} ({@code q, out} are {@code [B·W, H·hd]}), and its keys and values are the {@code T}
     * positions stored in {@code ks[b]} and {@code vs[b]} from element {@code base[b]} ({@code [T, KVH·hd]}), e.g. a
     * KV cache that holds every layer's keys of the positions the window leaves out. {@code probs} (nullable) is
     * {@code [B, H, W, T]}; {@code attend} (nullable, {@code B·T}) marks visible keys.
     */
    public static void forwardWindow(float[] out, float[] probs, float[] q, float[][] ks, float[][] vs, int[] base,
                                     boolean[] attend, AttentionPattern pattern, int B, int T, int[] positions,
                                     int H, int KVH, int hd) {
        int W = positions.length;
        for (int i = 0; i < W; i++)
            if (positions[i] < 0 || positions[i] >= T || (i > 0 && positions[i] <= positions[i - 1]))
                throw new IllegalArgumentException("query positions must ascend within 0.." + (T - 1) + ", got "
                        + positions[i] + " at index " + i);
        int group = H / KVH, qd = H * hd, kvd = KVH * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        int widest = 0;   // the keys any query of the window sees lie below the widest limit
        for (int p : positions) widest = Math.max(widest, pattern.keyLimit(p, T));
        int keyCount = widest;
        Parallel.forRange(B * H, 1, (t0, t1) -> {
            Scratch s = SCRATCH.get();
            int keys = keyCount;
            s.kT = s.ensure(s.kT, hd * keys);
            s.row = s.ensure(s.row, TILE * keys);
            float[] kT = s.kT;
            int[] po = new int[TILE], qo = new int[TILE], lims = new int[TILE], starts = new int[TILE];
            for (int bh = t0; bh < t1; bh++) {
                int b = bh / H, h = bh % H, kvh = h / group;
                transpose(kT, ks[b], base[b], keys, kvd, kvh * hd, hd);
                float[] p = probs != null ? probs : s.row;
                // queries in tiles of TILE, so that each key and value row is loaded once per tile
                for (int i0 = 0; i0 < W; i0 += TILE) {
                    int nq = Math.min(TILE, W - i0), limMax = 0, startMin = T;
                    for (int t = 0; t < nq; t++) {
                        int i = i0 + t;
                        lims[t] = pattern.keyLimit(positions[i], T);
                        starts[t] = Math.min(pattern.keyStart(positions[i], T), lims[t]);
                        limMax = Math.max(limMax, lims[t]);
                        startMin = Math.min(startMin, starts[t]);
                        po[t] = probs != null ? ((b * H + h) * W + i) * T : t * keys;
                        qo[t] = (b * W + i) * qd + h * hd;
                    }
                    if (startMin > limMax) startMin = limMax;
                    if (nq == TILE) scores4(p, po, q, qo, kT, keys, hd, startMin, limMax, scale);
                    else for (int t = 0; t < nq; t++) scores(p, po[t], q, qo[t], kT, keys, hd, starts[t], lims[t], scale);
                    for (int t = 0; t < nq; t++) {
                        int st = starts[t], lim = lims[t];
                        if (pattern.hasHoles()) {
                            int pos = positions[i0 + t];
                            int h0 = Math.max(st, pattern.holeStart(pos, T)), h1 = Math.min(lim, pattern.holeEnd(pos, T));
                            if (h0 < h1) java.util.Arrays.fill(p, po[t] + h0, po[t] + h1, Float.NEGATIVE_INFINITY);
                        }
                        if (!softmax(p, po[t], st, lim, attend, b * T)) java.util.Arrays.fill(p, po[t] + st, po[t] + lim, 0f);
                        java.util.Arrays.fill(p, po[t] + (probs != null ? 0 : startMin), po[t] + st, 0f);
                        java.util.Arrays.fill(p, po[t] + lim, po[t] + (probs != null ? T : limMax), 0f);
                    }
                    int vBase = base[b] + kvh * hd;
                    if (nq == TILE) weightedSum4(out, qo, p, po, vs[b], vBase, kvd, startMin, limMax, hd);
                    else for (int t = 0; t < nq; t++) weightedSum(out, qo[t], p, po[t], vs[b], vBase, kvd, starts[t], lims[t], hd);
                }
            }
        });
    }

    /** {@link #scores} for a full tile of four queries over the keys {@code [start, lim)}. */
    private static void scores4(float[] p, int[] po, float[] x, int[] xo, float[] kT, int T, int hd, int start, int lim, float scale) {
        int j = start;
        // two key chunks at a time: each broadcast query element feeds two FMAs, eight accumulators in flight
        for (; j + 2 * L <= lim; j += 2 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int c = 0; c < hd; c++) {
                FloatVector ka = FloatVector.fromArray(S, kT, c * T + j), kb = FloatVector.fromArray(S, kT, c * T + j + L);
                FloatVector x0 = FloatVector.broadcast(S, x[xo[0] + c]), x1 = FloatVector.broadcast(S, x[xo[1] + c]);
                FloatVector x2 = FloatVector.broadcast(S, x[xo[2] + c]), x3 = FloatVector.broadcast(S, x[xo[3] + c]);
                a0 = ka.fma(x0, a0); a1 = ka.fma(x1, a1); a2 = ka.fma(x2, a2); a3 = ka.fma(x3, a3);
                b0 = kb.fma(x0, b0); b1 = kb.fma(x1, b1); b2 = kb.fma(x2, b2); b3 = kb.fma(x3, b3);
            }
            a0.mul(scale).intoArray(p, po[0] + j); b0.mul(scale).intoArray(p, po[0] + j + L);
            a1.mul(scale).intoArray(p, po[1] + j); b1.mul(scale).intoArray(p, po[1] + j + L);
            a2.mul(scale).intoArray(p, po[2] + j); b2.mul(scale).intoArray(p, po[2] + j + L);
            a3.mul(scale).intoArray(p, po[3] + j); b3.mul(scale).intoArray(p, po[3] + j + L);
        }
        for (; j + L <= lim; j += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < hd; c++) {
                FloatVector k = FloatVector.fromArray(S, kT, c * T + j);
                a0 = k.fma(FloatVector.broadcast(S, x[xo[0] + c]), a0);
                a1 = k.fma(FloatVector.broadcast(S, x[xo[1] + c]), a1);
                a2 = k.fma(FloatVector.broadcast(S, x[xo[2] + c]), a2);
                a3 = k.fma(FloatVector.broadcast(S, x[xo[3] + c]), a3);
            }
            a0.mul(scale).intoArray(p, po[0] + j);
            a1.mul(scale).intoArray(p, po[1] + j);
            a2.mul(scale).intoArray(p, po[2] + j);
            a3.mul(scale).intoArray(p, po[3] + j);
        }
        for (; j < lim; j++) {
            for (int t = 0; t < TILE; t++) {
                float a = 0;
                for (int c = 0; c < hd; c++) a += x[xo[t] + c] * kT[c * T + j];
                p[po[t] + j] = a * scale;
            }
        }
    }

    /** {@link #weightedSum} for a full tile of four queries whose weights are zero outside their own spans. */
    private static void weightedSum4(float[] out, int[] oo, float[] p, int[] po, float[] v, int vBase, int stride, int start, int lim, int hd) {
        int c = 0;
        // two column chunks at a time: eight independent accumulators hide the FMA latency
        for (; c + 2 * L <= hd; c += 2 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int j = start; j < lim; j++) {
                int vo = vBase + j * stride + c;
                FloatVector va = FloatVector.fromArray(S, v, vo), vb = FloatVector.fromArray(S, v, vo + L);
                FloatVector p0 = FloatVector.broadcast(S, p[po[0] + j]), p1 = FloatVector.broadcast(S, p[po[1] + j]);
                FloatVector p2 = FloatVector.broadcast(S, p[po[2] + j]), p3 = FloatVector.broadcast(S, p[po[3] + j]);
                a0 = va.fma(p0, a0); a1 = va.fma(p1, a1); a2 = va.fma(p2, a2); a3 = va.fma(p3, a3);
                b0 = vb.fma(p0, b0); b1 = vb.fma(p1, b1); b2 = vb.fma(p2, b2); b3 = vb.fma(p3, b3);
            }
            a0.intoArray(out, oo[0] + c); b0.intoArray(out, oo[0] + c + L);
            a1.intoArray(out, oo[1] + c); b1.intoArray(out, oo[1] + c + L);
            a2.intoArray(out, oo[2] + c); b2.intoArray(out, oo[2] + c + L);
            a3.intoArray(out, oo[3] + c); b3.intoArray(out, oo[3] + c + L);
        }
        for (int bound = S.loopBound(hd); c < bound; c += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int j = start; j < lim; j++) {
                FloatVector vj = FloatVector.fromArray(S, v, vBase + j * stride + c);
                a0 = vj.fma(FloatVector.broadcast(S, p[po[0] + j]), a0);
                a1 = vj.fma(FloatVector.broadcast(S, p[po[1] + j]), a1);
                a2 = vj.fma(FloatVector.broadcast(S, p[po[2] + j]), a2);
                a3 = vj.fma(FloatVector.broadcast(S, p[po[3] + j]), a3);
            }
            a0.intoArray(out, oo[0] + c);
            a1.intoArray(out, oo[1] + c);
            a2.intoArray(out, oo[2] + c);
            a3.intoArray(out, oo[3] + c);
        }
        for (; c < hd; c++) {
            for (int t = 0; t < TILE; t++) {
                float a = 0;
                for (int j = start; j < lim; j++) a += p[po[t] + j] * v[vBase + j * stride + c];
                out[oo[t] + c] = a;
            }
        }
    }

    /**
     * Writes {@code dq}, {@code dk}, {@code dv} (same layouts as q, k, v) from {@code dout} and the saved
     * probabilities. Work is split by (batch, key/value head), so each key gradient is summed in one fixed order.
     *
     * <p>Per head the pass is four matrix products over the whole T × T square, run by {@link MatMul}'s tiles:
     * {@code dP = dO·Vᵀ}, then {@code dS = P ⊙ (dP − rowsum(P ⊙ dP))·scale} row by row, {@code dQ = dS·K},
     * {@code dK += dSᵀ·Q}, {@code dV += Pᵀ·dO}. Keys a query does not see (outside its span, in a hole, padding)
     * have P = 0 and so dS = 0: the squares need no masking, and a causal pattern's upper half costs work but no
     * care. The products run at the tiles' speed, where a loop over the spans streamed the key rows from L2; they run on
     * the task's own thread (the tasks already cover every core).
     */
    public static void backward(float[] dq, float[] dk, float[] dv, float[] dout, float[] probs, float[] q, float[] k,
                                float[] v, AttentionPattern pattern, int B, int T, int H, int KVH, int hd) {
        int group = H / KVH, qd = H * hd, kvd = KVH * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(B * KVH, 1, (t0, t1) -> {
            Scratch s = SCRATCH.get();
            int n = T * hd;
            s.qh = s.ensure(s.qh, n); s.kh = s.ensure(s.kh, n); s.vh = s.ensure(s.vh, n); s.doh = s.ensure(s.doh, n);
            s.dqh = s.ensure(s.dqh, n); s.dkh = s.ensure(s.dkh, n); s.dvh = s.ensure(s.dvh, n);
            s.ds = s.ensure(s.ds, T * T);                                // dP, then dS in place
            float[] qh = s.qh, kh = s.kh, vh = s.vh, doh = s.doh, dqh = s.dqh, dkh = s.dkh, dvh = s.dvh, ds = s.ds;
            for (int bk = t0; bk < t1; bk++) {
                int b = bk / KVH, kvh = bk % KVH;
                gather(kh, k, b * T * kvd + kvh * hd, T, kvd, hd);
                gather(vh, v, b * T * kvd + kvh * hd, T, kvd, hd);
                java.util.Arrays.fill(dkh, 0, n, 0f);
                java.util.Arrays.fill(dvh, 0, n, 0f);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    gather(qh, q, b * T * qd + h * hd, T, qd, hd);
                    gather(doh, dout, b * T * qd + h * hd, T, qd, hd);
                    int pBase = (b * H + h) * T * T;
                    MatMul.forwardInTask(ds, doh, vh, T, hd, T);              // dP = dO·Vᵀ
                    for (int i = 0; i < T; i++) {
                        int st = Math.min(pattern.keyStart(i, T), pattern.keyLimit(i, T)), len = pattern.keyLimit(i, T) - st;
                        float dot = dotRow(probs, pBase + i * T + st, ds, i * T + st, len);
                        // the whole row, so that dS = P·(…) is 0 wherever the query does not see the key
                        softmaxBackward(ds, i * T, probs, pBase + i * T, T, dot, scale);
                    }
                    java.util.Arrays.fill(dqh, 0, n, 0f);
                    MatMul.backwardInputInTask(dqh, ds, kh, T, T, hd);         // dQ = dS·K
                    MatMul.backwardWeightInTask(dkh, ds, 0, qh, T, T, hd);     // dK += dSᵀ·Q
                    MatMul.backwardWeightInTask(dvh, probs, pBase, doh, T, T, hd); // dV += Pᵀ·dO
                    scatter(dq, dqh, b * T * qd + h * hd, T, qd, hd);
                }
                scatter(dk, dkh, b * T * kvd + kvh * hd, T, kvd, hd);
                scatter(dv, dvh, b * T * kvd + kvh * hd, T, kvd, hd);
            }
        });
    }

    /** {@code dst[j·hd + c] = src[base + j·stride + c]}: one head's rows made contiguous. */
    private static void gather(float[] dst, float[] src, int base, int T, int stride, int hd) {
        for (int j = 0; j < T; j++) System.arraycopy(src, base + j * stride, dst, j * hd, hd);
    }

    /** The inverse of {@link #gather}. */
    private static void scatter(float[] dst, float[] src, int base, int T, int stride, int hd) {
        for (int j = 0; j < T; j++) System.arraycopy(src, j * hd, dst, base + j * stride, hd);
    }

    /** {@code dst[c·T + j] = src[(b·T + j)·stride + off + c]}: one head of one batch row, keys along the lanes. */
    private static void transpose(float[] dst, float[] src, int base, int T, int stride, int off, int hd) {
        for (int j = 0; j < T; j++) {
            int o = base + j * stride + off;
            for (int c = 0; c < hd; c++) dst[c * T + j] = src[o + c];
        }
    }

    /** {@code p[po + j] = scale · Σ_c x[xo + c]·kT[c·T + j]} for {@code start <= j < lim}, register-blocked over the keys. */
    private static void scores(float[] p, int po, float[] x, int xo, float[] kT, int T, int hd, int start, int lim, float scale) {
        int j = start;
        for (; j + L <= lim; j += L) {
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

    /** Softmax in place over the scores {@code [start, lim)}, hiding padding keys; false when no key is visible. */
    private static boolean softmax(float[] p, int po, int start, int lim, boolean[] attend, int keyBase) {
        if (attend != null) {
            for (int j = start; j < lim; j++) if (!attend[keyBase + j]) p[po + j] = Float.NEGATIVE_INFINITY;
        }
        float max = Simd.max(p, po + start, lim - start);
        if (max == Float.NEGATIVE_INFINITY) return false;
        float sum = Simd.expInPlace(p, po + start, lim - start, max);
        float inv = 1f / sum;
        int j = start;
        for (; j + L <= lim; j += L) FloatVector.fromArray(S, p, po + j).mul(inv).intoArray(p, po + j);
        for (; j < lim; j++) p[po + j] *= inv;
        return true;
    }

    /** {@code ds[so + j] = p[po + j]·(ds[so + j] − dot)·scale}. */
    private static void softmaxBackward(float[] ds, int so, float[] p, int po, int lim, float dot, float scale) {
        int j = 0;
        for (int bound = S.loopBound(lim); j < bound; j += L) {
            FloatVector d = FloatVector.fromArray(S, ds, so + j).sub(dot);
            FloatVector.fromArray(S, p, po + j).mul(d).mul(scale).intoArray(ds, so + j);
        }
        for (; j < lim; j++) ds[so + j] = p[po + j] * (ds[so + j] - dot) * scale;
    }

    /** {@code out[oo + c] = Σ_{start<=j<lim} p[po + j]·v[vBase + j·stride + c]} for {@code c < hd}. */
    private static void weightedSum(float[] out, int oo, float[] p, int po, float[] v, int vBase, int stride, int start, int lim, int hd) {
        int c = 0;
        for (int bound = S.loopBound(hd); c < bound; c += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = start; j < lim; j++) {
                float pj = p[po + j];
                acc = FloatVector.fromArray(S, v, vBase + j * stride + c).fma(FloatVector.broadcast(S, pj), acc);
            }
            acc.intoArray(out, oo + c);
        }
        for (; c < hd; c++) {
            float a = 0;
            for (int j = start; j < lim; j++) a += p[po + j] * v[vBase + j * stride + c];
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
        float sum = Simd.sum(acc);
        for (; j < n; j++) sum += a[ao + j] * b[bo + j];
        return sum;
    }
}
