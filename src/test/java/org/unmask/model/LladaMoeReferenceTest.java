package org.unmask.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.cli.Main;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.tensor.Weights;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.unmask.model.DreamReferenceTest.assertClose;
import static org.unmask.model.DreamReferenceTest.headNorm;
import static org.unmask.model.DreamReferenceTest.linear;
import static org.unmask.model.DreamReferenceTest.rmsNorm;
import static org.unmask.model.DreamReferenceTest.rope;

/**
 * A random LLaDA-MoE checkpoint (config.json and safetensors written here, names per modeling_lladamoe.py; the shared
 * expert and expert-bias names are unverified) against its forward in double precision: q/k/v/o, per-head q/k norm
 * before partial RoPE, a dense layer where {@code moe_layer_freq} says 0, else softmax routing whose expert bias
 * shifts selection and weights, top-k without renormalisation, plus the shared expert. Routing margins are measured.
 */
class LladaMoeReferenceTest {

    // hidden 32, 3 layers (layer 0 dense), 4 query / 2 kv heads of 8, half rotated, 8 experts of 12, top 2, shared 16
    static final int D = 32, L = 3, H = 4, KVH = 2, HD = 8, ROT = 4, DENSE = 48, E = 8, K = 2, W = 12, SHARED = 16, V = 64;
    static final double THETA = 50000, EPS = 1e-5;
    static final int[] FREQ = {0, 1, 1};
    static final int[] IDS = {5, 17, 42, 3, 63, 63, 9, 0, 28};
    static double minMargin;

