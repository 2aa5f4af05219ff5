package org.unmask.model.kernels;

import org.junit.jupiter.api.Test;
import org.unmask.model.kernels.AttentionPattern;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;
import static org.unmask.model.GradCheck.gaussian;

/** Attention against a plain double-precision reference, and the invariants of masks and RoPE. */
class AttentionTest {

    /** Textbook multi-head attention in double: each query head h reads key/value head h / (H/KVH). */
    private static double[] reference(float[] q, float[] k, float[] v, boolean[] attend, AttentionPattern mask,
                                      int B, int T, int H, int KVH, int hd) {
        double[] out = new double[B * T * H * hd];
        for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) for (int i = 0; i < T; i++) {
            int kvh = h / (H / KVH);
            double[] s = new double[T];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < T; j++) {
                boolean visible = mask.allows(i, j, T) && (attend == null || attend[b * T + j]);
                if (!visible) { s[j] = Double.NEGATIVE_INFINITY; continue; }
                double a = 0;
                for (int c = 0; c < hd; c++) a += (double) q[((b * T + i) * H + h) * hd + c] * k[((b * T + j) * KVH + kvh) * hd + c];
                s[j] = a / Math.sqrt(hd);
                max = Math.max(max, s[j]);
            }
            double z = 0;
            for (int j = 0; j < T; j++) z += s[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max);
            for (int j = 0; j < T; j++) {
                if (s[j] == Double.NEGATIVE_INFINITY) continue;
                double p = Math.exp(s[j] - max) / z;
                for (int c = 0; c < hd; c++) out[((b * T + i) * H + h) * hd + c] += p * v[((b * T + j) * KVH + kvh) * hd + c];
            }
        }
        return out;
    }

    private static void compare(AttentionPattern mask, boolean[] attend, int B, int T, int H, int KVH, int hd, long seed) {
        Random rnd = new Random(seed);
        float[] q = gaussian(rnd, B * T * H * hd, 1.0), k = gaussian(rnd, B * T * KVH * hd, 1.0), v = gaussian(rnd, B * T * KVH * hd, 1.0);
        float[] out = new float[q.length];
        Attention.forward(out, new float[B * H * T * T], q, k, v, attend, mask, B, T, H, KVH, hd);
        double[] ref = reference(q, k, v, attend, mask, B, T, H, KVH, hd);
        for (int i = 0; i < out.length; i++) assertThat((double) out[i]).as("output %d", i).isCloseTo(ref[i], offset(1e-5));
    }

    @Test
    void multiHeadMatchesTheReference() {
        compare(AttentionPattern.BIDIRECTIONAL, null, 2, 21, 4, 4, 16, 1);
        // wide heads take the two-chunk path of the value sum on 8- and 16-lane machines, plus a column tail
        compare(AttentionPattern.BIDIRECTIONAL, null, 1, 13, 2, 2, 40, 7);
        compare(AttentionPattern.CAUSAL, null, 1, 9, 2, 1, 72, 8);
        // long rows take the two-chunk path of the scores (32 or more keys), with a key tail
        boolean[] attend = new boolean[45];
        java.util.Arrays.fill(attend, true);
        attend[0] = attend[33] = false;
        compare(AttentionPattern.BIDIRECTIONAL, attend, 1, 45, 2, 1, 8, 9);
        compare(AttentionPattern.blockCausal(16), attend, 1, 45, 4, 2, 8, 10);
    }

    /**
     * BD3-LM's mask written from its definition: position t of a row of 2L is noisy when t < L, at position t mod L,
     * in block (t mod L) / B; a noisy query sees noisy keys of its block and clean keys of earlier blocks, a clean
     * query sees clean keys of its block and earlier ones.
     */
    private static boolean[][] noisyCleanMask(int L, int B) {
        boolean[][] m = new boolean[2 * L][2 * L];
        for (int q = 0; q < 2 * L; q++) {
            boolean qNoisy = q < L;
            int qBlock = (q % L) / B;
            for (int k = 0; k < 2 * L; k++) {
                boolean kNoisy = k < L;
                int kBlock = (k % L) / B;
                if (qNoisy) m[q][k] = kNoisy ? kBlock == qBlock : kBlock < qBlock;
                else m[q][k] = !kNoisy && kBlock <= qBlock;
            }
        }
        return m;
    }

    @Test
    void noisyCleanMaskMatchesAPlainLoopConstruction() {
        for (int L : new int[]{1, 2, 7, 12, 16}) {
            for (int B : new int[]{1, 2, 3, 4, 5, 16, 40}) {
                boolean[][] expected = noisyCleanMask(L, B);
                AttentionPattern p = AttentionPattern.noisyClean(B);
                for (int q = 0; q < 2 * L; q++) {
                    int start = p.keyStart(q, 2 * L), limit = p.keyLimit(q, 2 * L);
                    for (int k = 0; k < 2 * L; k++) {
                        assertThat(p.allows(q, k, 2 * L)).as("L %d B %d query %d key %d", L, B, q, k).isEqualTo(expected[q][k]);
                        // the kernel's span covers every visible key
                        if (expected[q][k]) assertThat(k).isGreaterThanOrEqualTo(start).isLessThan(limit);
                    }
                }
                assertThat(p.positionPeriod(2 * L)).isEqualTo(L);
            }
        }
    }

    @Test
    void noisyCleanMatchesTheReference() {
        // tiles of four queries straddle block edges (B 3), long rows take the vector paths, padding keys on top
        compare(AttentionPattern.noisyClean(3), null, 2, 2 * 11, 2, 1, 8, 21);
        compare(AttentionPattern.noisyClean(4), null, 1, 2 * 40, 4, 2, 16, 22);
        boolean[] attend = new boolean[2 * 24];
        java.util.Arrays.fill(attend, true);
        attend[2] = attend[30] = false;
        compare(AttentionPattern.noisyClean(8), attend, 1, 2 * 24, 2, 2, 8, 23);
        compare(AttentionPattern.noisyClean(24), null, 1, 2 * 24, 2, 2, 8, 24);
        compare(AttentionPattern.noisyClean(1), null, 1, 2 * 9, 2, 1, 8, 25);
    }

    @Test
    void groupedQueryMatchesTheReferenceWithSharedHeads() { compare(AttentionPattern.BIDIRECTIONAL, null, 2, 17, 8, 2, 8, 2); }

    @Test
    void causalAndBlockCausalMatchTheReference() {
        boolean[] attend = new boolean[2 * 20];
        java.util.Arrays.fill(attend, true);
        attend[3] = attend[20] = attend[21] = false;
        compare(AttentionPattern.CAUSAL, attend, 2, 20, 2, 1, 12, 3);
        compare(AttentionPattern.blockCausal(8), attend, 2, 20, 2, 2, 12, 4);
    }

    @Test
    void lookAheadMatchesTheReference() {
        boolean[] attend = new boolean[2 * 20];
        java.util.Arrays.fill(attend, true);
        attend[3] = attend[25] = false;
        compare(AttentionPattern.lookahead(3), attend, 2, 20, 2, 1, 12, 5);
        compare(AttentionPattern.lookahead(0), null, 1, 9, 2, 2, 8, 6);
        // long rows with a key tail take the two-chunk score path; the look-ahead runs past the row's end
        compare(AttentionPattern.lookahead(40), null, 1, 45, 2, 1, 8, 11);
        compare(AttentionPattern.lookahead(17), null, 1, 45, 2, 1, 8, 12);
    }

    @Test
    void lookAheadSpansCausalToBidirectional() {
        Random rnd = new Random(13);
        int B = 1, T = 12, H = 2, hd = 8;
        float[] q = gaussian(rnd, B * T * H * hd, 1.0), k = gaussian(rnd, B * T * H * hd, 1.0), v = gaussian(rnd, B * T * H * hd, 1.0);
        float[] causal = run(AttentionPattern.CAUSAL, q, k, v, B, T, H, hd), none = run(AttentionPattern.lookahead(0), q, k, v, B, T, H, hd);
        float[] bi = run(AttentionPattern.BIDIRECTIONAL, q, k, v, B, T, H, hd), all = run(AttentionPattern.lookahead(T - 1), q, k, v, B, T, H, hd);
        assertThat(none).containsExactly(causal);
        assertThat(all).containsExactly(bi);
        assertThat(run(AttentionPattern.lookahead(2), q, k, v, B, T, H, hd)).isNotEqualTo(causal).isNotEqualTo(bi);
        assertThat(Attention.keyLimit(AttentionPattern.lookahead(2), 4, T)).isEqualTo(7);
        assertThat(Attention.keyLimit(AttentionPattern.lookahead(2), 10, T)).isEqualTo(T);
        assertThat(Attention.keyLimit(AttentionPattern.lookahead(Integer.MAX_VALUE), 10, T)).isEqualTo(T);
    }

    private static float[] run(AttentionPattern mask, float[] q, float[] k, float[] v, int B, int T, int H, int hd) {
        float[] out = new float[q.length];
        Attention.forward(out, new float[B * H * T * T], q, k, v, null, mask, B, T, H, H, hd);
        return out;
    }

    @Test
    void paddingKeysHaveNoInfluenceOnAnyOutput() {
        Random rnd = new Random(5);
        int B = 1, T = 10, H = 2, hd = 8;
        boolean[] attend = {true, true, true, false, true, true, false, false, true, true};
        float[] q = gaussian(rnd, T * H * hd, 1.0), k = gaussian(rnd, T * H * hd, 1.0), v = gaussian(rnd, T * H * hd, 1.0);
        float[] a = new float[q.length], b = new float[q.length];
        Attention.forward(a, null, q, k, v, attend, AttentionPattern.BIDIRECTIONAL, B, T, H, H, hd);
        for (int j : new int[]{3, 6, 7}) for (int c = 0; c < H * hd; c++) { k[j * H * hd + c] += 5f; v[j * H * hd + c] -= 3f; }
        Attention.forward(b, null, q, k, v, attend, AttentionPattern.BIDIRECTIONAL, B, T, H, H, hd);
        // every query, the padding ones included, sees only the visible keys
        assertThat(b).containsExactly(a);
    }

    @Test
    void aQueryWithNoVisibleKeyGetsZeros() {
        int T = 3, hd = 4;
        boolean[] attend = {false, true, true};
        float[] q = new float[T * hd], k = new float[T * hd], v = new float[T * hd], out = new float[T * hd];
        java.util.Arrays.fill(q, 1f); java.util.Arrays.fill(k, 1f); java.util.Arrays.fill(v, 2f);
        Attention.forward(out, new float[T * T], q, k, v, attend, AttentionPattern.CAUSAL, 1, T, 1, 1, hd);
        for (int c = 0; c < hd; c++) assertThat(out[c]).isZero();           // query 0 sees only the pad key 0
        for (int c = hd; c < T * hd; c++) assertThat(out[c]).isEqualTo(2f); // the others average equal values
    }

    @Test
    void ropeScoresDependOnlyOnRelativePosition() {
        Random rnd = new Random(6);
        int hd = 16, T = 64;
        Rope rope = new Rope(hd, 10000.0, T);
        float[] q = gaussian(rnd, hd, 1.0), k = gaussian(rnd, hd, 1.0);
        for (int dist : new int[]{0, 1, 5, 20}) {
            double first = Double.NaN;
            for (int p : new int[]{0, 3, 17, 40}) {
                float[] qs = new float[T * hd], ks = new float[T * hd];
                System.arraycopy(q, 0, qs, p * hd, hd);
                System.arraycopy(k, 0, ks, (p + dist) * hd, hd);
                rope.forward(qs, T, T, 1);
                rope.forward(ks, T, T, 1);
                double s = 0;
                for (int c = 0; c < hd; c++) s += (double) qs[p * hd + c] * ks[(p + dist) * hd + c];
                if (Double.isNaN(first)) first = s;
                else assertThat(s).as("q·k at (%d, %d)", p, p + dist).isCloseTo(first, offset(1e-4));
            }
        }
    }

    @Test
    void ropeRotatesHalvesNotAdjacentPairs() {
        // position 1, theta such that the first frequency is 1 radian: dimension 0 mixes with dimension hd/2
        int hd = 4;
        Rope rope = new Rope(hd, 10000.0, 2);
        float[] x = {0, 0, 0, 0, 1, 0, 0, 0};   // row 1 (position 1), only x[0] set
        rope.forward(x, 2, 2, 1);
        assertThat(x[4]).isCloseTo((float) Math.cos(1), offset(1e-6f));
        assertThat(x[6]).isCloseTo((float) Math.sin(1), offset(1e-6f));
        assertThat(x[5]).isZero();
        assertThat(x[7]).isZero();
    }
}
