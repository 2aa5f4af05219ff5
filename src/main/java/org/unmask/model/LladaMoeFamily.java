package org.unmask.model;

import org.unmask.text.ChatTemplate;
import org.unmask.model.moe.ExpertWeights;
import org.unmask.model.moe.MoeFeedForward;
import org.unmask.model.moe.SoftmaxRouter;
import org.unmask.model.moe.SoftmaxRouterConfig;
import org.unmask.model.tensor.Weights;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * LLaDA-MoE ({@code lladamoe}, inclusionAI/LLaDA-MoE-7B-A1B-Base and -Instruct): OLMoE-style blocks run
 * bidirectionally. Separate q/k/v/o projections, optional per-head q/k RMSNorm before a (partial) rotate-half RoPE,
 * per layer a dense SwiGLU or a mixture under the softmax router (its optional expert bias shifts selection and
 * weights alike), an optional shared expert, an untied head, no logit shift. Inference only.
 *
 * <p>Names not seen in a released checkpoint (the released models have neither) are marked in docs/families.md:
 * the shared expert {@code mlp.shared_expert.*} and the bias {@code mlp.gate.expert_bias}.
 */
public record LladaMoeFamily(LladaMoeSettings moe) implements ModelFamily {

    /** The instance detection uses; {@link #readConfig} returns a family with the file's own settings. */
    public static final LladaMoeFamily PROTOTYPE = new LladaMoeFamily(
            new LladaMoeSettings(new SoftmaxRouterConfig(64, 8, false), 1024, 0, false, Collections.nCopies(16, 1)));

    @Override public String name() { return "lladamoe"; }
    @Override public List<String> architectures() { return List.of("LLaDAMoEModelLM"); }
    @Override public List<String> modelTypes() { return List.of("lladamoe"); }

    @Override public ModelConfig readConfig(ConfigJson j) throws IOException {
        int d = j.requiredInt("hidden_size"), layers = j.requiredInt("num_hidden_layers");
        int heads = j.requiredInt("num_attention_heads"), kv = j.optInt("num_key_value_heads", heads);
        int hd = j.optInt("head_dim", heads > 0 ? d / heads : 0);
        double factor = j.optReal("partial_rotary_factor") == null ? 1.0 : j.optReal("partial_rotary_factor");
        String act = j.text("hidden_act");
        if (act != null && !act.equals("silu")) throw j.error("hidden_act", "= \"" + act + "\" is not supported (LLaDA-MoE uses \"silu\")");
        if (j.has("rope_scaling")) throw j.error("rope_scaling", "is not supported (the released models have none)");
        // the engine has q/k/v biases but no o_proj bias, which OLMoE's attention_bias also adds
        if (j.optBool("attention_bias", false)) throw j.error("attention_bias", "= true is not supported (o_proj's bias is not computed)");
        for (String g : List.of("router_num_group", "router_topk_group")) {
            Integer v = j.optInt(g);
            if (v != null && v > 1) throw j.error(g, "= " + v + " is not supported (group-limited softmax routing is not implemented)");
        }
        int shared = j.optInt("shared_expert_intermediate_size", 0);
        List<Integer> freq = j.optIntList("moe_layer_freq");
        if (freq == null || (freq.size() == 1 && freq.getFirst() == 1)) freq = Collections.nCopies(Math.max(layers, 0), 1);
        if (freq.size() != layers) throw j.error("moe_layer_freq", "has " + freq.size() + " entries for " + layers + " layers (num_hidden_layers)");
        LladaMoeSettings moe;
        try {
            moe = new LladaMoeSettings(new SoftmaxRouterConfig(j.requiredInt("num_experts"), j.requiredInt("num_experts_per_tok"), false),
                    j.requiredInt("expert_intermediate_size"), shared, j.optBool("moe_router_enable_expert_bias", false), freq);
        } catch (IllegalArgumentException e) {
            throw new IOException(j.file() + ": " + e.getMessage(), e);
        }
        int vocab = j.requiredInt("vocab_size"), eos = j.optInt("eos_token_id", 156892);
        int dense = j.optInt("dense_intermediate_size", moe.expertWidth());   // unused when every layer has experts
        return new ModelConfig(new LladaMoeFamily(moe), d, layers, heads, kv, hd, dense, vocab, vocab,
                j.optInt("max_position_embeddings", 8192), j.optReal("rope_theta") == null ? 50000.0 : j.optReal("rope_theta"),
                (int) (hd * factor), j.optReal("rms_norm_eps") == null ? 1e-5 : j.optReal("rms_norm_eps"), false,
                j.optBool("qk_layernorm", false), j.optBool("tie_word_embeddings", false), false,
                j.optInt("mask_token_id", 156895), eos, j.optInt("pad_token_id", eos), j.optInt("bos_token_id"));
    }

