package org.unmask.model;

import org.unmask.text.ChatTemplate;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Dream ({@code DreamModel}, Dream-org/Dream-v0-Base-7B and -Instruct-7B): the Qwen2 layout run bidirectionally.
 * q/k/v projections with biases (o_proj without), grouped-query attention, rotate-half RoPE over the whole head,
 * RMSNorm, SwiGLU, an untied head; the token at position i is predicted from the output at i−1, which the sampler
 * applies ({@link LogitShift}), not the forward.
 */
public final class DreamFamily implements ModelFamily {

    /** The one instance. */
    public static final DreamFamily INSTANCE = new DreamFamily();

    private DreamFamily() {}

    @Override public String name() { return "dream"; }
    @Override public List<String> architectures() { return List.of("DreamModel"); }
    @Override public List<String> modelTypes() { return List.of("Dream"); }

    /** Dream-v0-Base-7B / -Instruct-7B: 28 layers of width 3584, 28 query and 4 key/value heads of 128, vocabulary 152064. */
    static ModelConfig dream7b() {
        return new ModelConfig(INSTANCE, 3584, 28, 28, 4, 128, 18944, 152064, 152064, 131072, 1_000_000.0, 128, 1e-6,
                true, false, false, true, 151666, 151643, 151643, 151643);
    }

    @Override public ModelConfig readConfig(ConfigJson j) throws IOException {
        int d = j.requiredInt("hidden_size"), layers = j.requiredInt("num_hidden_layers");
        int heads = j.requiredInt("num_attention_heads");
        int kv = j.optInt("num_key_value_heads", heads);
        int mlp = j.requiredInt("intermediate_size"), vocab = j.requiredInt("vocab_size");
        int maxLen = j.optInt("max_position_embeddings", 32768);   // DreamConfig's default
        Double theta = j.optReal("rope_theta"), eps = j.optReal("rms_norm_eps");
        int mask = j.requiredInt("mask_token_id"), eos = j.requiredInt("eos_token_id");
        Integer pad = j.optInt("pad_token_id"), bos = j.optInt("bos_token_id");
        boolean tied = j.optBool("tie_word_embeddings", false);
        // what the official modeling code hard-codes or would do differently: refuse rather than compute something else
        String act = j.text("hidden_act");
        if (act != null && !act.equals("silu")) throw j.error("hidden_act", "= \"" + act + "\" is not supported (Dream uses \"silu\")");
        if (j.has("rope_scaling")) throw j.error("rope_scaling", "is not supported (Dream's released models have none)");
        if (j.optBool("use_sliding_window", false)) throw j.error("use_sliding_window", "= true is not supported (Dream attends over the whole canvas)");
        if (heads > 0 && d % heads != 0)
            throw j.error("num_attention_heads", "= " + heads + " must divide hidden_size (" + d + ")");
        int hd = heads > 0 ? d / heads : 2;
        if (hd % 2 != 0)
            throw j.error("num_attention_heads", "= " + heads + " gives an odd head size hidden_size/num_attention_heads = "
                    + hd + ", and RoPE needs an even one");
        return new ModelConfig(this, d, layers, heads, kv, Math.max(hd, 2), mlp, vocab, vocab, maxLen,
                theta == null ? 10000.0 : theta, Math.max(hd, 2), eps == null ? 1e-6 : eps, true, false, tied, true,
                mask, eos, pad == null ? eos : pad, bos);
    }

    @Override public Map<String, Object> configJson(ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("DreamModel"));
        m.put("model_type", "Dream");
        m.put("auto_map", Map.of("AutoConfig", "configuration_dream.DreamConfig", "AutoModel", "modeling_dream.DreamModel"));
        m.put("attention_dropout", 0.0);
        if (c.bosTokenIdOrNull() != null) m.put("bos_token_id", c.bosTokenIdOrNull());
        m.put("eos_token_id", c.eosTokenId());
        m.put("pad_token_id", c.padTokenId());
        m.put("mask_token_id", c.maskTokenId());
        m.put("hidden_act", "silu");
        m.put("hidden_size", c.dModel());
        m.put("intermediate_size", c.mlpHiddenSize());
        m.put("initializer_range", 0.02);
        m.put("max_position_embeddings", c.maxSequenceLength());
        m.put("max_window_layers", c.nLayers());
        m.put("num_attention_heads", c.nHeads());
        m.put("num_hidden_layers", c.nLayers());
        m.put("num_key_value_heads", c.nKvHeads());
        m.put("rms_norm_eps", c.rmsNormEps());
        m.put("rope_scaling", null);
        m.put("rope_theta", c.ropeTheta());
        m.put("sliding_window", null);
        m.put("use_sliding_window", false);
        m.put("tie_word_embeddings", c.weightTying());
        m.put("torch_dtype", "bfloat16");
        m.put("transformers_version", "4.46.2");
        m.put("use_cache", false);
        m.put("vocab_size", c.vocabSize());
        return m;
    }

    @Override public String fieldName(ModelConfig.Field f) {
        return switch (f) {
            case N_HEADS, HEAD_DIM, ROTARY_DIM -> "num_attention_heads";   // head size hidden_size/heads, all rotated
            default -> LlamaNames.field(f);
        };
    }

    @Override public String embedding() { return LlamaNames.EMBEDDING; }
    @Override public String finalNorm() { return LlamaNames.FINAL_NORM; }
    @Override public String lmHead() { return LlamaNames.LM_HEAD; }

    @Override public String layerTensor(int layer, TensorRole role) { return LlamaNames.layerTensor(layer, role); }

    @Override public GenerationDefaults generationDefaults() { return GenerationDefaults.DREAM; }

    /** ChatML ends every turn with {@code <|im_end|>}. */
    @Override public String endOfTurnToken() { return "<|im_end|>"; }

    /** ChatML, as Dream's released tokenizer_config.json spells it. */
    @Override public ChatTemplate fallbackChatTemplate() { return new ChatTemplate(ChatTemplate.CHATML_JINJA, "", ""); }

    /** {@code <|im_end|>} of the Qwen2.5 vocabulary, when the model uses its EOS. */
    @Override public OptionalInt endOfTurnIdWithoutTokenizer(ModelConfig c) {
        return c.eosTokenId() == 151643 && c.embeddingSize() > 151645 ? OptionalInt.of(151645) : OptionalInt.empty();
    }

    @Override public String toString() { return name(); }
}
