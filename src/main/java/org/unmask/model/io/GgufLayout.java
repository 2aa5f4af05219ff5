package org.unmask.model.io;

import org.unmask.model.DreamFamily;
import org.unmask.model.LladaFamily;
import org.unmask.model.LlamaFamily;
import org.unmask.model.LladaMoeFamily;
import org.unmask.model.LladaMoeSettings;
import org.unmask.model.ModelConfig;
import org.unmask.model.ModelFamily;
import org.unmask.model.TensorRole;
import org.unmask.model.moe.SoftmaxRouterConfig;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How llama.cpp lays out our families in GGUF: the architecture names ({@code llada}, {@code dream},
 * {@code llada-moe}), the tensor names ({@code token_embd}, {@code blk.N.attn_q}, {@code blk.N.ffn_gate_exps}, ...),
 * the hyperparameter keys ({@code {arch}.embedding_length}, {@code {arch}.expert_count}, ...), and the places where
 * the data differ from Hugging Face's: llama.cpp's converter permutes the rows of Q and K inside each head for the
 * LLaDA architecture (its RoPE rotates adjacent pairs), so that GGUF row {@code 2i+s} of a head holds Hugging Face
 * row {@code s·hd/2+i}; Dream (Qwen2) and LLaDA-MoE use llama.cpp's NEOX rotation, which is Hugging Face's
 * rotate-half, and are stored unpermuted. LLaDA-MoE's routed experts are stacked into one 3-D tensor per layer and
 * projection ({@code [experts, rows, cols]}, expert x's matrix at the x-th slice).
 */
final class GgufLayout {
    private GgufLayout() {}

    static final String TOKEN_EMBD = "token_embd.weight", OUTPUT_NORM = "output_norm.weight", OUTPUT = "output.weight";
    /** Precomputed RoPE frequencies some converters add; the engine computes its own. */
    static final String ROPE_FREQS = "rope_freqs.weight";

    /** The architectures read and written, as {@code general.architecture} spells them. */
    static final String ARCHITECTURES = "llada, dream, llada-moe, llama, qwen2";

    /** The GGUF architecture of a family, or an error naming the families that GGUF supports. */
    static String arch(ModelFamily f) {
        if (f == LladaFamily.INSTANCE) return "llada";
        if (f == DreamFamily.INSTANCE) return "dream";
        if (f instanceof LladaMoeFamily) return "llada-moe";
        if (f == LlamaFamily.INSTANCE || f == LlamaFamily.MISTRAL) return "llama";   // llama.cpp's converter stores Mistral as Llama
        if (f == LlamaFamily.QWEN2) return "qwen2";
        throw new IllegalArgumentException("GGUF is supported for the llada, dream, lladamoe, llama and qwen2 families, not " + f.name()
                + (f.mixtureOfExperts() ? " (llama.cpp has no architecture for LLaDA 2.x yet)" : ""));
    }

    /** The family of a GGUF architecture (for llada-moe a prototype: the file's settings come from {@link #config}); null when unsupported. */
    static ModelFamily family(String arch) {
        return switch (arch) {
            case "llada" -> LladaFamily.INSTANCE;
            case "dream" -> DreamFamily.INSTANCE;
            case "llada-moe" -> LladaMoeFamily.PROTOTYPE;
            case "llama" -> LlamaFamily.INSTANCE;
            case "qwen2" -> LlamaFamily.QWEN2;
            default -> null;
        };
    }

    /** Whether the converter stores Q and K rows in the pairwise RoPE order (its LLaDA and Llama classes do). */
    static boolean permutesQK(String arch) { return arch.equals("llada") || arch.equals("llama"); }

    static String layerName(int layer, TensorRole role) {
        return "blk." + layer + "." + switch (role) {
            case ATTN_NORM -> "attn_norm.weight";
            case Q -> "attn_q.weight";
            case Q_BIAS -> "attn_q.bias";
            case K -> "attn_k.weight";
            case K_BIAS -> "attn_k.bias";
            case V -> "attn_v.weight";
            case V_BIAS -> "attn_v.bias";
            case Q_NORM -> "attn_q_norm.weight";
            case K_NORM -> "attn_k_norm.weight";
            case O -> "attn_output.weight";
            case FF_NORM -> "ffn_norm.weight";
            case GATE -> "ffn_gate.weight";
            case UP -> "ffn_up.weight";
            case DOWN -> "ffn_down.weight";
        };
    }

    /**
     * One GGUF tensor and the Hugging Face tensors it holds: one, or (for the experts of a mixture layer) several of
     * the same shape stacked on a new outermost dimension, the i-th at the i-th slice.
     */
    record Entry(String gguf, List<String> hf) {
        Entry {
            hf = List.copyOf(hf);
        }

        Entry(String gguf, String hf) { this(gguf, List.of(hf)); }

        /** Whether this tensor stacks several Hugging Face tensors. */
        boolean stacked() { return hf.size() > 1 || gguf.endsWith("_exps.weight"); }

        /** The GGUF tensor's shape (outermost first) when each Hugging Face tensor has shape {@code part}. */
        long[] shape(long[] part) {
            if (!stacked()) return part;
            long[] s = new long[part.length + 1];
            s[0] = hf.size();
            System.arraycopy(part, 0, s, 1, part.length);
            return s;
        }
    }

    /** The router of a mixture layer, kept in F32 by the converter and by llama-quantize. */
    static boolean isRouter(String ggufName) { return ggufName.endsWith(".ffn_gate_inp.weight"); }

    /**
     * Every tensor of a model with config {@code c} as llama.cpp's converter stores it, in checkpoint order; an error
     * names what llama.cpp's architecture cannot hold (for LLaDA-MoE: a shared expert, an expert bias, dense layers).
     */
    static List<Entry> tensors(ModelConfig c) {
        ModelFamily f = c.family();
        LladaMoeFamily moe = f instanceof LladaMoeFamily m ? m : null;
        if (moe != null) supportedMixture(moe.moe());
        List<Entry> m = new ArrayList<>();
        m.add(new Entry(TOKEN_EMBD, f.embedding()));
        for (int l = 0; l < c.nLayers(); l++) {
            for (TensorRole r : TensorRole.values()) {
                boolean present = moe == null ? r.present(c) : moe.hasLayerTensor(c, l, r);
                if (present) m.add(new Entry(layerName(l, r), f.layerTensor(l, r)));
            }
            if (moe == null) continue;
            m.add(new Entry("blk." + l + ".ffn_gate_inp.weight", LladaMoeFamily.router(l)));
            // the converter's order: down, gate, up
            for (TensorRole r : List.of(TensorRole.DOWN, TensorRole.GATE, TensorRole.UP)) {
                List<String> experts = new ArrayList<>();
                for (int x = 0; x < moe.moe().router().experts(); x++) experts.add(LladaMoeFamily.expert(l, x, r));
                m.add(new Entry("blk." + l + "." + switch (r) {
                    case DOWN -> "ffn_down_exps.weight";
                    case GATE -> "ffn_gate_exps.weight";
                    default -> "ffn_up_exps.weight";
                }, experts));
            }
        }
        m.add(new Entry(OUTPUT_NORM, f.finalNorm()));
        if (!c.weightTying()) m.add(new Entry(OUTPUT, f.lmHead()));
        Set<String> covered = new LinkedHashSet<>();
        for (Entry e : m) covered.addAll(e.hf());
        Set<String> left = new LinkedHashSet<>(f.tensors(c).keySet());
        left.removeAll(covered);
        if (!left.isEmpty())   // a family feature this layout does not know: refuse rather than drop weights
            throw new IllegalArgumentException("GGUF (" + arch(f) + ") has no place for tensors " + left);
        return m;
    }

    /**
     * Refuses to write what llama.cpp's graph for the architecture would reject although Unmask reads it: for
     * llada-moe, heads rotated in part (llama.cpp asserts rope.dimension_count = head size) and a model without Q/K
     * norms (llama.cpp requires attn_q_norm and attn_k_norm).
     */
    static void checkLlamaCppRuns(ModelConfig c) {
        if (!(c.family() instanceof LladaMoeFamily)) return;
        if (c.rotaryDim() != c.headDim())
            throw new IllegalArgumentException("llama.cpp's llada-moe architecture rotates whole heads; this model rotates "
                    + c.rotaryDim() + " of " + c.headDim() + " dimensions (partial_rotary_factor)");
        if (!c.qkNorm())
            throw new IllegalArgumentException("llama.cpp's llada-moe architecture requires the per-head q/k norms"
                    + " (qk_layernorm = false)");
    }

    /** Refuses the LLaDA-MoE settings llama.cpp's {@code llada-moe} graph does not compute. */
    private static void supportedMixture(LladaMoeSettings s) {
        if (s.sharedWidth() > 0)
            throw new IllegalArgumentException("llama.cpp's llada-moe architecture has no shared expert"
                    + " (shared_expert_intermediate_size = " + s.sharedWidth() + ")");
        if (s.expertBias())
            throw new IllegalArgumentException("llama.cpp's llada-moe architecture has no router expert bias"
                    + " (moe_router_enable_expert_bias = true)");
        if (s.moeLayerFreq().contains(0))
            throw new IllegalArgumentException("llama.cpp's llada-moe architecture has a mixture in every layer"
                    + " (moe_layer_freq = " + s.moeLayerFreq() + ")");
    }

    /** The heads whose rows a tensor's permutation groups, or 0 when the tensor is stored as in Hugging Face. */
    static int permutedHeads(String arch, ModelConfig c, String ggufName) {
        if (!permutesQK(arch)) return 0;
        if (ggufName.endsWith(".attn_q.weight") || ggufName.endsWith(".attn_q.bias")) return c.nHeads();
        if (ggufName.endsWith(".attn_k.weight") || ggufName.endsWith(".attn_k.bias")) return c.nKvHeads();
        return 0;
    }

    /** The GGUF row that holds Hugging Face row {@code hfRow} of a tensor permuted over heads of {@code hd} rows. */
    static long ggufRow(long hfRow, int hd) {
        long head = hfRow / hd;
        int r = (int) (hfRow % hd), half = hd / 2;
        int s = r / half, i = r % half;
        return head * hd + 2L * i + s;
    }

    // ---- hyperparameters ----

    /** The engine's config from the file's metadata and tensor shapes; errors name the file and the key. */
    static ModelConfig config(GgufFile g, String arch, ModelFamily archFamily) throws IOException {
        String p = arch + ".";
        int d = g.integer(p + "embedding_length"), layers = g.integer(p + "block_count");
        int heads = g.integer(p + "attention.head_count");
        Integer kvOrNull = g.optInteger(p + "attention.head_count_kv");
        int kv = kvOrNull == null ? heads : kvOrNull;
        boolean moe = archFamily instanceof LladaMoeFamily;
        // LLaDA-MoE's config.json has no intermediate_size, so its converter writes no feed_forward_length
        Integer mlpKey = moe ? g.optInteger(p + "feed_forward_length") : Integer.valueOf(g.integer(p + "feed_forward_length"));
        // the family carries the file's mixture settings
        ModelFamily family = moe ? mixture(g, p, mlpKey, layers) : archFamily;
        int mlp = mlpKey != null ? mlpKey : ((LladaMoeFamily) family).moe().expertWidth();
        Integer ctx = g.optInteger(p + "context_length");
        Double theta = g.optReal(p + "rope.freq_base");
        Double eps = g.optReal(p + "attention.layer_norm_rms_epsilon");
        if (eps == null) throw new IOException(g.file() + ": missing metadata '" + p + "attention.layer_norm_rms_epsilon'");
        if (heads <= 0 || d % heads != 0)
            throw new IOException(g.file() + ": metadata '" + p + "attention.head_count' = " + heads + " must divide "
                    + p + "embedding_length (" + d + ")");
        Integer keyLength = g.optInteger(p + "attention.key_length");
        int hd = keyLength == null ? d / heads : keyLength;
        Integer rot = g.optInteger(p + "rope.dimension_count");
        GgufFile.Tensor embd = g.tensors().get(TOKEN_EMBD);
        if (embd == null) throw new IOException(g.file() + ": missing tensor '" + TOKEN_EMBD + "'");
        if (embd.dims().length != 2 || embd.dims()[0] != d)
            throw new IOException(g.file() + ": tensor '" + TOKEN_EMBD + "' has shape " + java.util.Arrays.toString(embd.shape())
                    + ", expected [vocabulary, " + d + "]");
        int emb = Math.toIntExact(embd.dims()[1]);
        Integer vocabKey = g.optInteger(p + "vocab_size");
        int vocab = vocabKey != null ? vocabKey : emb;
        boolean causal = family.autoregressive();
        if (causal) unscaledRope(g, p);
        int eos = g.integer("tokenizer.ggml.eos_token_id");
        // a Llama file needs no mask; when it names none, the id stands in as EOS (as config.json's does)
        Integer maskKey = causal ? g.optInteger("tokenizer.ggml.mask_token_id") : Integer.valueOf(g.integer("tokenizer.ggml.mask_token_id"));
        int mask = maskKey == null ? eos : maskKey;
        Integer bos = g.optInteger("tokenizer.ggml.bos_token_id"), pad = g.optInteger("tokenizer.ggml.padding_token_id");
        // llama.cpp's diffusion CLI shifts the logits when the key is absent (Dream's converter does not write it)
        Boolean shiftKey = g.optBool("diffusion.shift_logits");
        boolean shift = !causal && (shiftKey == null || shiftKey);
        Integer blockKey = g.optInteger("diffusion.block_size");   // Unmask's own key: a block-diffusion model
        Boolean neverMaskKey = g.optBool("diffusion.never_predict_mask");   // Unmask's own key: MDLM's SUBS head
        boolean tied = !g.tensors().containsKey(OUTPUT);
        boolean bias = g.tensors().containsKey(layerName(0, TensorRole.Q_BIAS));
        boolean qkNorm = g.tensors().containsKey(layerName(0, TensorRole.Q_NORM));
        try {
            return new ModelConfig(family, d, layers, heads, kv, hd, mlp, vocab, Math.max(vocab, emb),
                    ctx == null ? 4096 : ctx, theta == null ? 10000.0 : theta, rot == null ? hd : rot, eps, bias, qkNorm,
                    tied, shift, mask, eos, pad == null ? eos : pad, bos, blockKey == null ? 0 : blockKey,
                    neverMaskKey != null && neverMaskKey);
        } catch (IllegalArgumentException e) {
            throw new IOException(g.file() + ": the metadata describe an invalid model: " + e.getMessage(), e);
        }
    }

    /**
     * LLaDA-MoE's mixture from {@code {arch}.expert_count}, {@code expert_used_count} and
     * {@code expert_feed_forward_length} (absent: feed_forward_length / expert_used_count, as llama.cpp falls back).
     * llama.cpp's graph routes by softmax over every layer without renormalising the chosen weights; a file asking for
     * another gating function or a weight scale is refused.
     */
    private static LladaMoeFamily mixture(GgufFile g, String p, Integer ff, int layers) throws IOException {
        int experts = g.integer(p + "expert_count"), used = g.integer(p + "expert_used_count");
        Integer width = g.optInteger(p + "expert_feed_forward_length");
        if (width == null) {
            if (ff == null) throw new IOException(g.file() + ": missing metadata '" + p + "expert_feed_forward_length'");
            width = ff / Math.max(1, used);
        }
        Integer gating = g.optInteger(p + "expert_gating_func");
        if (gating != null && gating != GATING_SOFTMAX)
            throw new IOException(g.file() + ": metadata '" + p + "expert_gating_func' = " + gating
                    + " is not supported (llada-moe routes by softmax, " + GATING_SOFTMAX + ")");
        Double scale = g.optReal(p + "expert_weights_scale");
        if (scale != null && scale != 0 && scale != 1)
            throw new IOException(g.file() + ": metadata '" + p + "expert_weights_scale' = " + scale + " is not supported (llada-moe does not scale)");
        try {
            return new LladaMoeFamily(new LladaMoeSettings(new SoftmaxRouterConfig(experts, used, false), width, 0, false,
                    Collections.nCopies(layers, 1)));
        } catch (IllegalArgumentException e) {
            throw new IOException(g.file() + ": the metadata describe an invalid mixture of experts: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a Llama file whose positions are rotated otherwise than by plain RoPE (Llama 3.1's scaled frequencies,
     * linear or YaRN scaling), which the engine does not compute.
     */
    private static void unscaledRope(GgufFile g, String p) throws IOException {
        Object type = g.metadata().get(p + "rope.scaling.type");
        if (type != null && !"none".equals(type))
            throw new IOException(g.file() + ": metadata '" + p + "rope.scaling.type' = " + type + " is not supported (plain RoPE only)");
        if (g.tensors().containsKey(ROPE_FREQS))
            throw new IOException(g.file() + ": tensor '" + ROPE_FREQS + "' scales the RoPE frequencies (Llama 3.1), which is not supported");
    }

    /** llama.cpp's {@code LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX}. */
    private static final int GATING_SOFTMAX = 1;

    /** The metadata llama.cpp's converter writes for a model with config {@code c} (hyperparameters and ids). */
    static void writeConfig(GgufWriter w, String arch, ModelConfig c) {
        String p = arch + ".";
        w.putU32(p + "context_length", c.maxSequenceLength());
        w.putU32(p + "embedding_length", c.dModel());
        w.putU32(p + "block_count", c.nLayers());
        w.putU32(p + "feed_forward_length", c.mlpHiddenSize());
        w.putU32(p + "attention.head_count", c.nHeads());
        w.putU32(p + "attention.head_count_kv", c.nKvHeads());
        w.putF32(p + "rope.freq_base", (float) c.ropeTheta());
        w.putF32(p + "attention.layer_norm_rms_epsilon", (float) c.rmsNormEps());
        w.putU32(p + "rope.dimension_count", c.rotaryDim());
        if (c.headDim() != c.dModel() / c.nHeads()) {
            w.putU32(p + "attention.key_length", c.headDim());
            w.putU32(p + "attention.value_length", c.headDim());
        }
        w.putU32(p + "vocab_size", c.embeddingSize());
        if (c.family() instanceof LladaMoeFamily f) {
            w.putU32(p + "expert_count", f.moe().router().experts());
            w.putU32(p + "expert_used_count", f.moe().router().topK());
            w.putU32(p + "expert_feed_forward_length", f.moe().expertWidth());
        }
        if (!c.family().autoregressive()) {
            w.putBool(p + "attention.causal", false);
            w.putBool("diffusion.shift_logits", c.logitShift());
            if (c.blockDiffusion()) w.putU32("diffusion.block_size", c.blockSize());
            if (c.neverPredictMask()) w.putBool("diffusion.never_predict_mask", true);
        }
        // a causal LM that names no mask (EOS stands in) goes without one, as it came
        if (!c.family().autoregressive() || c.maskTokenId() != c.eosTokenId()) w.putU32("tokenizer.ggml.mask_token_id", c.maskTokenId());
        w.putU32("tokenizer.ggml.eos_token_id", c.eosTokenId());
        w.putU32("tokenizer.ggml.padding_token_id", c.padTokenId());
        if (c.bosTokenIdOrNull() != null) w.putU32("tokenizer.ggml.bos_token_id", c.bosTokenIdOrNull());
    }
}
