package org.unmask.model;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Causal LMs of the Llama lineage: Llama ({@code LlamaForCausalLM}: TinyLlama, SmolLM, and our own autoregressive
 * baselines as {@code export} writes them) and Mistral ({@code MistralForCausalLM}), the LLaDA block (RMSNorm, rotate-half RoPE over whole heads, SwiGLU, no
 * biases) under causal attention, and Qwen2 ({@code Qwen2ForCausalLM}: Qwen2.5), the same with q/k/v biases, Dream's
 * block. The output at position i predicts token i+1. Such a model generates left to right and is scored exactly; a
 * diffusion run may start from it ({@code train --init-from}: a Llama model trains on in LLaDA's layout, a Qwen2 model
 * in Dream's, as Dream started from Qwen2.5) once config.json names the token that masks ({@code mask_token_id},
 * Unmask's own field; without it the mask id stands in as EOS and training refuses).
 */
public final class LlamaFamily implements ModelFamily {

    /** Llama: no biases. */
    public static final LlamaFamily INSTANCE = new LlamaFamily("llama", "LlamaForCausalLM", "llama", false);
    /** Qwen2: q/k/v biases. */
    public static final LlamaFamily QWEN2 = new LlamaFamily("qwen2", "Qwen2ForCausalLM", "qwen2", true);
    /**
     * Mistral: Llama's block and names; attention within a sliding window, which equals full attention over sequences
     * no longer than the window, so the window bounds the sequence length. llama.cpp stores it as {@code llama}.
     */
    public static final LlamaFamily MISTRAL = new LlamaFamily("mistral", "MistralForCausalLM", "mistral", false);

    private final String name, architecture, modelType;
    private final boolean qkvBias;

    private LlamaFamily(String name, String architecture, String modelType, boolean qkvBias) {
        this.name = name;
        this.architecture = architecture;
        this.modelType = modelType;
        this.qkvBias = qkvBias;
    }

    @Override public String name() { return name; }
    @Override public List<String> architectures() { return List.of(architecture); }
    @Override public List<String> modelTypes() { return List.of(modelType); }
    @Override public boolean autoregressive() { return true; }

    /** The diffusion family a run started from this one trains as: LLaDA's layout, or Dream's for q/k/v biases. */
    public ModelFamily diffusionFamily() { return qkvBias ? DreamFamily.INSTANCE : LladaFamily.INSTANCE; }

    /**
     * An autoregressive run's model ({@code train --objective ar}: the LLaDA layout trained under causal attention) as
     * the Llama model it is (a run in a causal family's layout stays as it is); an error names what Llama cannot hold.
     */
    public static ModelConfig ofAutoregressiveRun(ModelConfig run) {
        if (run.family().autoregressive()) return run;   // a run trained in a causal family's own layout (Qwen2)
        String not = run.family() != LladaFamily.INSTANCE ? "is a " + run.family().name() + " model, not in LLaDA's layout"
                : run.logitShift() ? "has shift_logits (a diffusion model's)" : run.blockDiffusion() ? "has block_size (a block-diffusion model's)"
                : run.neverPredictMask() ? "has never_predict_mask (a diffusion head's)" : null;
        if (not != null) throw new IllegalArgumentException("an autoregressive run becomes a LlamaForCausalLM model, and this one " + not);
        return run.withFamily(INSTANCE);
    }

    @Override public ModelConfig readConfig(ConfigJson j) throws IOException {
        int d = j.requiredInt("hidden_size"), layers = j.requiredInt("num_hidden_layers");
        int heads = j.requiredInt("num_attention_heads");
        int kv = j.optInt("num_key_value_heads", heads);
        int mlp = j.requiredInt("intermediate_size"), vocab = j.requiredInt("vocab_size");
        // LlamaConfig's, Qwen2Config's and MistralConfig's defaults
        int maxLen = j.optInt("max_position_embeddings", qkvBias ? 32768 : this == MISTRAL ? 131072 : 2048);
        if (this == MISTRAL) {
            // Mistral 7B v0.1 attends within 4,096 positions: exact as full attention up to there (later versions: null)
            Integer window = j.present("sliding_window") ? j.optInt("sliding_window") : Integer.valueOf(4096);
            if (window != null && window < 1) throw j.error("sliding_window", "= " + window + " must be positive");
            if (window != null) maxLen = Math.min(maxLen, window);
        }
        Double theta = j.optReal("rope_theta"), eps = j.optReal("rms_norm_eps");
        // what the Hugging Face forward would compute differently: refuse rather than compute something else
        String act = j.text("hidden_act");
        if (act != null && !act.equals("silu")) throw j.error("hidden_act", "= \"" + act + "\" is not supported (the engine's feed-forward is SwiGLU, \"silu\")");
        if (j.has("rope_scaling")) throw j.error("rope_scaling", "is not supported (positions are rotated by plain RoPE only)");
        if (!qkvBias && j.optBool("attention_bias", false))
            throw j.error("attention_bias", "= true is not supported (Llama's o_proj would have a bias, which the engine has not)");
        if (j.optBool("mlp_bias", false)) throw j.error("mlp_bias", "= true is not supported (the engine's feed-forward has no biases)");
        if (j.optBool("use_sliding_window", false)) throw j.error("use_sliding_window", "= true is not supported (attention spans the whole context)");
        if (heads > 0 && !j.has("head_dim") && d % heads != 0)
            throw j.error("num_attention_heads", "= " + heads + " must divide hidden_size (" + d + ")");
        int hd = j.optInt("head_dim", heads > 0 ? d / heads : 2);
        if (hd % 2 != 0) throw j.error("head_dim", "= " + hd + " is odd, and RoPE rotates pairs of dimensions");
        List<Integer> eosList = j.optIntList("eos_token_id");
        if (eosList == null || eosList.isEmpty()) throw new IOException(j.file() + ": missing field 'eos_token_id'");
        int eos = eosList.getFirst();   // Llama 3's instruct models list several; the first is end of text
        Integer pad = j.optInt("pad_token_id"), bos = j.optInt("bos_token_id");
        int mask = j.optInt("mask_token_id", eos);
        return new ModelConfig(this, d, layers, heads, kv, Math.max(hd, 2), mlp, vocab, vocab, maxLen,
                theta == null ? 10000.0 : theta, Math.max(hd, 2), eps == null ? 1e-6 : eps, qkvBias, false,
                j.optBool("tie_word_embeddings", false), false, mask, eos, pad == null ? eos : pad, bos);
    }

    @Override public Map<String, Object> configJson(ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(architecture));
        m.put("model_type", modelType);
        if (!qkvBias) m.put("attention_bias", false);
        m.put("attention_dropout", 0.0);
        if (c.bosTokenIdOrNull() != null) m.put("bos_token_id", c.bosTokenIdOrNull());
        m.put("eos_token_id", c.eosTokenId());
        m.put("pad_token_id", c.padTokenId());
        // Unmask's own field (transformers keeps unknown fields): the token a diffusion run started from this model masks
        // with; a model that names none (EOS stands in) is written without it, as it came
        if (c.maskTokenId() != c.eosTokenId()) m.put("mask_token_id", c.maskTokenId());
        m.put("head_dim", c.headDim());
        m.put("hidden_act", "silu");
        m.put("hidden_size", c.dModel());
        m.put("initializer_range", 0.02);
        m.put("intermediate_size", c.mlpHiddenSize());
        m.put("max_position_embeddings", c.maxSequenceLength());
        if (!qkvBias) m.put("mlp_bias", false);
        if (qkvBias) m.put("max_window_layers", c.nLayers());
        m.put("num_attention_heads", c.nHeads());
        m.put("num_hidden_layers", c.nLayers());
        m.put("num_key_value_heads", c.nKvHeads());
        if (!qkvBias) m.put("pretraining_tp", 1);
        m.put("rms_norm_eps", c.rmsNormEps());
        m.put("rope_scaling", null);
        m.put("rope_theta", c.ropeTheta());
        m.put("tie_word_embeddings", c.weightTying());
        m.put("torch_dtype", "bfloat16");
        m.put("use_cache", true);
        if (qkvBias) {
            m.put("sliding_window", null);
            m.put("use_sliding_window", false);
        }
        if (this == MISTRAL) m.put("sliding_window", null);   // the sequence length is the window's already
        m.put("vocab_size", c.embeddingSize());   // Llama's vocab_size counts the embedding's rows
        return m;
    }

    @Override public String fieldName(ModelConfig.Field f) {
        return switch (f) {
            case ROTARY_DIM -> "head_dim";   // every dimension of a head is rotated
            case EMBEDDING_SIZE -> "vocab_size";
            default -> LlamaNames.field(f);
        };
    }

    @Override public String embedding() { return LlamaNames.EMBEDDING; }
    @Override public String finalNorm() { return LlamaNames.FINAL_NORM; }
    @Override public String lmHead() { return LlamaNames.LM_HEAD; }

    @Override public String layerTensor(int layer, TensorRole role) { return LlamaNames.layerTensor(layer, role); }

    /** One token per step, left to right, greedy unless told otherwise. */
    @Override public GenerationDefaults generationDefaults() { return GenerationDefaults.LLADA.asAutoregressive(); }

    /** Llama 3's end of turn, Qwen2's ChatML one; a tokenizer without it ends turns at EOS. */
    @Override public String endOfTurnToken() { return qkvBias ? "<|im_end|>" : "<|eot_id|>"; }

    /** Qwen2's ChatML (Qwen2.5's, as Dream keeps it) for a directory whose tokenizer_config.json has no template. */
    @Override public org.unmask.text.ChatTemplate fallbackChatTemplate() {
        return qkvBias ? DreamFamily.INSTANCE.fallbackChatTemplate() : ModelFamily.super.fallbackChatTemplate();
    }

    @Override public String toString() { return name(); }
}