    static LladaMoeSettings moe(ModelConfig c) { return ((LladaMoeFamily) c.family()).moe(); }

    @Override public Map<String, Object> configJson(ModelConfig c) {
        LladaMoeSettings m = moe(c);
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("architectures", List.of("LLaDAMoEModelLM"));
        j.put("model_type", "lladamoe");
        j.put("attention_bias", false);
        j.put("dense_intermediate_size", c.mlpHiddenSize());
        j.put("eos_token_id", c.eosTokenId());
        j.put("expert_intermediate_size", m.expertWidth());
        j.put("head_dim", c.headDim());
        j.put("hidden_act", "silu");
        j.put("hidden_size", c.dModel());
        j.put("mask_token_id", c.maskTokenId());
        j.put("max_position_embeddings", c.maxSequenceLength());
        j.put("moe_layer_freq", m.moeLayerFreq());
        j.put("moe_router_enable_expert_bias", m.expertBias());
        j.put("num_attention_heads", c.nHeads());
        j.put("num_experts", m.router().experts());
        j.put("num_experts_per_tok", m.router().topK());
        j.put("num_hidden_layers", c.nLayers());
        j.put("num_key_value_heads", c.nKvHeads());
        j.put("pad_token_id", c.padTokenId());
        if (c.bosTokenIdOrNull() != null) j.put("bos_token_id", c.bosTokenIdOrNull());
        j.put("partial_rotary_factor", (double) c.rotaryDim() / c.headDim());
        j.put("qk_layernorm", c.qkNorm());
        j.put("rms_norm_eps", c.rmsNormEps());
        j.put("rope_scaling", null);
        j.put("rope_theta", c.ropeTheta());
        j.put("router_num_group", null);
        j.put("router_topk_group", null);
        j.put("shared_expert_intermediate_size", m.sharedWidth() == 0 ? null : m.sharedWidth());
        j.put("tie_word_embeddings", c.weightTying());
        j.put("torch_dtype", "bfloat16");
        j.put("use_cache", false);
        j.put("vocab_size", c.vocabSize());
        return j;
    }

    @Override public String fieldName(ModelConfig.Field f) {
        return f == ModelConfig.Field.MLP_HIDDEN_SIZE ? "dense_intermediate_size" : LlamaNames.field(f);
    }

    @Override public boolean mixtureOfExperts() { return true; }

    @Override public String describeFeedForward(ModelConfig c) {
        LladaMoeSettings m = moe(c);
        long dense = m.moeLayerFreq().stream().filter(f -> f == 0).count();
        return (dense == 0 ? "" : dense + " dense SwiGLU layers of width " + c.mlpHiddenSize() + "; ")
                + (c.nLayers() - dense) + " layers with a mixture of " + m.router().experts() + " experts of width "
                + m.expertWidth() + ", top " + m.router().topK() + " (softmax" + (m.expertBias() ? ", expert bias" : "")
                + ")" + (m.sharedWidth() == 0 ? "" : ", shared expert of width " + m.sharedWidth());
    }

    @Override public String embedding() { return LlamaNames.EMBEDDING; }
    @Override public String finalNorm() { return LlamaNames.FINAL_NORM; }
    @Override public String lmHead() { return LlamaNames.LM_HEAD; }

    @Override public String layerTensor(int layer, TensorRole role) { return LlamaNames.layerTensor(layer, role); }

    private static final List<TensorRole> FEED_FORWARD = List.of(TensorRole.GATE, TensorRole.UP, TensorRole.DOWN);

