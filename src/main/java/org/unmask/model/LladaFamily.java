package org.unmask.model;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * LLaDA ({@code LLaDAModelLM}, GSAI-ML/LLaDA-8B and our own models): OLMo-style config.json field names, tensors
 * under {@code model.transformer.}, head size d_model/n_heads, full rotary, no biases. Our AR-initialised models set
 * {@code "shift_logits": true} and are then sampled like Dream. The family our own runs train in (Dream's trains too).
 */
public final class LladaFamily implements ModelFamily {

    /** The one instance. */
    public static final LladaFamily INSTANCE = new LladaFamily();

    /** LLaDA-8B's EOS and end-of-turn ids, for its directories without a tokenizer. */
    private static final int LLADA_8B_EOS = 126081, LLADA_8B_EOT = 126348;

    private LladaFamily() {}

    @Override public String name() { return "llada"; }
    @Override public List<String> architectures() { return List.of("LLaDAModelLM"); }
    @Override public List<String> modelTypes() { return List.of("llada"); }

    /** d_model / n_heads, or 0 when n_heads does not divide d_model (the config then rejects it). */
    static int headDim(int dModel, int nHeads) {
        return nHeads > 0 && dModel % nHeads == 0 ? dModel / nHeads : 0;
    }

    private static final List<String> REQUIRED = List.of("d_model", "n_layers", "n_heads", "mlp_hidden_size",
            "vocab_size", "rope_theta", "rms_norm_eps", "mask_token_id", "eos_token_id");

    @Override public ModelConfig readConfig(ConfigJson j) throws IOException {
        for (String field : REQUIRED) if (!j.has(field)) throw new IOException(j.file() + ": missing field '" + field + "'");
        double theta = j.requiredReal("rope_theta"), eps = j.requiredReal("rms_norm_eps");
        int d = j.requiredInt("d_model"), layers = j.requiredInt("n_layers"), heads = j.requiredInt("n_heads");
        Integer kv = j.optInt("n_kv_heads");
        int mlp = j.requiredInt("mlp_hidden_size"), vocab = j.requiredInt("vocab_size");
        Integer emb = j.optInt("embedding_size");
        int maxLen = j.optInt("max_sequence_length", 4096);
        int mask = j.requiredInt("mask_token_id"), eos = j.requiredInt("eos_token_id");
        Integer pad = j.optInt("pad_token_id"), bos = j.optInt("bos_token_id");
        boolean tied = j.optBool("weight_tying", false), shift = j.optBool("shift_logits", false);
        int blockSize = j.optInt("block_size", 0);
        boolean neverMask = j.optBool("never_predict_mask", false);
        if (heads > 0 && d % heads != 0) throw j.error("n_heads", "= " + heads + " must divide d_model (" + d + ")");
        if (heads > 0 && d > 0 && (d / heads) % 2 != 0)
            throw j.error("n_heads", "= " + heads + " gives an odd head size d_model/n_heads = " + d / heads + ", and RoPE needs an even one");
        int hd = headDim(d, heads);
        // n_heads ≤ 0 is reported by the config itself, which checks n_heads before the head size
        return new ModelConfig(this, d, layers, heads, kv == null ? heads : kv, hd == 0 ? 2 : hd, mlp, vocab,
                emb == null ? vocab : emb, maxLen, theta, hd == 0 ? 2 : hd, eps, false, false, tied, shift, mask, eos,
                pad == null ? eos : pad, bos, blockSize, neverMask);
    }

    @Override public Map<String, Object> configJson(ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("LLaDAModelLM"));
        m.put("model_type", "llada");
        m.put("d_model", c.dModel());
        m.put("n_layers", c.nLayers());
        m.put("n_heads", c.nHeads());
        m.put("n_kv_heads", c.nKvHeads());
        m.put("mlp_hidden_size", c.mlpHiddenSize());
        m.put("mlp_ratio", Math.max(1, c.mlpHiddenSize() / c.dModel()));
        m.put("vocab_size", c.vocabSize());
        m.put("embedding_size", c.embeddingSize());
        m.put("max_sequence_length", c.maxSequenceLength());
        m.put("rope", true);
        m.put("rope_theta", c.ropeTheta());
        m.put("rope_full_precision", true);
        m.put("alibi", false);
        m.put("layer_norm_type", "rms");
        m.put("rms_norm_eps", c.rmsNormEps());
        m.put("layer_norm_with_affine", true);
        m.put("bias_for_layer_norm", false);
        m.put("activation_type", "silu");
        m.put("block_type", "llama");
        m.put("include_bias", false);
        m.put("include_qkv_bias", false);
        m.put("attention_layer_norm", false);
        m.put("weight_tying", c.weightTying());
        m.put("scale_logits", false);
        m.put("input_emb_norm", false);
        m.put("attention_dropout", 0.0);
        m.put("residual_dropout", 0.0);
        m.put("embedding_dropout", 0.0);
        if (c.logitShift()) m.put("shift_logits", true);
        // a block-diffusion model (BD3-LM): block-causal attention in blocks of this size, generated block by block
        if (c.blockSize() > 0) m.put("block_size", c.blockSize());
        // Unmask's own field (MDLM's SUBS): the mask token's logit is -inf, so the head never predicts it
        if (c.neverPredictMask()) m.put("never_predict_mask", true);
        m.put("mask_token_id", c.maskTokenId());
        m.put("eos_token_id", c.eosTokenId());
        m.put("pad_token_id", c.padTokenId());
        if (c.bosTokenIdOrNull() != null) m.put("bos_token_id", c.bosTokenIdOrNull());
        m.put("use_cache", false);
        m.put("torch_dtype", "float32");
        return m;
    }

    @Override public String fieldName(ModelConfig.Field f) {
        return switch (f) {
            case D_MODEL -> "d_model";
            case N_LAYERS -> "n_layers";
            case N_HEADS, HEAD_DIM, ROTARY_DIM -> "n_heads";   // the head size is d_model/n_heads, all of it rotated
            case N_KV_HEADS -> "n_kv_heads";
            case MLP_HIDDEN_SIZE -> "mlp_hidden_size";
            case VOCAB_SIZE -> "vocab_size";
            case EMBEDDING_SIZE -> "embedding_size";
            case MAX_SEQUENCE_LENGTH -> "max_sequence_length";
            case ROPE_THETA -> "rope_theta";
            case RMS_NORM_EPS -> "rms_norm_eps";
            case MASK_TOKEN_ID -> "mask_token_id";
            case EOS_TOKEN_ID -> "eos_token_id";
            case PAD_TOKEN_ID -> "pad_token_id";
            case BOS_TOKEN_ID -> "bos_token_id";
        };
    }

    @Override public String embedding() { return LladaTensors.EMBEDDING; }
    @Override public String finalNorm() { return LladaTensors.FINAL_NORM; }
    @Override public String lmHead() { return LladaTensors.LM_HEAD; }

    @Override public String layerTensor(int layer, TensorRole role) {
        String block = LladaTensors.PREFIX + "blocks." + layer + ".";
        return switch (role) {
            case ATTN_NORM -> LladaTensors.block(layer, "attn_norm");
            case Q -> LladaTensors.block(layer, "q_proj");
            case K -> LladaTensors.block(layer, "k_proj");
            case V -> LladaTensors.block(layer, "v_proj");
            case O -> LladaTensors.block(layer, "attn_out");
            case FF_NORM -> LladaTensors.block(layer, "ff_norm");
            case GATE -> LladaTensors.block(layer, "ff_proj");
            case UP -> LladaTensors.block(layer, "up_proj");
            case DOWN -> LladaTensors.block(layer, "ff_out");
            // LLaDA's released models have none of these; named as OLMo would, should a config ever ask for them
            case Q_BIAS -> block + "q_proj.bias";
            case K_BIAS -> block + "k_proj.bias";
            case V_BIAS -> block + "v_proj.bias";
            case Q_NORM -> block + "q_norm.weight";
            case K_NORM -> block + "k_norm.weight";
        };
    }

    @Override public GenerationDefaults generationDefaults() { return GenerationDefaults.LLADA; }

    @Override public String endOfTurnToken() { return org.unmask.text.SpecialTokens.END_OF_TURN; }

    /** LLaDA-8B's end of turn when the model uses LLaDA-8B's EOS. */
    @Override public OptionalInt endOfTurnIdWithoutTokenizer(ModelConfig c) {
        return c.eosTokenId() == LLADA_8B_EOS && c.embeddingSize() > LLADA_8B_EOT ? OptionalInt.of(LLADA_8B_EOT) : OptionalInt.empty();
    }

    @Override public String toString() { return name(); }
}
