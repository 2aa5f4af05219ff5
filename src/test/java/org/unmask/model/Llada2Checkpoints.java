package org.unmask.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small random LLaDA 2.x checkpoints written here byte by byte in the released Hugging Face layout
 * (inclusionAI/LLaDA2.1-mini: config.json with LLaDA2MoeConfig's fields, the BailingMoeV2 tensor names, a fused
 * q/k/v, QK norms, a dense layer 0, routed and shared experts, {@code expert_bias}), independently of the code that
 * reads them. Values are representable in bf16, so the bf16 and f32 files hold the same model.
 */
public final class Llada2Checkpoints {
    private Llada2Checkpoints() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Sizes of a checkpoint; {@code rotary} = head_dim · partial_rotary_factor. */
    public record Shape(int hidden, int layers, int heads, int kvHeads, int headDim, int rotary, int intermediate,
                        int experts, int topK, int groups, int topKGroups, int expertWidth, int shared, int firstDense,
                        double scaling, int vocab, double ropeTheta, int maskId, int eosId) {}

    /**
     * Three layers (layer 0 dense), 4 query heads sharing 2 key/value heads of 16 (q width 64 ≠ hidden 32, as
     * head_dim is explicit), half of each head rotated, 8 experts of 12 in 4 groups (top-2 of top-2 groups), one
     * shared expert, vocabulary 64.
     */
    public static final Shape TINY = new Shape(32, 3, 4, 2, 16, 8, 48, 8, 2, 4, 2, 12, 1, 1, 2.5, 64, 600000.0, 63, 0);