    /** Whether {@code role} is stored per layer in {@code layer} (a mixture layer has no dense gate/up/down). */
    public boolean hasLayerTensor(ModelConfig c, int layer, TensorRole role) {
        return role.present(c) && !(moe.moeLayer(layer) && FEED_FORWARD.contains(role));
    }

    /** The router weight {@code [experts, d_model]} of a mixture layer. */
    public static String router(int layer) { return "model.layers." + layer + ".mlp.gate.weight"; }

    /** Routed expert {@code x}'s tensor for {@code role} (GATE, UP or DOWN) of a mixture layer. */
    public static String expert(int layer, int x, TensorRole role) {
        return expertPrefix(layer) + x + "." + switch (role) {
            case GATE -> "gate_proj.weight";
            case UP -> "up_proj.weight";
            case DOWN -> "down_proj.weight";
            default -> throw new IllegalArgumentException("an expert has no " + role + " tensor");
        };
    }

    private static String expertPrefix(int layer) { return "model.layers." + layer + ".mlp.experts."; }

    @Override public Map<String, TensorSpec> tensors(ModelConfig c) {
        LladaMoeSettings m = moe(c);
        long d = c.dModel(), e = c.embeddingSize();
        Map<String, TensorSpec> t = new LinkedHashMap<>();
        t.put(embedding(), new TensorSpec(new long[]{e, d}, TensorSpec.Init.GAUSSIAN));
        for (int l = 0; l < c.nLayers(); l++) {
            for (TensorRole r : TensorRole.values())
                if (hasLayerTensor(c, l, r)) t.put(layerTensor(l, r), new TensorSpec(r.shape(c), r.init()));
            if (!m.moeLayer(l)) continue;
            String p = "model.layers." + l + ".mlp.";
            t.put(router(l), new TensorSpec(new long[]{m.router().experts(), d}, TensorSpec.Init.GAUSSIAN));
            if (m.expertBias()) t.put(p + "gate.expert_bias", new TensorSpec(new long[]{m.router().experts()}, TensorSpec.Init.ZEROS));
            for (int x = 0; x < m.router().experts(); x++) MoeTensors.putSwiGlu(t, expertPrefix(l) + x + ".", d, m.expertWidth());
            if (m.sharedWidth() > 0) MoeTensors.putSwiGlu(t, p + "shared_expert.", d, m.sharedWidth());
        }
        t.put(finalNorm(), new TensorSpec(new long[]{d}, TensorSpec.Init.ONES));
        if (!c.weightTying()) t.put(lmHead(), new TensorSpec(new long[]{e, d}, TensorSpec.Init.GAUSSIAN));
        return t;
    }

    @Override public FeedForward feedForward(ModelConfig c, int layer, Function<String, Weights> tensor) {
        LladaMoeSettings m = moe(c);
        if (!m.moeLayer(layer)) return ModelFamily.super.feedForward(c, layer, tensor);
        String p = "model.layers." + layer + ".mlp.";
        List<ExpertWeights> shared = m.sharedWidth() == 0 ? List.of()
                : List.of(MoeTensors.expert(tensor, p + "shared_expert.", c.dModel(), m.sharedWidth()));
        SoftmaxRouter softmax = new SoftmaxRouter(m.router(),
                m.expertBias() ? MoeTensors.floats(tensor.apply(p + "gate.expert_bias")) : null);
        return new RoutedFeedForward(new MoeFeedForward(tensor.apply(router(layer)), softmax,
                MoeTensors.experts(tensor, expertPrefix(layer), m.router().experts(), c.dModel(), m.expertWidth()), shared));
    }

    /** The model card's {@code generate}: low-confidence remasking at temperature 0 (its blocks of 32: see docs). */
    @Override public GenerationDefaults generationDefaults() { return GenerationDefaults.LLADA; }

    /** The Ling tokenizer's end of turn, as LLaDA 2 ({@code <|role_end|>}); unverified for LLaDA-MoE's chat template. */
    @Override public String endOfTurnToken() { return "<|role_end|>"; }

    /** Ling's role format, as LLaDA 2 (the Ling tokenizer's; unverified for LLaDA-MoE's own template). */
    @Override public ChatTemplate fallbackChatTemplate() { return new ChatTemplate(ChatTemplate.LING_JINJA, "", ""); }

    @Override public String toString() { return name(); }
}
