package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.api.UnmaskModel;
import org.unmask.cli.Main;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.SafetensorsFile;
import org.unmask.model.kernels.AttentionPattern;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * A random Dream checkpoint in the released Hugging Face layout, loaded from its directory, against Dream's forward
 * written here in plain double-precision loops from the official modeling equations (Qwen2 blocks: RMSNorm,
 * q/k/v with biases, rotate-half RoPE, grouped-query attention without a causal mask, SwiGLU, untied head). The
 * reference reads the tensors by their released names from the values the fixture wrote, never through the engine.
 */
class DreamReferenceTest {

    static final DreamCheckpoints.Shape S = DreamCheckpoints.TINY;

    // ---- the reference (modeling_dream.py's equations, double precision) ----

    /** {@code y = x·Wᵀ (+ b)} with W stored [out, in]. */
    static double[][] linear(double[][] x, float[] w, float[] bias, int out) {
        int in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int n = 0; n < out; n++) {
                double s = bias == null ? 0 : bias[n];
                for (int k = 0; k < in; k++) s += (double) w[n * in + k] * x[t][k];
                y[t][n] = s;
            }
        }
        return y;
    }

    /** Qwen2RMSNorm: {@code weight · x / sqrt(mean(x²) + eps)}. */
    static double[][] rmsNorm(double[][] x, float[] w, double eps) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double ms = 0;
            for (double v : x[t]) ms += v * v;
            double r = 1 / Math.sqrt(ms / x[t].length + eps);
            y[t] = new double[x[t].length];
            for (int i = 0; i < x[t].length; i++) y[t][i] = w[i] * (x[t][i] * r);
        }
        return y;
    }

    /**
     * apply_rotary_pos_emb on the first {@code r} dimensions of each head: {@code x·cos + rotate_half(x)·sin},
     * {@code inv_freq_j = theta^(-2j/r)}; the dimensions from {@code r} on pass through (partial rotary).
     */
    static void rope(double[] row, int heads, int hd, int r, int position, double theta) {
        int half = r / 2;
        for (int h = 0; h < heads; h++) {
            double[] x = Arrays.copyOfRange(row, h * hd, (h + 1) * hd);
            for (int i = 0; i < r; i++) {
                double angle = position * Math.pow(theta, -2.0 * (i % half) / r);
                double rotated = i < half ? -x[i + half] : x[i - half];
                row[h * hd + i] = x[i] * Math.cos(angle) + rotated * Math.sin(angle);
            }
        }
    }

    /** RMSNorm of every head of every row on its own, with one weight vector of the head size. */
    static void headNorm(double[][] x, int heads, int hd, float[] w, double eps) {
        for (double[] row : x) {
            for (int h = 0; h < heads; h++) {
                double[][] one = {Arrays.copyOfRange(row, h * hd, (h + 1) * hd)};
                System.arraycopy(rmsNorm(one, w, eps)[0], 0, row, h * hd, hd);
            }
        }
    }

    /**
     * Raw logits [T][V] of one row. {@code attend} (nullable) marks the keys that may be seen; {@code block} > 0 lets
     * query i see keys of its own and earlier blocks of that size only.
     */
    static double[][] forward(DreamCheckpoints.Shape s, Map<String, float[]> w, int[] ids, boolean[] attend, int block) {
        return forward(s, w, ids, attend, block, s.headDim());
    }

    /**
     * The same with RoPE on the first {@code rotary} dimensions of each head, and Qwen3-style per-head q/k RMSNorm
     * before RoPE when {@code w} holds {@code self_attn.q_norm.weight} / {@code k_norm.weight}.
     */
    static double[][] forward(DreamCheckpoints.Shape s, Map<String, float[]> w, int[] ids, boolean[] attend, int block,
                              int rotary) {
        int T = ids.length, d = s.hidden(), H = s.heads(), KVH = s.kvHeads(), hd = s.headDim(), V = s.vocab();
        double eps = 1e-6;
        double[][] h = new double[T][d];
        float[] emb = w.get("model.embed_tokens.weight");
        for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] = emb[ids[t] * d + i];
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] x = rmsNorm(h, w.get(p + "input_layernorm.weight"), eps);
            double[][] q = linear(x, w.get(p + "self_attn.q_proj.weight"), w.get(p + "self_attn.q_proj.bias"), H * hd);
            double[][] k = linear(x, w.get(p + "self_attn.k_proj.weight"), w.get(p + "self_attn.k_proj.bias"), KVH * hd);
            double[][] v = linear(x, w.get(p + "self_attn.v_proj.weight"), w.get(p + "self_attn.v_proj.bias"), KVH * hd);
            if (w.containsKey(p + "self_attn.q_norm.weight")) {
                headNorm(q, H, hd, w.get(p + "self_attn.q_norm.weight"), eps);
                headNorm(k, KVH, hd, w.get(p + "self_attn.k_norm.weight"), eps);
            }
            for (int t = 0; t < T; t++) {
                rope(q[t], H, hd, rotary, t, s.ropeTheta());
                rope(k[t], KVH, hd, rotary, t, s.ropeTheta());
            }
            double[][] o = new double[T][H * hd];
            for (int head = 0; head < H; head++) {
                int kvh = head / (H / KVH);   // repeat_kv: consecutive query heads share a key/value head
                for (int i = 0; i < T; i++) {
                    double[] score = new double[T];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < T; j++) {
                        boolean visible = (attend == null || attend[j]) && (block <= 0 || j / block <= i / block);
                        if (!visible) { score[j] = Double.NEGATIVE_INFINITY; continue; }
                        for (int c = 0; c < hd; c++) score[j] += q[i][head * hd + c] * k[j][kvh * hd + c];
                        score[j] /= Math.sqrt(hd);
                        max = Math.max(max, score[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < T; j++) z += Math.exp(score[j] - max);
                    for (int j = 0; j < T; j++) {
                        double pr = Math.exp(score[j] - max) / z;
                        for (int c = 0; c < hd; c++) o[i][head * hd + c] += pr * v[j][kvh * hd + c];
                    }
                }
            }
            double[][] attn = linear(o, w.get(p + "self_attn.o_proj.weight"), null, d);
            for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] += attn[t][i];
            double[][] f = rmsNorm(h, w.get(p + "post_attention_layernorm.weight"), eps);
            double[][] gate = linear(f, w.get(p + "mlp.gate_proj.weight"), null, s.intermediate());
            double[][] up = linear(f, w.get(p + "mlp.up_proj.weight"), null, s.intermediate());
            for (int t = 0; t < T; t++) {
                for (int i = 0; i < s.intermediate(); i++) gate[t][i] = gate[t][i] / (1 + Math.exp(-gate[t][i])) * up[t][i];
            }
            double[][] down = linear(gate, w.get(p + "mlp.down_proj.weight"), null, d);
            for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] += down[t][i];
        }
        return linear(rmsNorm(h, w.get("model.norm.weight"), eps), w.get("lm_head.weight"), null, V);
    }

    static void assertClose(float[] got, int row, double[] expected, String what) {
        int V = expected.length;
        for (int j = 0; j < V; j++) {
            assertThat((double) got[row * V + j]).as("%s, logit %d", what, j)
                    .isCloseTo(expected[j], offset(2e-4 * (1 + Math.abs(expected[j]))));
        }
    }

    static final int[] IDS = {5, 17, 42, 3, 63, 63, 9, 0, 28};

    // ---- the tests ----

    @Test void bf16AndF32CheckpointsGiveTheReferenceLogitsForABatchWithPadding(@TempDir Path tmp) throws Exception {
        for (boolean bf16 : new boolean[]{true, false}) {
            Path dir = tmp.resolve(bf16 ? "bf16" : "f32");
            Map<String, float[]> w = DreamCheckpoints.write(dir, S, bf16, 21);
            try (Checkpoint ckpt = Checkpoint.open(dir)) {
                ModelConfig c = ckpt.config();
                assertThat(c.family()).isSameAs(DreamFamily.INSTANCE);
                assertThat(c.qkvBias()).isTrue();
                assertThat(c.logitShift()).isTrue();
                assertThat(ckpt.tensors().get("lm_head.weight").dtype().name()).isEqualTo(bf16 ? "BF16" : "F32");
                Transformer m = Transformer.fromWeights(c, ckpt.tensors(), false);
                int T = IDS.length;
                int[] batch = new int[2 * T];
                System.arraycopy(IDS, 0, batch, 0, T);
                int[] padded = {0, 0, 7, 11, 63, 1, 2, 63, 30};   // two left pads
                System.arraycopy(padded, 0, batch, T, T);
                boolean[] attend = new boolean[2 * T];
                Arrays.fill(attend, true);
                attend[T] = attend[T + 1] = false;
                float[] got = m.logits(batch, 2, T, attend, null);
                double[][] ref0 = forward(S, w, IDS, null, 0);
                double[][] ref1 = forward(S, w, padded, Arrays.copyOfRange(attend, T, 2 * T), 0);
                for (int t = 0; t < T; t++) assertClose(got, t, ref0[t], (bf16 ? "bf16" : "f32") + " row 0 pos " + t);
                for (int t = 2; t < T; t++) assertClose(got, T + t, ref1[t], (bf16 ? "bf16" : "f32") + " row 1 pos " + t);
            }
        }
    }

    @Test void theLogitsCommandWritesTheRawForwardBidirectionalOrBlockCausal(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("dream");
        Map<String, float[]> w = DreamCheckpoints.write(dir, S, true, 22);
        String ids = String.join(" ", Arrays.stream(IDS).mapToObj(Integer::toString).toArray(String[]::new));
        for (int block : new int[]{0, 4}) {
            Path out = tmp.resolve("logits-" + block + ".safetensors");
            StringWriter err = new StringWriter();
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            String[] args = block == 0
                    ? new String[]{"logits", "--model", dir.toString(), "--ids", ids, "--out", out.toString()}
                    : new String[]{"logits", "--model", dir.toString(), "--ids", ids, "--out", out.toString(), "--block-length", "4"};
            assertThat(cl.execute(args)).as(err.toString()).isZero();
            double[][] ref = forward(S, w, IDS, null, block);
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                assertThat(f.tensors().get("logits").shape()).containsExactly(IDS.length, S.vocab());
                float[] got = f.readF32("logits");
                // no shift: row t is the output at t itself
                for (int t = 0; t < IDS.length; t++) assertClose(got, t, ref[t], "block " + block + " pos " + t);
            }
        }
    }

    @Test void theSamplerSeesDreamsShiftedLogits(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("dream");
        Map<String, float[]> w = DreamCheckpoints.write(dir, S, false, 23);
        UnmaskModel model = UnmaskModel.load(dir);
        double[][] ref = forward(S, w, IDS, null, 0);
        int[] rows = {0, 1, 4, 8};
        float[] got = model.denoiser().logits(IDS, 1, IDS.length, null, rows);
        // cat([logits[:, :1], logits[:, :-1]]): position 0 keeps its own output, position t gets the output at t-1
        assertClose(got, 0, ref[0], "row 0");
        for (int i = 1; i < rows.length; i++) assertClose(got, i, ref[rows[i] - 1], "row " + rows[i]);
    }

    @Test void theEngineAlsoRunsPerHeadQkNormAndPartialRotary() {
        // options of the families to come (LLaDA 2.x: QK norm before RoPE, rotary over half of each head)
        int rotary = S.headDim() / 2;
        ModelConfig c = new ModelConfig(DreamFamily.INSTANCE, S.hidden(), S.layers(), S.heads(), S.kvHeads(), S.headDim(),
                S.intermediate(), S.vocab(), S.vocab(), 131072, S.ropeTheta(), rotary, 1e-6, true, true, false, true,
                S.maskId(), S.eosId(), S.eosId(), S.eosId());
        Map<String, float[]> w = new java.util.LinkedHashMap<>(DreamCheckpoints.values(S, 24));
        java.util.SplittableRandom r = new java.util.SplittableRandom(25);
        for (int l = 0; l < S.layers(); l++) {
            for (String n : new String[]{"q_norm", "k_norm"}) {
                float[] a = new float[S.headDim()];
                for (int i = 0; i < a.length; i++) a[i] = (float) (1 + 0.3 * r.nextGaussian());
                w.put("model.layers." + l + ".self_attn." + n + ".weight", a);
            }
        }
        Map<String, org.unmask.model.tensor.Weights> tensors = new java.util.LinkedHashMap<>();
        w.forEach((n, a) -> tensors.put(n, new org.unmask.model.tensor.Weights.F32(a, 0, a.length)));
        Transformer m = Transformer.fromWeights(c, tensors, false);
        float[] got = m.logits(IDS, 1, IDS.length, null, null, AttentionPattern.BIDIRECTIONAL);
        double[][] ref = forward(S, w, IDS, null, 0, rotary);
        for (int t = 0; t < IDS.length; t++) assertClose(got, t, ref[t], "pos " + t);
    }
}