    /** The tensors of {@code s} in the released names and shapes, in checkpoint order. */
    public static Map<String, long[]> shapes(Shape s) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = s.hidden(), hd = s.headDim();
        m.put("model.word_embeddings.weight", new long[]{s.vocab(), d});
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            m.put(p + "input_layernorm.weight", new long[]{d});
            m.put(p + "attention.query_key_value.weight", new long[]{(s.heads() + 2L * s.kvHeads()) * hd, d});
            m.put(p + "attention.query_layernorm.weight", new long[]{hd});
            m.put(p + "attention.key_layernorm.weight", new long[]{hd});
            m.put(p + "attention.dense.weight", new long[]{d, s.heads() * hd});
            m.put(p + "post_attention_layernorm.weight", new long[]{d});
            if (l < s.firstDense()) {
                swiglu(m, p + "mlp.", d, s.intermediate());
            } else {
                m.put(p + "mlp.gate.weight", new long[]{s.experts(), d});
                m.put(p + "mlp.gate.expert_bias", new long[]{s.experts()});
                for (int e = 0; e < s.experts(); e++) swiglu(m, p + "mlp.experts." + e + ".", d, s.expertWidth());
                swiglu(m, p + "mlp.shared_experts.", d, (long) s.expertWidth() * s.shared());
            }
        }
        m.put("model.norm.weight", new long[]{d});
        m.put("lm_head.weight", new long[]{s.vocab(), d});
        return m;
    }

    private static void swiglu(Map<String, long[]> m, String p, long d, long width) {
        m.put(p + "gate_proj.weight", new long[]{width, d});
        m.put(p + "up_proj.weight", new long[]{width, d});
        m.put(p + "down_proj.weight", new long[]{d, width});
    }

    /** Random values: norms near 1, matrices around 0, expert biases spread so that routing differs per token. */
    public static Map<String, float[]> values(Shape s, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(s).entrySet()) {
            long n = 1;
            for (long x : e.getValue()) n *= x;
            float[] a = new float[(int) n];
            String name = e.getKey();
            boolean norm = name.endsWith("norm.weight");
            double mean = norm ? 1 : 0, std = norm ? 0.1 : name.endsWith("expert_bias") ? 0.05 : name.endsWith("gate.weight") ? 0.5 : 0.25;
            for (int i = 0; i < a.length; i++) a[i] = DreamCheckpoints.bf16(mean + std * r.nextGaussian());
            m.put(name, a);
        }
        return m;
    }

    /** Writes {@code dir}: LLaDA2.1-mini's config.json with {@code s}'s sizes and one safetensors file. */
    public static Map<String, float[]> write(Path dir, Shape s, boolean bf16, long seed) throws IOException {
        Files.createDirectories(dir);
        Map<String, float[]> values = values(s, seed);
        writeConfig(dir.resolve("config.json"), s, bf16 ? "bfloat16" : "float32");
        Map<String, long[]> shapes = shapes(s);
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        int width = bf16 ? 2 : 4;
        for (String n : shapes.keySet()) {
            ObjectNode t = header.putObject(n);
            t.put("dtype", bf16 ? "BF16" : "F32");
            ArrayNode shape = t.putArray("shape");
            for (long x : shapes.get(n)) shape.add(x);
            long bytes = (long) values.get(n).length * width;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (String n : shapes.keySet()) {
            for (float v : values.get(n)) {
                if (bf16) b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                else b.putFloat(v);
            }
        }
        Files.write(dir.resolve("model.safetensors"), b.array());
        return values;
    }

    /** LLaDA2.1-mini's config.json fields with {@code s}'s sizes (its own values elsewhere); the file has no mask id. */
    public static void writeConfig(Path file, Shape s, String dtype) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LLaDA2MoeModelLM");
        ObjectNode autoMap = c.putObject("auto_map");
        autoMap.put("AutoConfig", "configuration_llada2_moe.LLaDA2MoeConfig");
        autoMap.put("AutoModel", "modeling_llada2_moe.LLaDA2MoeModel");
        autoMap.put("AutoModelForCausalLM", "modeling_llada2_moe.LLaDA2MoeModelLM");
        c.put("attention_dropout", 0.0);
        c.put("dtype", dtype);
        c.put("embedding_dropout", 0.0);
        c.put("first_k_dense_replace", s.firstDense());
        c.put("head_dim", s.headDim());
        c.put("hidden_act", "silu");
        c.put("hidden_size", s.hidden());
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", s.intermediate());
        c.put("max_position_embeddings", 32768);
        c.put("max_window_layers", 28);
        c.put("model_type", "llada2_moe");
        c.put("moe_intermediate_size", s.expertWidth());
        c.put("moe_router_enable_expert_bias", true);
        c.put("n_group", s.groups());
        c.put("norm_head", false);
        c.put("norm_softmax", false);
        c.put("norm_topk_prob", true);
        c.put("num_attention_heads", s.heads());
        c.put("num_experts", s.experts());
        c.put("num_experts_per_tok", s.topK());
        c.put("num_hidden_layers", s.layers());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("num_shared_experts", s.shared());
        c.put("output_dropout", 0.0);
        c.put("output_router_logits", false);
        c.put("pad_token_id", s.eosId());
        c.put("eos_token_id", s.eosId());
        c.put("mask_token_id", s.maskId());   // not in the released file (there: 156895 by default)
        c.put("partial_rotary_factor", (double) s.rotary() / s.headDim());
        c.put("rms_norm_eps", 1e-6);
        c.putNull("rope_scaling");
        c.put("rope_theta", s.ropeTheta());
        c.put("rotary_dim", s.rotary());
        c.put("routed_scaling_factor", s.scaling());
        c.put("router_dtype", "fp32");
        c.put("score_function", "sigmoid");
        c.put("sliding_window", 4096);
        c.put("tie_word_embeddings", false);
        c.put("topk_group", s.topKGroups());
        c.put("transformers_version", "4.57.1");
        c.put("use_bias", false);
        c.put("use_cache", false);
        c.put("use_qkv_bias", false);
        c.put("use_qk_norm", true);
        c.put("vocab_size", s.vocab());
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c));
    }
}
