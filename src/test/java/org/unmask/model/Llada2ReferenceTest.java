package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.cli.Main;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.SafetensorsFile;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.unmask.model.DreamReferenceTest.assertClose;
import static org.unmask.model.DreamReferenceTest.headNorm;
import static org.unmask.model.DreamReferenceTest.linear;
import static org.unmask.model.DreamReferenceTest.rmsNorm;
import static org.unmask.model.DreamReferenceTest.rope;

/**
 * A random LLaDA 2.x checkpoint in the released layout against the official forward (modeling_llada2_moe.py's
 * equations) written here in double precision: fused q/k/v split by head order [Q|K|V], per-head QK RMSNorm before a
 * partial rotate-half RoPE, grouped-query attention, a dense SwiGLU layer 0, then sigmoid group-limited routing with
 * the expert bias used for selection only, weights normalised and scaled, plus the shared expert; untied head, no
 * shift. The reference also measures its routing margins, so a float/double near-tie cannot pass or fail silently.
 */
class Llada2ReferenceTest {

    static final Llada2Checkpoints.Shape S = Llada2Checkpoints.TINY;
    static final int[] IDS = {5, 17, 42, 3, 63, 63, 9, 0, 28};

    /** Smallest routing margin (group choice and expert choice) seen by the last {@link #forward}. */
    static double minMargin;

    static double[][] swiglu(double[][] x, Map<String, float[]> w, String p, int width, int d) {
        double[][] g = linear(x, w.get(p + "gate_proj.weight"), null, width);
        double[][] u = linear(x, w.get(p + "up_proj.weight"), null, width);
        for (int t = 0; t < x.length; t++) for (int i = 0; i < width; i++) g[t][i] = g[t][i] / (1 + Math.exp(-g[t][i])) * u[t][i];
        return linear(g, w.get(p + "down_proj.weight"), null, d);
    }

    /** LLaDA2MoeGate + LLaDA2MoeSparseMoeBlock for one token row. */
    static double[] moe(double[] x, Map<String, float[]> w, String p) {
        int E = S.experts(), G = S.groups(), per = E / G, d = S.hidden();
        double[] logits = linear(new double[][]{x}, w.get(p + "gate.weight"), null, E)[0];
        float[] bias = w.get(p + "gate.expert_bias");
        double[] score = new double[E], biased = new double[E];
        for (int e = 0; e < E; e++) { score[e] = 1 / (1 + Math.exp(-logits[e])); biased[e] = score[e] + bias[e]; }
        // group score: the sum of the group's two best biased scores; keep the topk_group best groups
        double[] group = new double[G];
        for (int g = 0; g < G; g++) {
            double[] in = Arrays.copyOfRange(biased, g * per, (g + 1) * per);
            Arrays.sort(in);
            group[g] = in[per - 1] + in[per - 2];
        }
        Integer[] gOrder = order(group);
        minMargin = Math.min(minMargin, group[gOrder[S.topKGroups() - 1]] - group[gOrder[S.topKGroups()]]);
        double[] masked = new double[E];
        Arrays.fill(masked, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < S.topKGroups(); i++) for (int e = 0; e < per; e++) masked[gOrder[i] * per + e] = biased[gOrder[i] * per + e];
        Integer[] eOrder = order(masked);
        minMargin = Math.min(minMargin, masked[eOrder[S.topK() - 1]] - masked[eOrder[S.topK()]]);
        double sum = 0;
        for (int i = 0; i < S.topK(); i++) sum += score[eOrder[i]];
        double[] out = swiglu(new double[][]{x}, w, p + "shared_experts.", S.expertWidth() * S.shared(), d)[0];
        for (int i = 0; i < S.topK(); i++) {
            double weight = score[eOrder[i]] / (sum + 1e-20) * S.scaling();
            double[] y = swiglu(new double[][]{x}, w, p + "experts." + eOrder[i] + ".", S.expertWidth(), d)[0];
            for (int c = 0; c < d; c++) out[c] += weight * y[c];
        }
        return out;
    }

    private static Integer[] order(double[] v) {
        Integer[] o = new Integer[v.length];
        for (int i = 0; i < o.length; i++) o[i] = i;
        Arrays.sort(o, (a, b) -> Double.compare(v[b], v[a]));
        return o;
    }

