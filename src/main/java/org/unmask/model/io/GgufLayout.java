package org.unmask.model.io;

import org.unmask.model.DreamFamily;
import org.unmask.model.LladaFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.ModelFamily;
import org.unmask.model.TensorRole;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How llama.cpp lays out our families in GGUF: the architecture names ({@code llada}, {@code dream}), the tensor
 * names ({@code token_embd}, {@code blk.N.attn_q}, ...), the hyperparameter keys ({@code {arch}.embedding_length},
 * ...), and the one place where the data differs from Hugging Face's: llama.cpp's converter permutes the rows of Q
 * and K inside each head for the LLaDA architecture (its RoPE rotates adjacent pairs), so that GGUF row {@code 2i+s}
 * of a head holds Hugging Face row {@code s·hd/2+i}. Dream (Qwen2) and LLaDA-MoE use llama.cpp's NEOX rotation,
 * which is Hugging Face's rotate-half, and are stored unpermuted.
 */
final class GgufLayout {
    private GgufLayout() {}

    static final String TOKEN_EMBD = "token_embd.weight", OUTPUT_NORM = "output_norm.weight", OUTPUT = "output.weight";
    /** Precomputed RoPE frequencies some converters add; the engine computes its own. */
    static final String ROPE_FREQS = "rope_freqs.weight";

    /** The GGUF architecture of a family, or an error naming the families that GGUF supports. */
    static String arch(ModelFamily f) {
        if (f == LladaFamily.INSTANCE) return "llada";
        if (f == DreamFamily.INSTANCE) return "dream";
        throw new IllegalArgumentException("GGUF is supported for the llada and dream families, not " + f.name());
    }

    /** The family of a GGUF architecture; null when unsupported. */
    static ModelFamily family(String arch) {
        return switch (arch) {
            case "llada" -> LladaFamily.INSTANCE;
            case "dream" -> DreamFamily.INSTANCE;
            default -> null;
        };
    }

    /** Whether the converter stores Q and K rows in the pairwise RoPE order. */
    static boolean permutesQK(String arch) { return arch.equals("llada"); }

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

    /** Every tensor of a model with config {@code c}: Hugging Face name → GGUF name, in checkpoint order. */
    static Map<String, String> names(ModelConfig c) {
        ModelFamily f = c.family();
        Map<String, String> m = new LinkedHashMap<>();
        m.put(f.embedding(), TOKEN_EMBD);
        for (int l = 0; l < c.nLayers(); l++)
            for (TensorRole r : TensorRole.values()) if (r.present(c)) m.put(f.layerTensor(l, r), layerName(l, r));
        m.put(f.finalNorm(), OUTPUT_NORM);
        if (!c.weightTying()) m.put(f.lmHead(), OUTPUT);
        return m;
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
    static ModelConfig config(GgufFile g, String arch, ModelFamily family) throws IOException {
        String p = arch + ".";
        int d = g.integer(p + "embedding_length"), layers = g.integer(p + "block_count");
        int heads = g.integer(p + "attention.head_count");
        Integer kvOrNull = g.optInteger(p + "attention.head_count_kv");
        int kv = kvOrNull == null ? heads : kvOrNull;
        int mlp = g.integer(p + "feed_forward_length");
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
        int mask = g.integer("tokenizer.ggml.mask_token_id"), eos = g.integer("tokenizer.ggml.eos_token_id");
        Integer bos = g.optInteger("tokenizer.ggml.bos_token_id"), pad = g.optInteger("tokenizer.ggml.padding_token_id");
        // llama.cpp's diffusion CLI shifts the logits when the key is absent (Dream's converter does not write it)
        Boolean shiftKey = g.optBool("diffusion.shift_logits");
        boolean shift = shiftKey == null || shiftKey;
        Integer blockKey = g.optInteger("diffusion.block_size");   // Unmask's own key: a block-diffusion model
        boolean tied = !g.tensors().containsKey(OUTPUT);
        boolean bias = g.tensors().containsKey(layerName(0, TensorRole.Q_BIAS));
        boolean qkNorm = g.tensors().containsKey(layerName(0, TensorRole.Q_NORM));
        try {
            return new ModelConfig(family, d, layers, heads, kv, hd, mlp, vocab, Math.max(vocab, emb),
                    ctx == null ? 4096 : ctx, theta == null ? 10000.0 : theta, rot == null ? hd : rot, eps, bias, qkNorm,
                    tied, shift, mask, eos, pad == null ? eos : pad, bos, blockKey == null ? 0 : blockKey);
        } catch (IllegalArgumentException e) {
            throw new IOException(g.file() + ": the metadata describe an invalid model: " + e.getMessage(), e);
        }
    }

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
        w.putBool(p + "attention.causal", false);
        w.putBool("diffusion.shift_logits", c.logitShift());
        if (c.blockDiffusion()) w.putU32("diffusion.block_size", c.blockSize());
        w.putU32("tokenizer.ggml.mask_token_id", c.maskTokenId());
        w.putU32("tokenizer.ggml.eos_token_id", c.eosTokenId());
        w.putU32("tokenizer.ggml.padding_token_id", c.padTokenId());
        if (c.bosTokenIdOrNull() != null) w.putU32("tokenizer.ggml.bos_token_id", c.bosTokenIdOrNull());
    }
}