    static Map<String, long[]> shapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", new long[]{V, D});
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            m.put(p + "input_layernorm.weight", new long[]{D});
            m.put(p + "self_attn.q_proj.weight", new long[]{H * HD, D});
            m.put(p + "self_attn.k_proj.weight", new long[]{KVH * HD, D});
            m.put(p + "self_attn.v_proj.weight", new long[]{KVH * HD, D});
            m.put(p + "self_attn.q_norm.weight", new long[]{HD});
            m.put(p + "self_attn.k_norm.weight", new long[]{HD});
            m.put(p + "self_attn.o_proj.weight", new long[]{D, H * HD});
            m.put(p + "post_attention_layernorm.weight", new long[]{D});
            if (FREQ[l] == 0) { swiglu(m, p + "mlp.", DENSE); continue; }
            m.put(p + "mlp.gate.weight", new long[]{E, D});
            m.put(p + "mlp.gate.expert_bias", new long[]{E});
            for (int e = 0; e < E; e++) swiglu(m, p + "mlp.experts." + e + ".", W);
            swiglu(m, p + "mlp.shared_expert.", SHARED);
        }
        m.put("model.norm.weight", new long[]{D});
        m.put("lm_head.weight", new long[]{V, D});
        return m;
    }

    static void swiglu(Map<String, long[]> m, String p, int width) {
        m.put(p + "gate_proj.weight", new long[]{width, D});
        m.put(p + "up_proj.weight", new long[]{width, D});
        m.put(p + "down_proj.weight", new long[]{D, width});
    }

    static Map<String, float[]> write(Path dir, boolean bf16, long seed) throws Exception {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add("LLaDAMoEModelLM");
        c.put("model_type", "lladamoe");
        c.put("attention_bias", false);
        c.put("dense_intermediate_size", DENSE);
        c.put("expert_intermediate_size", W);
        c.put("shared_expert_intermediate_size", SHARED);
        c.put("hidden_act", "silu");
        c.put("hidden_size", D);
        c.put("num_hidden_layers", L);
        c.put("num_attention_heads", H);
        c.put("num_key_value_heads", KVH);
        c.put("head_dim", HD);
        c.put("partial_rotary_factor", 0.5);
        c.put("qk_layernorm", true);
        c.put("rope_theta", THETA);
        c.put("rms_norm_eps", EPS);
        ArrayNode freq = c.putArray("moe_layer_freq");
        for (int f : FREQ) freq.add(f);
        c.put("num_experts", E);
        c.put("num_experts_per_tok", K);
        c.put("moe_router_enable_expert_bias", true);
        c.putNull("router_num_group");
        c.putNull("router_topk_group");
        c.put("tie_word_embeddings", false);
        c.put("vocab_size", V);
        c.put("mask_token_id", 63);
        c.put("eos_token_id", 0);
        c.put("pad_token_id", 0);
        c.put("torch_dtype", bf16 ? "bfloat16" : "float32");
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(c));
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, long[]> shapes = shapes();
        Map<String, float[]> values = new LinkedHashMap<>();
        ObjectNode header = json.createObjectNode();
        long offset = 0;
        for (var e : shapes.entrySet()) {
            long n = 1;
            for (long x : e.getValue()) n *= x;
            float[] a = new float[(int) n];
            boolean norm = e.getKey().endsWith("norm.weight");
            double std = norm ? 0.1 : e.getKey().endsWith("expert_bias") ? 0.05 : e.getKey().endsWith("gate.weight") ? 0.8 : 0.25;
            for (int i = 0; i < a.length; i++) a[i] = DreamCheckpoints.bf16((norm ? 1 : 0) + std * r.nextGaussian());
            values.put(e.getKey(), a);
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", bf16 ? "BF16" : "F32");
            ArrayNode s = t.putArray("shape");
            for (long x : e.getValue()) s.add(x);
            t.putArray("data_offsets").add(offset).add(offset + n * (bf16 ? 2 : 4));
            offset += n * (bf16 ? 2 : 4);
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (float[] a : values.values()) for (float v : a) {
            if (bf16) b.putShort((short) (Float.floatToRawIntBits(v) >>> 16)); else b.putFloat(v);
        }
        Files.write(dir.resolve("model.safetensors"), b.array());
        return values;
    }

    static double[] mlp(double[] x, Map<String, float[]> w, String p, int width) {
        double[][] g = linear(new double[][]{x}, w.get(p + "gate_proj.weight"), null, width);
        double[][] u = linear(new double[][]{x}, w.get(p + "up_proj.weight"), null, width);
        for (int i = 0; i < width; i++) g[0][i] = g[0][i] / (1 + Math.exp(-g[0][i])) * u[0][i];
        return linear(g, w.get(p + "down_proj.weight"), null, D)[0];
    }

    /** LLaDAMoESparseMoeBlock: softmax, + expert_bias, top-k of the biased probabilities as weights, + shared expert. */
    static double[] moe(double[] x, Map<String, float[]> w, String p) {
        double[] logits = linear(new double[][]{x}, w.get(p + "gate.weight"), null, E)[0];
        double max = Arrays.stream(logits).max().orElseThrow(), z = 0;
        for (double l : logits) z += Math.exp(l - max);
        double[] q = new double[E];
        for (int e = 0; e < E; e++) q[e] = Math.exp(logits[e] - max) / z + w.get(p + "gate.expert_bias")[e];
        Integer[] order = new Integer[E];
        for (int e = 0; e < E; e++) order[e] = e;
        Arrays.sort(order, (a, b) -> Double.compare(q[b], q[a]));
        minMargin = Math.min(minMargin, q[order[K - 1]] - q[order[K]]);
        double[] out = mlp(x, w, p + "shared_expert.", SHARED);
        for (int j = 0; j < K; j++) {
            double[] y = mlp(x, w, p + "experts." + order[j] + ".", W);
            for (int c = 0; c < D; c++) out[c] += q[order[j]] * y[c];
        }
        return out;
    }

    static double[][] forward(Map<String, float[]> w, int[] ids) {
        minMargin = Double.POSITIVE_INFINITY;
        int T = ids.length;
        double[][] h = new double[T][D];
        for (int t = 0; t < T; t++) for (int i = 0; i < D; i++) h[t][i] = w.get("model.embed_tokens.weight")[ids[t] * D + i];
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            double[][] x = rmsNorm(h, w.get(p + "input_layernorm.weight"), EPS);
            double[][] q = linear(x, w.get(p + "self_attn.q_proj.weight"), null, H * HD);
            double[][] k = linear(x, w.get(p + "self_attn.k_proj.weight"), null, KVH * HD);
            double[][] v = linear(x, w.get(p + "self_attn.v_proj.weight"), null, KVH * HD);
            headNorm(q, H, HD, w.get(p + "self_attn.q_norm.weight"), EPS);
            headNorm(k, KVH, HD, w.get(p + "self_attn.k_norm.weight"), EPS);
            for (int t = 0; t < T; t++) { rope(q[t], H, HD, ROT, t, THETA); rope(k[t], KVH, HD, ROT, t, THETA); }
            double[][] o = new double[T][H * HD];
            for (int head = 0; head < H; head++) {
                int kvh = head / (H / KVH);
                for (int i = 0; i < T; i++) {
                    double[] s = new double[T];
                    double max = Double.NEGATIVE_INFINITY, z = 0;
                    for (int j = 0; j < T; j++) {
                        for (int c = 0; c < HD; c++) s[j] += q[i][head * HD + c] * k[j][kvh * HD + c];
                        s[j] /= Math.sqrt(HD);
                        max = Math.max(max, s[j]);
                    }
                    for (int j = 0; j < T; j++) z += Math.exp(s[j] - max);
                    for (int j = 0; j < T; j++) for (int c = 0; c < HD; c++) o[i][head * HD + c] += Math.exp(s[j] - max) / z * v[j][kvh * HD + c];
                }
            }
            double[][] a = linear(o, w.get(p + "self_attn.o_proj.weight"), null, D);
            for (int t = 0; t < T; t++) for (int i = 0; i < D; i++) h[t][i] += a[t][i];
            double[][] f = rmsNorm(h, w.get(p + "post_attention_layernorm.weight"), EPS);
            for (int t = 0; t < T; t++) {
                double[] y = FREQ[l] == 0 ? mlp(f[t], w, p + "mlp.", DENSE) : moe(f[t], w, p + "mlp.");
                for (int i = 0; i < D; i++) h[t][i] += y[i];
            }
        }
        return linear(rmsNorm(h, w.get("model.norm.weight"), EPS), w.get("lm_head.weight"), null, V);
    }

    @Test void bf16AndF32CheckpointsGiveTheReferenceLogits(@TempDir Path tmp) throws Exception {
        for (boolean bf16 : new boolean[]{true, false}) {
            Path dir = tmp.resolve(bf16 ? "bf16" : "f32");
            Map<String, float[]> w = write(dir, bf16, 41);
            try (Checkpoint ckpt = Checkpoint.open(dir)) {
                ModelConfig c = ckpt.config();
                assertThat(c.family()).isInstanceOf(LladaMoeFamily.class);
                assertThat(c.rotaryDim()).isEqualTo(ROT);
                Map<String, Weights> t = ckpt.tensors();
                Transformer m = Transformer.fromWeights(c, t, false);
                float[] got = m.logits(IDS, 1, IDS.length, null, null);
                double[][] ref = forward(w, IDS);
                assertThat(minMargin).as("smallest routing margin").isGreaterThan(1e-4);
                for (int i = 0; i < IDS.length; i++) assertClose(got, i, ref[i], (bf16 ? "bf16" : "f32") + " pos " + i);
            }
        }
    }

    @Test void initFromItsConfigWritesTheSameLayoutAndInfoDescribesIt(@TempDir Path tmp) throws Exception {
        Path src = tmp.resolve("src"), dir = tmp.resolve("init");
        write(src, true, 42);
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("init", "--config", src.resolve("config.json").toString(), "--out", dir.toString()))
                .as(err.toString()).isZero();
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.tensors().keySet()).containsExactlyInAnyOrderElementsOf(shapes().keySet());
        }
        assertThat(cl.execute("info", "--model", dir.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("family: lladamoe")
                .contains("1 dense SwiGLU layers of width 48; 2 layers with a mixture of 8 experts of width 12, top 2 (softmax, expert bias), shared expert of width 16");
    }
}
