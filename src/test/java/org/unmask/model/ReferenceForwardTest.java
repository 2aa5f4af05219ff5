package org.unmask.model;

import org.unmask.model.kernels.AttentionPattern;
import org.junit.jupiter.api.Test;
import org.unmask.model.tensor.Weights;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * The whole model against a textbook LLaDA forward written here in plain double-precision loops straight from
 * the published LLaDA architecture (the Hugging Face LLaDAModelLM equations), independent of the engine's kernels.
 */
class ReferenceForwardTest {

    private static double[][] linear(double[][] x, Weights w, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int n = 0; n < out; n++) {
                double s = 0;
                for (int k = 0; k < in; k++) s += w.get((long) n * in + k) * x[t][k];
                y[t][n] = s;
            }
        }
        return y;
    }

    private static double[][] rmsNorm(double[][] x, Weights w, double eps) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double ms = 0;
            for (double v : x[t]) ms += v * v;
            double r = 1 / Math.sqrt(ms / x[t].length + eps);
            y[t] = new double[x[t].length];
            for (int i = 0; i < x[t].length; i++) y[t][i] = x[t][i] * r * w.get(i);
        }
        return y;
    }

    /** Rotate-half RoPE on every head of one row at position p. */
    private static void rope(double[] row, int heads, int hd, int p, double theta) {
        int half = hd / 2;
        for (int h = 0; h < heads; h++) {
            double[] x = Arrays.copyOfRange(row, h * hd, (h + 1) * hd);
            for (int i = 0; i < hd; i++) {
                int j = i % half;
                double angle = p * Math.pow(theta, -2.0 * j / hd);
                double rot = i < half ? -x[i + half] : x[i - half];
                row[h * hd + i] = x[i] * Math.cos(angle) + rot * Math.sin(angle);
            }
        }
    }

    /** Logits [T][E] of one sequence. */
    static double[][] forward(ModelConfig c, Map<String, Weights> w, int[] ids, boolean[] attend, AttentionPattern mask) {
        int T = ids.length, d = c.dModel(), H = c.nHeads(), KVH = c.nKvHeads(), hd = c.headDim();
        double[][] h = new double[T][d];
        Weights wte = w.get(LladaTensors.EMBEDDING);
        for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] = wte.get((long) ids[t] * d + i);
        for (int l = 0; l < c.nLayers(); l++) {
            double[][] a = rmsNorm(h, w.get(LladaTensors.block(l, "attn_norm")), c.rmsNormEps());
            double[][] q = linear(a, w.get(LladaTensors.block(l, "q_proj")), d);
            double[][] k = linear(a, w.get(LladaTensors.block(l, "k_proj")), c.kvDim());
            double[][] v = linear(a, w.get(LladaTensors.block(l, "v_proj")), c.kvDim());
            for (int t = 0; t < T; t++) { rope(q[t], H, hd, t, c.ropeTheta()); rope(k[t], KVH, hd, t, c.ropeTheta()); }
            double[][] o = new double[T][d];
            for (int head = 0; head < H; head++) {
                int kvh = head * KVH / H;   // repeat_interleave: consecutive query heads share a kv head
                for (int i = 0; i < T; i++) {
                    double[] s = new double[T];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < T; j++) {
                        if (!mask.allows(i, j) || (attend != null && !attend[j])) { s[j] = Double.NEGATIVE_INFINITY; continue; }
                        for (int x = 0; x < hd; x++) s[j] += q[i][head * hd + x] * k[j][kvh * hd + x];
                        s[j] /= Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < T; j++) z += Math.exp(s[j] - max);
                    for (int j = 0; j < T; j++) {
                        if (s[j] == Double.NEGATIVE_INFINITY) continue;
                        double p = Math.exp(s[j] - max) / z;
                        for (int x = 0; x < hd; x++) o[i][head * hd + x] += p * v[j][kvh * hd + x];
                    }
                }
            }
            double[][] attnOut = linear(o, w.get(LladaTensors.block(l, "attn_out")), d);
            for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] += attnOut[t][i];
            double[][] f = rmsNorm(h, w.get(LladaTensors.block(l, "ff_norm")), c.rmsNormEps());
            double[][] gate = linear(f, w.get(LladaTensors.block(l, "ff_proj")), c.mlpHiddenSize());
            double[][] up = linear(f, w.get(LladaTensors.block(l, "up_proj")), c.mlpHiddenSize());
            for (int t = 0; t < T; t++) for (int i = 0; i < gate[t].length; i++) gate[t][i] = gate[t][i] / (1 + Math.exp(-gate[t][i])) * up[t][i];
            double[][] down = linear(gate, w.get(LladaTensors.block(l, "ff_out")), d);
            for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] += down[t][i];
        }
        double[][] x = rmsNorm(h, w.get(LladaTensors.FINAL_NORM), c.rmsNormEps());
        return linear(x, w.get(c.weightTying() ? LladaTensors.EMBEDDING : LladaTensors.LM_HEAD), c.embeddingSize());
    }

    @Test
    void logitsMatchTheTextbookForward() {
        for (boolean tied : new boolean[]{false, true}) {
            ModelConfig c = LladaModelTest.tiny(tied);
            Transformer m = LladaModelTest.spread(c, 31);
            int T = 9, e = c.embeddingSize();
            int[] ids = LladaModelTest.randomIds(new Random(32), 2 * T, 11);
            boolean[] attend = new boolean[2 * T];
            Arrays.fill(attend, true);
            attend[T] = attend[T + 1] = false;   // left padding in the second row
            for (AttentionPattern mask : new AttentionPattern[]{AttentionPattern.BIDIRECTIONAL, AttentionPattern.CAUSAL, AttentionPattern.blockCausal(4)}) {
                float[] got = m.logits(ids, 2, T, attend, null, mask);
                for (int b = 0; b < 2; b++) {
                    double[][] ref = forward(c, m.tensors(), Arrays.copyOfRange(ids, b * T, (b + 1) * T),
                            Arrays.copyOfRange(attend, b * T, (b + 1) * T), mask);
                    for (int t = 0; t < T; t++) {
                        if (mask.kind() == AttentionPattern.Kind.CAUSAL && b == 1 && t < 2) continue;  // no visible key: undefined in HF
                        for (int j = 0; j < e; j++) {
                            assertThat((double) got[(b * T + t) * e + j]).as("%s tied=%s row %d pos %d logit %d", mask.kind(), tied, b, t, j)
                                    .isCloseTo(ref[t][j], offset(2e-4 * (1 + Math.abs(ref[t][j]))));
                        }
                    }
                }
            }
        }
    }
}
