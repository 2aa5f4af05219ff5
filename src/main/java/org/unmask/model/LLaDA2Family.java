package org.unmask.model;

import org.unmask.text.ChatTemplate;
import org.unmask.model.moe.ExpertWeights;
import org.unmask.model.moe.MoeFeedForward;
import org.unmask.model.moe.SigmoidRouter;
import org.unmask.model.moe.SigmoidRouterConfig;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * LLaDA 2.x mini ({@code LLaDA2MoeModelLM}, inclusionAI/LLaDA2.0-mini and LLaDA2.1-mini): BailingMoeV2 blocks run as a
 * masked-diffusion LM. One fused q/k/v tensor (rows [Q heads | K heads | V heads], no biases), per-head RMSNorm of
 * queries and keys before a partial rotate-half RoPE, layers {@code 0..first_k_dense_replace-1} dense SwiGLU and the
 * rest a mixture of experts under the sigmoid group-limited router with a shared expert, an untied head, no logit
 * shift. Inference only.
 *
 * <p>The family is a record of its mixture settings, so a {@link ModelConfig}'s family carries them; {@link #PROTOTYPE}
 * (the released mini's settings) is the instance {@link ModelFamilies} detects with.
 */
public record LLaDA2Family(Llada2Moe moe) implements ModelFamily {

    /** The instance detection uses; {@link #readConfig} returns a family with the file's own mixture settings. */
    public static final LLaDA2Family PROTOTYPE = new LLaDA2Family(Llada2Moe.mini());

    @Override public String name() { return "llada2"; }
    @Override public List<String> architectures() { return List.of("LLaDA2MoeModelLM"); }
    @Override public List<String> modelTypes() { return List.of("llada2_moe"); }

    /** LLaDA2.0/2.1-mini: 20 layers of 2048, 16 query and 4 key/value heads of 128 (64 rotated), vocabulary 157184. */
    static ModelConfig mini() {
        return new ModelConfig(PROTOTYPE, 2048, 20, 16, 4, 128, 5120, 157184, 157184, 32768, 600000.0, 64, 1e-6,
                false, true, false, false, 156895, 156892, 156892, null);
    }

    @Override public ModelConfig readConfig(ConfigJson j) throws IOException {
        int d = j.requiredInt("hidden_size"), layers = j.requiredInt("num_hidden_layers");
        int heads = j.requiredInt("num_attention_heads"), kv = j.optInt("num_key_value_heads", heads);
        int hd = j.optInt("head_dim", heads > 0 ? d / heads : 0);
        double factor = j.optReal("partial_rotary_factor") == null ? 1.0 : j.optReal("partial_rotary_factor");
        int rotary = (int) (hd * factor);   // HF: int(head_dim * partial_rotary_factor); config's rotary_dim is not read
        String act = j.text("hidden_act");
        if (act != null && !act.equals("silu")) throw j.error("hidden_act", "= \"" + act + "\" is not supported (LLaDA 2 uses \"silu\")");
        if (j.has("rope_scaling")) throw j.error("rope_scaling", "is not supported (LLaDA 2's released models have none)");
        if (j.optBool("use_qkv_bias", false)) throw j.error("use_qkv_bias", "= true is not supported (the released models have no q/k/v bias)");
        if (j.optBool("use_bias", false)) throw j.error("use_bias", "= true is not supported (the released models have no biases)");
        String score = j.text("score_function");
        if (score != null && !score.equals("sigmoid")) throw j.error("score_function", "= \"" + score + "\" is not supported (LLaDA 2 routes with \"sigmoid\")");
        Llada2Moe moe;
        try {
            moe = new Llada2Moe(new SigmoidRouterConfig(j.requiredInt("num_experts"), j.requiredInt("num_experts_per_tok"),
                    j.optInt("n_group", 1), j.optInt("topk_group", 1), j.optBool("norm_topk_prob", true),
                    (float) (j.optReal("routed_scaling_factor") == null ? 1.0 : j.optReal("routed_scaling_factor"))),
                    j.requiredInt("moe_intermediate_size"), j.optInt("num_shared_experts", 0), j.optInt("first_k_dense_replace", 0));
        } catch (IllegalArgumentException e) {
            throw new IOException(j.file() + ": " + e.getMessage(), e);
        }
        int vocab = j.requiredInt("vocab_size");
        int eos = j.optInt("eos_token_id", 156892);   // Ling-2.0's <|endoftext|>; the released config names only pad
        // the mask id is not in the released config.json: generate()'s default, SGLang and dInfer use 156895
        return new ModelConfig(new LLaDA2Family(moe), d, layers, heads, kv, hd, j.requiredInt("intermediate_size"),
                vocab, vocab, j.optInt("max_position_embeddings", 32768), j.requiredReal("rope_theta"), rotary,
                j.optReal("rms_norm_eps") == null ? 1e-6 : j.optReal("rms_norm_eps"), false,
                j.optBool("use_qk_norm", true), j.optBool("tie_word_embeddings", false), false,
                j.optInt("mask_token_id", 156895), eos, j.optInt("pad_token_id", eos), j.optInt("bos_token_id"));
    }

    /** The mixture settings of a config of this family. */
    static Llada2Moe moe(ModelConfig c) { return ((LLaDA2Family) c.family()).moe(); }

    @Override public Map<String, Object> configJson(ModelConfig c) {
        Llada2Moe m = moe(c);
        SigmoidRouterConfig r = m.router();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("architectures", List.of("LLaDA2MoeModelLM"));
        j.put("auto_map", Map.of("AutoConfig", "configuration_llada2_moe.LLaDA2MoeConfig",
                "AutoModel", "modeling_llada2_moe.LLaDA2MoeModel",
                "AutoModelForCausalLM", "modeling_llada2_moe.LLaDA2MoeModelLM"));
        j.put("attention_dropout", 0.0);
        j.put("dtype", "bfloat16");
        j.put("embedding_dropout", 0.0);
        j.put("first_k_dense_replace", m.firstDense());
        j.put("head_dim", c.headDim());
        j.put("hidden_act", "silu");
        j.put("hidden_size", c.dModel());
        j.put("initializer_range", 0.02);
        j.put("intermediate_size", c.mlpHiddenSize());
        j.put("max_position_embeddings", c.maxSequenceLength());
        j.put("model_type", "llada2_moe");
        j.put("moe_intermediate_size", m.expertWidth());
        j.put("moe_router_enable_expert_bias", true);
        j.put("n_group", r.groups());
        j.put("norm_topk_prob", r.normTopKProb());
        j.put("num_attention_heads", c.nHeads());
        j.put("num_experts", r.experts());
        j.put("num_experts_per_tok", r.topK());
        j.put("num_hidden_layers", c.nLayers());
        j.put("num_key_value_heads", c.nKvHeads());
        j.put("num_shared_experts", m.sharedExperts());
        j.put("pad_token_id", c.padTokenId());
        j.put("eos_token_id", c.eosTokenId());
        j.put("mask_token_id", c.maskTokenId());
        if (c.bosTokenIdOrNull() != null) j.put("bos_token_id", c.bosTokenIdOrNull());
        j.put("partial_rotary_factor", (double) c.rotaryDim() / c.headDim());
        j.put("rms_norm_eps", c.rmsNormEps());
        j.put("rope_scaling", null);
        j.put("rope_theta", c.ropeTheta());
        j.put("rotary_dim", c.rotaryDim());
        j.put("routed_scaling_factor", (double) r.scalingFactor());
        j.put("router_dtype", "fp32");
        j.put("score_function", "sigmoid");
        j.put("tie_word_embeddings", c.weightTying());
        j.put("topk_group", r.topKGroups());
        j.put("use_bias", false);
        j.put("use_cache", false);
        j.put("use_qkv_bias", false);
        j.put("use_qk_norm", c.qkNorm());
        j.put("vocab_size", c.vocabSize());
        return j;
    }

    @Override public String fieldName(ModelConfig.Field f) { return LlamaNames.field(f); }

    @Override public boolean mixtureOfExperts() { return true; }

    @Override public String describeFeedForward(ModelConfig c) {
        Llada2Moe m = moe(c);
        SigmoidRouterConfig r = m.router();
        String dense = m.firstDense() == 0 ? "" : "layers 0.." + (Math.min(m.firstDense(), c.nLayers()) - 1)
                + " SwiGLU, width " + c.mlpHiddenSize() + "; ";
        return dense + "layers " + m.firstDense() + ".." + (c.nLayers() - 1) + " mixture of " + r.experts()
                + " experts of width " + m.expertWidth() + ", top " + r.topK() + " (sigmoid, " + r.topKGroups() + " of "
                + r.groups() + " groups, ×" + r.scalingFactor() + "), " + m.sharedExperts() + " shared";
    }

    @Override public String embedding() { return "model.word_embeddings.weight"; }
    @Override public String finalNorm() { return LlamaNames.FINAL_NORM; }
    @Override public String lmHead() { return LlamaNames.LM_HEAD; }

    /** Q, K and V all name the fused tensor; the dense feed-forward names are layer 0's (the MoE layers have none). */
    @Override public String layerTensor(int layer, TensorRole role) {
        String p = "model.layers." + layer + ".";
        return switch (role) {
            case Q, K, V -> p + "attention.query_key_value.weight";
            case Q_BIAS, K_BIAS, V_BIAS -> p + "attention.query_key_value.bias";   // never present (use_qkv_bias refused)
            case Q_NORM -> p + "attention.query_layernorm.weight";
            case K_NORM -> p + "attention.key_layernorm.weight";
            case O -> p + "attention.dense.weight";
            case ATTN_NORM, FF_NORM, GATE, UP, DOWN -> LlamaNames.layerTensor(layer, role);
        };
    }

    /** The fused tensor's rows for Q, K or V ([Q heads | K heads | V heads], each row one output of width d_model). */
    @Override public Weights projection(ModelConfig c, int layer, TensorRole role, Function<String, Weights> tensor) {
        Weights w = tensor.apply(layerTensor(layer, role));
        long d = c.dModel(), q = (long) c.qDim() * d, kv = (long) c.kvDim() * d;
        return switch (role) {
            case Q -> w.slice(0, q);
            case K -> w.slice(q, kv);
            case V -> w.slice(q + kv, kv);
            default -> w;
        };
    }

    private static final List<TensorRole> FEED_FORWARD = List.of(TensorRole.GATE, TensorRole.UP, TensorRole.DOWN);

    @Override public Map<String, TensorSpec> tensors(ModelConfig c) {
        Llada2Moe m = moe(c);
        long d = c.dModel(), e = c.embeddingSize(), w = m.expertWidth(), s = (long) m.expertWidth() * m.sharedExperts();
        Map<String, TensorSpec> t = new LinkedHashMap<>();
        t.put(embedding(), new TensorSpec(new long[]{e, d}, TensorSpec.Init.GAUSSIAN));
        for (int l = 0; l < c.nLayers(); l++) {
            for (TensorRole r : TensorRole.values()) {
                if (!r.present(c) || r == TensorRole.K || r == TensorRole.V) continue;
                if (m.moeLayer(l) && FEED_FORWARD.contains(r)) continue;
                long[] shape = r == TensorRole.Q ? new long[]{c.qDim() + 2L * c.kvDim(), d} : r.shape(c);
                t.put(layerTensor(l, r), new TensorSpec(shape, r.init()));
            }
            if (!m.moeLayer(l)) continue;
            String p = "model.layers." + l + ".mlp.";
            t.put(p + "gate.weight", new TensorSpec(new long[]{m.router().experts(), d}, TensorSpec.Init.GAUSSIAN));
            t.put(p + "gate.expert_bias", new TensorSpec(new long[]{m.router().experts()}, TensorSpec.Init.ZEROS));
            for (int x = 0; x < m.router().experts(); x++) MoeTensors.putSwiGlu(t, p + "experts." + x + ".", d, w);
            if (m.sharedExperts() > 0) MoeTensors.putSwiGlu(t, p + "shared_experts.", d, s);
        }
        t.put(finalNorm(), new TensorSpec(new long[]{d}, TensorSpec.Init.ONES));
        if (!c.weightTying()) t.put(lmHead(), new TensorSpec(new long[]{e, d}, TensorSpec.Init.GAUSSIAN));
        return t;
    }

    @Override public FeedForward feedForward(ModelConfig c, int layer, Function<String, Weights> tensor) {
        Llada2Moe m = moe(c);
        if (!m.moeLayer(layer)) return ModelFamily.super.feedForward(c, layer, tensor);
        String p = "model.layers." + layer + ".mlp.";
        List<ExpertWeights> shared = m.sharedExperts() == 0 ? List.of()
                : List.of(MoeTensors.expert(tensor, p + "shared_experts.", c.dModel(), m.expertWidth() * m.sharedExperts()));
        SigmoidRouter router = new SigmoidRouter(m.router(), MoeTensors.floats(tensor.apply(p + "gate.expert_bias")));
        return new RoutedFeedForward(new MoeFeedForward(tensor.apply(p + "gate.weight"), router,
                MoeTensors.experts(tensor, p + "experts.", m.router().experts(), c.dModel(), m.expertWidth()), shared));
    }

    /**
     * LLaDA's low-confidence remasking at temperature 0 (the HF {@code generate} defaults). Not expressible yet in the
     * sampler settings: blocks of 32 for {@code generate} (here: blocks of 32 in chat and serve only) and the
     * confidence threshold 0.95 that commits every token above it; see docs/families.md.
     */
    @Override public GenerationDefaults generationDefaults() { return GenerationDefaults.LLADA2; }

    /** Ling 2.0's chat format ends every turn with {@code <|role_end|>}. */
    @Override public String endOfTurnToken() { return "<|role_end|>"; }

    /** Ling 2.0's role format. */
    @Override public ChatTemplate fallbackChatTemplate() { return new ChatTemplate(ChatTemplate.LING_JINJA, "", ""); }

    @Override public String toString() { return name(); }
}
