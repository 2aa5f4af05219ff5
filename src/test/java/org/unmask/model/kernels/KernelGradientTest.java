package org.unmask.model.kernels;

import org.junit.jupiter.api.Test;
import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.GradCheck;
import org.unmask.model.tensor.Weights;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.unmask.model.GradCheck.dot;
import static org.unmask.model.GradCheck.gaussian;

/** Finite-difference checks of every hand-written backward pass, one layer at a time. */
class KernelGradientTest {

    @Test
    void rmsNorm() {
        Random rnd = new Random(1);
        int rows = 5, d = 12;
        float[] x = gaussian(rnd, rows * d, 1.0), w = gaussian(rnd, d + 3, 1.0), r = gaussian(rnd, rows * d, 1.0);
        float[] rstd = new float[rows], out = new float[rows * d];
        RmsNorm.forward(out, rstd, x, w, 3, rows, d, 1e-5f);
        float[] dx = new float[rows * d], dw = new float[d + 3];
        RmsNorm.backward(dx, dw, 3, r, x, rstd, w, 3, rows, d);
        var f = (java.util.function.ToDoubleFunction<float[]>) unused -> {
            float[] o = new float[rows * d];
            RmsNorm.forward(o, null, x, w, 3, rows, d, 1e-5f);
            return dot(r, o);
        };
        GradCheck.check("rmsnorm x", x, dx, 0, x.length, x.length, 1e-2f, 2e-3, 1e-2, rnd, f);
        GradCheck.check("rmsnorm w", w, dw, 3, d + 3, d, 1e-2f, 2e-3, 1e-2, rnd, f);
    }