    /** Logits [T][V]; {@code block} > 0 lets query i see keys of its own and earlier blocks of that size only. */
    static double[][] forward(Map<String, float[]> w, int[] ids, int block) {
        minMargin = Double.POSITIVE_INFINITY;
        int T = ids.length, d = S.hidden(), H = S.heads(), KVH = S.kvHeads(), hd = S.headDim();
        double eps = 1e-6;
        double[][] h = new double[T][d];
        float[] emb = w.get("model.word_embeddings.weight");
        for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] = emb[ids[t] * d + i];
        for (int l = 0; l < S.layers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] x = rmsNorm(h, w.get(p + "input_layernorm.weight"), eps);
            double[][] qkv = linear(x, w.get(p + "attention.query_key_value.weight"), null, (H + 2 * KVH) * hd);
            double[][] q = new double[T][], k = new double[T][], v = new double[T][];
            for (int t = 0; t < T; t++) {   // view(…, H+2KVH, hd).split([H, KVH, KVH], dim=-2)
                q[t] = Arrays.copyOfRange(qkv[t], 0, H * hd);
                k[t] = Arrays.copyOfRange(qkv[t], H * hd, (H + KVH) * hd);
                v[t] = Arrays.copyOfRange(qkv[t], (H + KVH) * hd, (H + 2 * KVH) * hd);
            }
            headNorm(q, H, hd, w.get(p + "attention.query_layernorm.weight"), eps);
            headNorm(k, KVH, hd, w.get(p + "attention.key_layernorm.weight"), eps);
            for (int t = 0; t < T; t++) {
                rope(q[t], H, hd, S.rotary(), t, S.ropeTheta());
                rope(k[t], KVH, hd, S.rotary(), t, S.ropeTheta());
            }
            double[][] o = new double[T][H * hd];
            for (int head = 0; head < H; head++) {
                int kvh = head / (H / KVH);
                for (int i = 0; i < T; i++) {
                    double[] score = new double[T];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < T; j++) {
                        if (block > 0 && j / block > i / block) { score[j] = Double.NEGATIVE_INFINITY; continue; }
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
            double[][] attn = linear(o, w.get(p + "attention.dense.weight"), null, d);
            for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] += attn[t][i];
            double[][] f = rmsNorm(h, w.get(p + "post_attention_layernorm.weight"), eps);
            double[][] ff = new double[T][];
            if (l < S.firstDense()) ff = swiglu(f, w, p + "mlp.", S.intermediate(), d);
            else for (int t = 0; t < T; t++) ff[t] = moe(f[t], w, p + "mlp.");
            for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) h[t][i] += ff[t][i];
        }
        return linear(rmsNorm(h, w.get("model.norm.weight"), eps), w.get("lm_head.weight"), null, S.vocab());
    }

    @Test void bf16AndF32CheckpointsGiveTheReferenceLogits(@TempDir Path tmp) throws Exception {
        for (boolean bf16 : new boolean[]{true, false}) {
            Path dir = tmp.resolve(bf16 ? "bf16" : "f32");
            Map<String, float[]> w = Llada2Checkpoints.write(dir, S, bf16, 31);
            try (Checkpoint ckpt = Checkpoint.open(dir)) {
                ModelConfig c = ckpt.config();
                assertThat(c.family()).isInstanceOf(LLaDA2Family.class);
                assertThat(c.headDim()).isEqualTo(S.headDim());
                assertThat(c.rotaryDim()).isEqualTo(S.rotary());
                assertThat(c.qkNorm()).isTrue();
                assertThat(c.logitShift()).isFalse();
                assertThat(ckpt.tensors().get("lm_head.weight").dtype().name()).isEqualTo(bf16 ? "BF16" : "F32");
                Transformer m = Transformer.fromWeights(c, ckpt.tensors(), false);
                float[] got = m.logits(IDS, 1, IDS.length, null, null);
                double[][] ref = forward(w, IDS, 0);
                // a margin far above float rounding: engine and reference choose the same experts
                assertThat(minMargin).as("smallest routing margin").isGreaterThan(1e-4);
                for (int t = 0; t < IDS.length; t++) assertClose(got, t, ref[t], (bf16 ? "bf16" : "f32") + " pos " + t);
            }
        }
    }

    @Test void theLogitsCommandWithBlockLengthIsTheBlockCausalForward(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("llada2");
        Map<String, float[]> w = Llada2Checkpoints.write(dir, S, true, 32);
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
            double[][] ref = forward(w, IDS, block);
            assertThat(minMargin).as("smallest routing margin").isGreaterThan(1e-4);
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                float[] got = f.readF32("logits");
                for (int t = 0; t < IDS.length; t++) assertClose(got, t, ref[t], "block " + block + " pos " + t);
            }
        }
    }

    @Test void initWritesAConfigThatReadsBackAndAMiniPresetWithTheReleasedShapes() {
        ModelConfig mini = ModelConfig.preset("llada2-mini");
        Map<String, TensorSpec> t = mini.family().tensors(mini);
        assertThat(t.get("model.layers.0.attention.query_key_value.weight").shape()).containsExactly(3072, 2048);
        assertThat(t.get("model.layers.0.mlp.gate_proj.weight").shape()).containsExactly(5120, 2048);
        assertThat(t).doesNotContainKey("model.layers.1.mlp.gate_proj.weight");
        assertThat(t.get("model.layers.19.mlp.gate.weight").shape()).containsExactly(256, 2048);
        assertThat(t.get("model.layers.19.mlp.gate.expert_bias").shape()).containsExactly(256);
        assertThat(t.get("model.layers.19.mlp.experts.255.down_proj.weight").shape()).containsExactly(2048, 512);
        assertThat(t.get("model.layers.1.mlp.shared_experts.up_proj.weight").shape()).containsExactly(512, 2048);
        assertThat(t.get("model.layers.3.attention.dense.weight").shape()).containsExactly(2048, 2048);
        assertThat(t.get("lm_head.weight").shape()).containsExactly(157184, 2048);
        assertThat(t).hasSize(1 + 9 + 19 * (6 + 2 + 3 * 256 + 3) + 2);
        assertThat(mini.rotaryDim()).isEqualTo(64);
        // 16B in all (the model card's 16B total / 1.4B active)
        assertThat(mini.parameterCount()).isBetween(16_000_000_000L, 16_500_000_000L);
    }

    @Test void initFromASmallConfigThenInfoAndLogitsRun(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("small.json"), dir = tmp.resolve("model");
        Llada2Checkpoints.writeConfig(cfg, S, "bfloat16");
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("init", "--config", cfg.toString(), "--out", dir.toString(), "--dtype", "bf16")).as(err.toString()).isZero();
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            Map<String, long[]> expected = Llada2Checkpoints.shapes(S);
            assertThat(ckpt.tensors().keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            assertThat(ckpt.config()).isEqualTo(ModelConfig.read(cfg));
        }
        assertThat(cl.execute("info", "--model", dir.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("family: llada2 (LLaDA2MoeModelLM)")
                .contains("layers 0..0 SwiGLU, width 48; layers 1..2 mixture of 8 experts of width 12, top 2");
        Path logits = tmp.resolve("l.safetensors");
        assertThat(cl.execute("logits", "--model", dir.toString(), "--ids", "1 2 3", "--out", logits.toString()))
                .as(err.toString()).isZero();
    }

    @Test void generateRunsBlockwiseWithTheThresholdOnALlada2Model(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("llada2");
        Llada2Checkpoints.write(dir, S, true, 33);
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        // the HF generate's settings as flags (block 32 and threshold 0.95 are not yet the family's defaults)
        assertThat(cl.execute("generate", "--model", dir.toString(), "--prompt-ids", "5 6", "--gen-length", "8",
                "--block-length", "4", "--threshold", "0.95")).as(err.toString()).isZero();
        assertThat(out.toString()).isNotBlank();
    }

    @Test void configErrorsNameTheFileAndTheField(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("config.json");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        Map<String, Object[]> cases = new java.util.LinkedHashMap<>();
        cases.put("field 'use_qkv_bias' = true is not supported", new Object[]{"use_qkv_bias", true});
        cases.put("n_group must divide num_experts 8, got 3", new Object[]{"n_group", 3});
        cases.put("field 'score_function' = \"softmax\" is not supported", new Object[]{"score_function", "softmax"});
        cases.put("missing field 'num_experts'", new Object[]{"num_experts", null});
        for (var c : cases.entrySet()) {
            Llada2Checkpoints.writeConfig(f, S, "bfloat16");
            var node = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(f.toFile());
            if (c.getValue()[1] == null) node.remove((String) c.getValue()[0]);
            else node.set((String) c.getValue()[0], json.valueToTree(c.getValue()[1]));
            java.nio.file.Files.writeString(f, json.writeValueAsString(node));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelConfig.read(f))
                    .isInstanceOf(java.io.IOException.class).hasMessageStartingWith(f.toString()).hasMessageContaining(c.getKey());
        }
    }
}
