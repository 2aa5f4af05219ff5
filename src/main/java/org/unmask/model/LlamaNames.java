package org.unmask.model;

/**
 * The names Hugging Face's Llama lineage (Llama, Qwen2/3, OLMoE) gives config.json fields and tensors, which Dream
 * and LLaDA-MoE keep and LLaDA 2.x keeps in part; each family overrides only the names it spells differently.
 */
final class LlamaNames {
    private LlamaNames() {}

    static final String EMBEDDING = "model.embed_tokens.weight";
    static final String FINAL_NORM = "model.norm.weight";
    static final String LM_HEAD = "lm_head.weight";

    /** The config.json field of an engine field. */
    static String field(ModelConfig.Field f) {
        return switch (f) {
            case D_MODEL -> "hidden_size";
            case N_LAYERS -> "num_hidden_layers";
            case N_HEADS -> "num_attention_heads";
            case N_KV_HEADS -> "num_key_value_heads";
            case HEAD_DIM -> "head_dim";
            case ROTARY_DIM -> "partial_rotary_factor";
            case MLP_HIDDEN_SIZE -> "intermediate_size";
            case VOCAB_SIZE, EMBEDDING_SIZE -> "vocab_size";
            case MAX_SEQUENCE_LENGTH -> "max_position_embeddings";
            case ROPE_THETA -> "rope_theta";
            case RMS_NORM_EPS -> "rms_norm_eps";
            case MASK_TOKEN_ID -> "mask_token_id";
            case EOS_TOKEN_ID -> "eos_token_id";
            case PAD_TOKEN_ID -> "pad_token_id";
            case BOS_TOKEN_ID -> "bos_token_id";
        };
    }

    /** A per-layer tensor: {@code model.layers.N.} and the role's name. */
    static String layerTensor(int layer, TensorRole role) {
        return "model.layers." + layer + "." + switch (role) {
            case ATTN_NORM -> "input_layernorm.weight";
            case Q -> "self_attn.q_proj.weight";
            case Q_BIAS -> "self_attn.q_proj.bias";
            case K -> "self_attn.k_proj.weight";
            case K_BIAS -> "self_attn.k_proj.bias";
            case V -> "self_attn.v_proj.weight";
            case V_BIAS -> "self_attn.v_proj.bias";
            case Q_NORM -> "self_attn.q_norm.weight";   // Qwen3's and OLMoE's spelling
            case K_NORM -> "self_attn.k_norm.weight";
            case O -> "self_attn.o_proj.weight";
            case FF_NORM -> "post_attention_layernorm.weight";
            case GATE -> "mlp.gate_proj.weight";
            case UP -> "mlp.up_proj.weight";
            case DOWN -> "mlp.down_proj.weight";
        };
    }
}