    @Test
    void rmsNormAccumulatesIntoExistingGradients() {
        int rows = 2, d = 4;
        float[] x = {1, 2, 3, 4, -1, 0, 1, 2}, w = {1, 1, 1, 1}, rstd = new float[rows], out = new float[8];
        RmsNorm.forward(out, rstd, x, w, 0, rows, d, 1e-5f);
        float[] r = {1, 0, 0, 0, 0, 1, 0, 0};
        float[] once = new float[8], twice = new float[8];
        RmsNorm.backward(once, null, 0, r, x, rstd, w, 0, rows, d);
        RmsNorm.backward(twice, null, 0, r, x, rstd, w, 0, rows, d);
        RmsNorm.backward(twice, null, 0, r, x, rstd, w, 0, rows, d);
        for (int i = 0; i < 8; i++) assertThat(twice[i]).isCloseTo(2 * once[i], org.assertj.core.data.Offset.offset(1e-6f));
        // the forward is x / rms(x): row 0 has rms sqrt(7.5)
        assertThat(out[0]).isCloseTo((float) (1 / Math.sqrt(7.5 + 1e-5)), org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void rope() {
        Random rnd = new Random(2);
        int T = 7, heads = 3, hd = 8, rows = 2 * T;
        Rope rope = new Rope(hd, 10000.0, T);
        float[] x = gaussian(rnd, rows * heads * hd, 1.0), r = gaussian(rnd, x.length, 1.0);
        float[] dx = r.clone();
        rope.backward(dx, rows, T, heads);
        var f = (java.util.function.ToDoubleFunction<float[]>) in -> {
            float[] y = in.clone();
            rope.forward(y, rows, T, heads);
            return dot(r, y);
        };
        GradCheck.check("rope", x, dx, 0, x.length, x.length, 1e-2f, 1e-3, 1e-2, rnd, f);
    }

    @Test
    void swiGlu() {
        Random rnd = new Random(3);
        int rows = 4, width = 9, n = rows * width;
        float[] gate = gaussian(rnd, n, 2.0), up = gaussian(rnd, n, 1.0), r = gaussian(rnd, n, 1.0);
        float[] dg = new float[n], du = new float[n];
        SwiGlu.backward(dg, du, r, gate, up, rows, width);
        var f = (java.util.function.ToDoubleFunction<float[]>) unused -> {
            float[] o = new float[n];
            SwiGlu.forward(o, gate, up, rows, width);
            return dot(r, o);
        };
        GradCheck.check("swiglu gate", gate, dg, 0, n, n, 1e-2f, 1e-3, 1e-2, rnd, f);
        GradCheck.check("swiglu up", up, du, 0, n, n, 1e-2f, 1e-3, 1e-2, rnd, f);
    }

    @Test
    void crossEntropy() {
        Random rnd = new Random(4);
        int rows = 3, width = 10;
        float[] z = gaussian(rnd, rows * width, 2.0);
        int[] targets = {3, 0, 9};
        float[] weights = {1f, 0.5f, 2f};
        float[] grad = z.clone();
        double loss = CrossEntropy.forward(grad, targets, weights, rows, width, true);
        // independent double-precision reference of the loss
        double ref = 0;
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int j = 0; j < width; j++) s += Math.exp(z[i * width + j]);
            ref += weights[i] * (Math.log(s) - z[i * width + targets[i]]);
        }
        assertThat(loss).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-5));
        GradCheck.check("cross-entropy", z, grad, 0, z.length, z.length, 1e-2f, 1e-3, 1e-2, rnd,
                in -> CrossEntropy.forward(in.clone(), targets, weights, rows, width, false));
    }

    @Test
    void embedding() {
        Random rnd = new Random(5);
        int vocab = 6, d = 5;
        float[] table = gaussian(rnd, vocab * d, 1.0);
        int[] ids = {2, 4, 2, 0};
        float[] r = gaussian(rnd, ids.length * d, 1.0);
        float[] dw = new float[vocab * d + 2];
        Embedding.backward(dw, 2, r, ids, d);
        float[] grad = java.util.Arrays.copyOfRange(dw, 2, dw.length);
        GradCheck.check("embedding", table, grad, 0, table.length, table.length, 1e-2f, 1e-3, 1e-2, rnd, in -> {
            float[] o = new float[ids.length * d];
            Embedding.forward(o, ids, new Weights.F32(in, 0, in.length), d);
            return dot(r, o);
        });
        // a row never looked up gets no gradient
        for (int c = 0; c < d; c++) assertThat(grad[d + c]).isZero();
    }

    @Test
    void attentionBidirectionalWithPadding() {
        boolean[] attend = {true, true, false, true, true, false, true, true, true, true, true, false};
        checkAttention(AttentionPattern.BIDIRECTIONAL, attend, 4, 2, 11);
    }

    @Test
    void attentionCausal() { checkAttention(AttentionPattern.CAUSAL, null, 4, 4, 12); }

    @Test
    void attentionBlockCausalWithGroupedHeads() {
        boolean[] attend = new boolean[12];
        java.util.Arrays.fill(attend, true);
        attend[0] = false;   // a left pad
        checkAttention(AttentionPattern.blockCausal(4), attend, 4, 1, 13);
    }

    @Test
    void attentionLookAheadWithPaddingAndGroupedHeads() {
        boolean[] attend = {true, true, false, true, true, true, true, true, true, true, true, false};
        checkAttention(AttentionPattern.lookahead(2), attend, 4, 2, 16);
        checkAttention(AttentionPattern.lookahead(0), null, 2, 2, 17);
        checkAttention(AttentionPattern.lookahead(11), null, 2, 1, 18, 1, 37, 8);   // long rows, vector path
    }

    @Test
    void attentionNoisyCleanLayout() {
        // BD3-LM's x_t ⊕ x_0 mask: blocks of 3 straddle the query tiles; long rows take the vector path
        checkAttention(AttentionPattern.noisyClean(3), null, 2, 1, 19, 1, 12, 8);
        boolean[] attend = new boolean[2 * 20];
        java.util.Arrays.fill(attend, true);
        attend[5] = attend[33] = false;
        checkAttention(AttentionPattern.noisyClean(4), attend, 2, 2, 20, 1, 40, 8);
    }

    @Test
    void attentionWithLongRowsUsesTheVectorPath() {
        // T = 19 exercises full SIMD chunks and tails on both the key and the head axes
        checkAttention(AttentionPattern.BIDIRECTIONAL, null, 2, 1, 14, 1, 19, 12);
        checkAttention(AttentionPattern.CAUSAL, null, 2, 2, 15, 1, 37, 8);
    }

    @Test
    void attentionOverRowsLongerThanTheWeightRowProducts() {
        // 300 keys: the backward's products take the transposed-strip path (more than 256 rows), with tails at 16 and 8 lanes
        boolean[] attend = new boolean[300];
        java.util.Arrays.fill(attend, true);
        attend[3] = attend[299] = false;
        checkAttention(AttentionPattern.BIDIRECTIONAL, attend, 2, 1, 26, 1, 300, 20);
        checkAttention(AttentionPattern.blockCausal(32), null, 4, 2, 27, 1, 300, 8);
    }

    private static void checkAttention(AttentionPattern mask, boolean[] attend, int H, int KVH, long seed) {
        checkAttention(mask, attend, H, KVH, seed, 2, 6, 4);
    }

    private static void checkAttention(AttentionPattern mask, boolean[] attend, int H, int KVH, long seed, int B, int T, int hd) {
        Random rnd = new Random(seed);
        int n = B * T;
        float[] q = gaussian(rnd, n * H * hd, 1.0), k = gaussian(rnd, n * KVH * hd, 1.0), v = gaussian(rnd, n * KVH * hd, 1.0);
        float[] r = gaussian(rnd, n * H * hd, 1.0);
        float[] out = new float[n * H * hd], probs = new float[B * H * T * T];
        Attention.forward(out, probs, q, k, v, attend, mask, B, T, H, KVH, hd);
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        Attention.backward(dq, dk, dv, r, probs, q, k, v, mask, B, T, H, KVH, hd);
        var f = (java.util.function.ToDoubleFunction<float[]>) unused -> {
            float[] o = new float[n * H * hd];
            Attention.forward(o, null, q, k, v, attend, mask, B, T, H, KVH, hd);
            return dot(r, o);
        };
        GradCheck.check("attention q", q, dq, 0, q.length, 60, 1e-2f, 2e-3, 2e-2, rnd, f);
        GradCheck.check("attention k", k, dk, 0, k.length, 60, 1e-2f, 2e-3, 2e-2, rnd, f);
        GradCheck.check("attention v", v, dv, 0, v.length, 60, 1e-2f, 2e-3, 2e-2, rnd, f);
    }
}
