package org.unmask.model.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The attention pieces of the MoE families — per-head QK RMSNorm, partial rotary embedding, fused QKV split — against
 * plain double-precision loops written from their equations.
 */
class AttentionExtrasTest {

    @Test
    void headNormNormalisesEachHeadWithTheSharedWeight() {
        SplittableRandom rnd = new SplittableRandom(1);
        int rows = 5, heads = 3, hd = 20;
        float eps = 1e-6f;
        float[] x = random(rnd, rows * heads * hd, 3), w = random(rnd, hd + 2, 1);
        float[] y = x.clone();
        HeadRmsNorm.forward(y, rows, heads, hd, w, 2, eps);
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < heads; h++) {
                int o = (r * heads + h) * hd;
                double ss = 0;
                for (int i = 0; i < hd; i++) ss += (double) x[o + i] * x[o + i];
                double inv = 1 / Math.sqrt(ss / hd + eps);
                for (int i = 0; i < hd; i++)
                    assertThat((double) y[o + i]).as("row %d head %d dim %d", r, h, i)
                            .isCloseTo(x[o + i] * inv * w[2 + i], org.assertj.core.data.Offset.offset(1e-5));
            }
    }

    @Test
    void headNormInsideAFusedRowLeavesTheOtherColumnsAlone() {
        SplittableRandom rnd = new SplittableRandom(2);
        int rows = 4, H = 4, KVH = 2, hd = 16, width = FusedQkv.width(H, KVH, hd);
        float[] qkv = random(rnd, rows * width, 2), w = random(rnd, hd, 1);
        float[] strided = qkv.clone();
        // normalise only the K heads in place, at column offset H·hd of each fused row
        HeadRmsNorm.forward(strided, H * hd, width, rows, KVH, hd, w, 0, 1e-6f);
        float[] q = new float[rows * H * hd], k = new float[rows * KVH * hd], v = new float[rows * KVH * hd];
        FusedQkv.split(qkv, rows, H, KVH, hd, q, k, v);
        HeadRmsNorm.forward(k, rows, KVH, hd, w, 0, 1e-6f);
        float[] q2 = new float[q.length], k2 = new float[k.length], v2 = new float[v.length];
        FusedQkv.split(strided, rows, H, KVH, hd, q2, k2, v2);
        assertThat(q2).containsExactly(q);
        assertThat(k2).containsExactly(k);
        assertThat(v2).containsExactly(v);
    }

    @Test
    void partialRopeRotatesTheLeadingSliceAndPassesTheRest() {
        SplittableRandom rnd = new SplittableRandom(3);
        int hd = 32, rot = 12, heads = 3, seqLen = 9, rows = 2 * seqLen;
        double theta = 600000;
        PartialRope rope = new PartialRope(hd, rot, theta, 64);
        float[] x = random(rnd, rows * heads * hd, 1);
        float[] y = x.clone();
        rope.forward(y, rows, seqLen, heads);
        int half = rot / 2;
        for (int r = 0; r < rows; r++) {
            int p = r % seqLen;
            for (int h = 0; h < heads; h++) {
                int o = (r * heads + h) * hd;
                for (int m = 0; m < half; m++) {
                    double a = p * Math.pow(theta, -2.0 * m / rot), c = Math.cos(a), s = Math.sin(a);
                    double x0 = x[o + m], x1 = x[o + m + half];
                    assertThat((double) y[o + m]).isCloseTo(x0 * c - x1 * s, org.assertj.core.data.Offset.offset(2e-6));
                    assertThat((double) y[o + m + half]).isCloseTo(x1 * c + x0 * s, org.assertj.core.data.Offset.offset(2e-6));
                }
                for (int i = rot; i < hd; i++) assertThat(y[o + i]).as("pass-through dim %d", i).isEqualTo(x[o + i]);
            }
        }
    }

    @Test
    void fullWidthPartialRopeIsTheOrdinaryRope() {
        SplittableRandom rnd = new SplittableRandom(4);
        int hd = 16, heads = 2, rows = 12;
        float[] x = random(rnd, rows * heads * hd, 1), y = x.clone();
        new PartialRope(hd, hd, 10000, 32).forward(x, rows, 6, heads);
        new Rope(hd, 10000, 32).forward(y, rows, 6, heads);
        assertThat(x).containsExactly(y);
    }

    @Test
    void oneRopeCallOverTheFusedRowRotatesQueriesAndKeysButNotValues() {
        SplittableRandom rnd = new SplittableRandom(5);
        int rows = 6, H = 2, KVH = 1, hd = 8, width = FusedQkv.width(H, KVH, hd);
        PartialRope rope = new PartialRope(hd, 4, 600000, 16);
        float[] qkv = random(rnd, rows * width, 1), fused = qkv.clone();
        rope.forward(fused, 0, width, rows, rows, H + KVH);
        float[] q = new float[rows * H * hd], k = new float[rows * KVH * hd], v = new float[rows * KVH * hd];
        FusedQkv.split(qkv, rows, H, KVH, hd, q, k, v);
        rope.forward(q, rows, rows, H);
        rope.forward(k, rows, rows, KVH);
        float[] q2 = new float[q.length], k2 = new float[k.length], v2 = new float[v.length];
        FusedQkv.split(fused, rows, H, KVH, hd, q2, k2, v2);
        assertThat(q2).containsExactly(q);
        assertThat(k2).containsExactly(k);
        assertThat(v2).containsExactly(v);
    }

    @Test
    void fusedSplitTakesHeadsInQKVOrder() {
        int rows = 3, H = 4, KVH = 2, hd = 5, width = FusedQkv.width(H, KVH, hd);
        assertThat(width).isEqualTo(40);
        float[] qkv = new float[rows * width];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < width; c++) qkv[r * width + c] = r * 1000 + c;   // value names its row and column
        float[] q = new float[rows * H * hd], k = new float[rows * KVH * hd], v = new float[rows * KVH * hd];
        FusedQkv.split(qkv, rows, H, KVH, hd, q, k, v);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < H * hd; c++) assertThat(q[r * H * hd + c]).isEqualTo(r * 1000 + c);
            for (int c = 0; c < KVH * hd; c++) {
                assertThat(k[r * KVH * hd + c]).isEqualTo(r * 1000 + H * hd + c);
                assertThat(v[r * KVH * hd + c]).isEqualTo(r * 1000 + (H + KVH) * hd + c);
            }
        }
        assertThatThrownBy(() -> FusedQkv.split(qkv, rows, H, KVH, hd, q, new float[5], v)).hasMessageContaining("k needs 30");
    }

    @Test
    void rejectsBadShapes() {
        assertThatThrownBy(() -> new PartialRope(128, 65, 1e4, 8)).hasMessageContaining("rotary_dim");
        assertThatThrownBy(() -> new PartialRope(128, 256, 1e4, 8)).hasMessageContaining("rotary_dim");
        PartialRope rope = new PartialRope(8, 4, 1e4, 4);
        assertThatThrownBy(() -> rope.forward(new float[64], 8, 8, 1)).hasMessageContaining("outside the RoPE table");
        assertThatThrownBy(() -> rope.forward(new float[10], 2, 2, 1)).hasMessageContaining("needs more than the 10");
        assertThatThrownBy(() -> HeadRmsNorm.forward(new float[32], 2, 2, 8, new float[7], 0, 1e-6f))
                .hasMessageContaining("weight needs 8");
        assertThatThrownBy(() -> HeadRmsNorm.forward(new float[32], 0, 8, 2, 2, 8, new float[8], 0, 1e-6f))
                .hasMessageContaining("stride 8");
    }

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }
}
