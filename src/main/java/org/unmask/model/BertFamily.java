package org.unmask.model;

import org.unmask.model.tensor.Weights;
import org.unmask.text.HfTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * BERT-family encoders ({@code BertForMaskedLM}, {@code BertModel}, {@code DistilBertForMaskedLM}: BERT, MiniLM,
 * DistilBERT) run as masked diffusion LMs with {@code [MASK]} as the mask token. Their own architecture, run by
 * {@link BertEncoder}: learned absolute positions (and BERT's token-type row 0) added to the word embedding and
 * layer-normalised, post-LayerNorm blocks with biases on every linear, exact-erf GELU, and the MLM head (dense, GELU,
 * LayerNorm, decoder with bias) or, for a {@code BertModel} without one, the word embeddings as the head.
 *
 * @param layout        BERT's or DistilBERT's tensor names and config fields
 * @param typeVocabSize rows of BERT's token-type embedding (0 for DistilBERT, which has none)
 * @param mlmHead       the checkpoint has the MLM head; otherwise logits are {@code h · Eᵀ}
 */
public record BertFamily(Layout layout, int typeVocabSize, boolean mlmHead) implements ModelFamily {

    /** The tensor names and config.json spelling of one Hugging Face class family. */
    public enum Layout { BERT, DISTILBERT }

    /** The instances detection uses; {@link #readConfig} returns one with the file's own settings. */
    public static final BertFamily BERT = new BertFamily(Layout.BERT, 2, true);
    public static final BertFamily DISTILBERT = new BertFamily(Layout.DISTILBERT, 0, true);

    /** The weight of one per-layer tensor as {@link BertEncoder} uses it; biases and LayerNorm betas are {@link #bias}. */
    public enum Part { Q, K, V, O, ATTN_LN, UP, DOWN, OUT_LN }

    /** The LayerNorm epsilon DistilBERT hard-codes (its config has no field for it). */
    static final double DISTILBERT_EPS = 1e-12;

    private boolean bert() { return layout == Layout.BERT; }

    @Override public String name() { return bert() ? "bert" : "distilbert"; }

    @Override public List<String> architectures() {
        return bert() ? List.of("BertForMaskedLM", "BertModel") : List.of("DistilBertForMaskedLM");
    }

    @Override public List<String> modelTypes() { return bert() ? List.of("bert") : List.of("distilbert"); }

    @Override public ModelConfig readConfig(ConfigJson j) throws IOException {
        boolean head = !j.architectures().contains("BertModel") || j.architectures().contains("BertForMaskedLM");
        String act = j.text(bert() ? "hidden_act" : "activation");
        if (act != null && !act.equals("gelu"))
            throw j.error(bert() ? "hidden_act" : "activation", "= \"" + act + "\" is not supported (only \"gelu\", the exact erf form)");
        String pos = j.text("position_embedding_type");
        if (pos != null && !pos.equals("absolute"))
            throw j.error("position_embedding_type", "= \"" + pos + "\" is not supported (only \"absolute\")");
        if (!bert() && j.optBool("sinusoidal_pos_embds", false))
            throw j.error("sinusoidal_pos_embds", "= true is not supported (learned position embeddings only)");
        int d = j.requiredInt(bert() ? "hidden_size" : "dim"), layers = j.requiredInt(bert() ? "num_hidden_layers" : "n_layers");
        int heads = j.requiredInt(bert() ? "num_attention_heads" : "n_heads");
        int ff = j.requiredInt(bert() ? "intermediate_size" : "hidden_dim"), vocab = j.requiredInt("vocab_size");
        int maxPos = j.optInt("max_position_embeddings", 512);
        int types = bert() ? j.optInt("type_vocab_size", 2) : 0;
        if (bert() && types < 1) throw j.error("type_vocab_size", "= " + types + " must be at least 1 (token type 0 is added)");
        double eps = bert() ? (j.optReal("layer_norm_eps") == null ? 1e-12 : j.optReal("layer_norm_eps")) : DISTILBERT_EPS;
        if (heads > 0 && d % heads != 0)
            throw j.error(bert() ? "num_attention_heads" : "n_heads", "= " + heads + " must divide the width (" + d + ")");
        boolean tied = j.optBool("tie_word_embeddings", true);
        int pad = j.optInt("pad_token_id", 0);
        Tokens t = specialTokens(j);
        int hd = heads > 0 ? d / heads : 1;
        // no rotary embedding: the rotary fields only satisfy the engine config's checks
        return new ModelConfig(new BertFamily(layout, types, head), d, layers, heads, heads, hd, ff, vocab, vocab, maxPos,
                10000.0, Math.max(2, hd - hd % 2), eps, true, false, tied, false, t.mask, t.sep, pad, t.cls);
    }

    /** {@code c} with the MLM head added (a {@code BertModel} about to be trained as a masked LM), or {@code c} itself. */
    public static ModelConfig withMlmHead(ModelConfig c) {
        if (!(c.family() instanceof BertFamily f) || f.mlmHead()) return c;
        return new ModelConfig(new BertFamily(f.layout(), f.typeVocabSize(), true), c.dModel(), c.nLayers(), c.nHeads(),
                c.nKvHeads(), c.headDim(), c.mlpHiddenSize(), c.vocabSize(), c.embeddingSize(), c.maxSequenceLength(),
                c.ropeTheta(), c.rotaryDim(), c.rmsNormEps(), c.qkvBias(), c.qkNorm(), true, false, c.maskTokenId(),
                c.eosTokenId(), c.padTokenId(), c.bosTokenIdOrNull());
    }

    /** The tensors of the MLM head (what {@link #withMlmHead} adds). */
    public java.util.Set<String> headTensors(ModelConfig c) {
        java.util.Set<String> s = new java.util.LinkedHashSet<>(List.of(headDense(), bias(headDense()), headNorm(), bias(headNorm()), headBias()));
        if (!c.weightTying()) s.add(lmHead());
        return s;
    }

    private record Tokens(int mask, int sep, Integer cls) {}

    /**
     * {@code [MASK]}, {@code [SEP]} (the end of a text) and {@code [CLS]}: config.json's {@code mask_token_id} /
     * {@code sep_token_id} / {@code cls_token_id} when it has them (our checkpoints write them), else the ids of
     * those tokens in the tokenizer.json beside it, as BERT's config.json files do not name them.
     */
    private static Tokens specialTokens(ConfigJson j) throws IOException {
        Integer mask = j.optInt("mask_token_id"), sep = j.optInt("sep_token_id"), cls = j.optInt("cls_token_id");
        if (mask != null && sep != null) return new Tokens(mask, sep, cls);
        Path tok = j.file().toAbsolutePath().resolveSibling(HfTokenizer.FILE);
        if (!Files.isRegularFile(tok))
            throw j.error("mask_token_id", "is missing and there is no " + HfTokenizer.FILE + " beside it to find [MASK] in");
        HfTokenizer t = HfTokenizer.load(tok);
        OptionalInt m = t.tokenId("[MASK]"), s = t.tokenId("[SEP]"), c = t.tokenId("[CLS]");
        if (mask == null && m.isEmpty())
            throw j.error("mask_token_id", "is missing and " + tok + " has no [MASK] token");
        if (sep == null && s.isEmpty())
            throw j.error("sep_token_id", "is missing and " + tok + " has no [SEP] token");
        return new Tokens(mask != null ? mask : m.getAsInt(), sep != null ? sep : s.getAsInt(),
                cls != null ? cls : c.isPresent() ? Integer.valueOf(c.getAsInt()) : null);
    }

    @Override public Map<String, Object> configJson(ModelConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (bert()) {
            m.put("architectures", List.of(mlmHead ? "BertForMaskedLM" : "BertModel"));
            m.put("model_type", "bert");
            m.put("hidden_size", c.dModel());
            m.put("num_hidden_layers", c.nLayers());
            m.put("num_attention_heads", c.nHeads());
            m.put("intermediate_size", c.mlpHiddenSize());
            m.put("hidden_act", "gelu");
            m.put("max_position_embeddings", c.maxSequenceLength());
            m.put("type_vocab_size", typeVocabSize);
            m.put("layer_norm_eps", c.rmsNormEps());
            m.put("position_embedding_type", "absolute");
            m.put("hidden_dropout_prob", 0.1);
            m.put("attention_probs_dropout_prob", 0.1);
        } else {
            m.put("architectures", List.of("DistilBertForMaskedLM"));
            m.put("model_type", "distilbert");
            m.put("dim", c.dModel());
            m.put("n_layers", c.nLayers());
            m.put("n_heads", c.nHeads());
            m.put("hidden_dim", c.mlpHiddenSize());
            m.put("activation", "gelu");
            m.put("max_position_embeddings", c.maxSequenceLength());
            m.put("sinusoidal_pos_embds", false);
            m.put("dropout", 0.1);
            m.put("attention_dropout", 0.1);
        }
        m.put("vocab_size", c.vocabSize());
        m.put("pad_token_id", c.padTokenId());
        m.put("tie_word_embeddings", c.weightTying());
        m.put("mask_token_id", c.maskTokenId());
        m.put("sep_token_id", c.eosTokenId());
        if (c.bosTokenIdOrNull() != null) m.put("cls_token_id", c.bosTokenIdOrNull());
        m.put("torch_dtype", "float32");
        return m;
    }

    @Override public String fieldName(ModelConfig.Field f) {
        return switch (f) {
            case D_MODEL -> bert() ? "hidden_size" : "dim";
            case N_LAYERS -> bert() ? "num_hidden_layers" : "n_layers";
            case N_HEADS, N_KV_HEADS, HEAD_DIM, ROTARY_DIM -> bert() ? "num_attention_heads" : "n_heads";
            case MLP_HIDDEN_SIZE -> bert() ? "intermediate_size" : "hidden_dim";
            case VOCAB_SIZE, EMBEDDING_SIZE -> "vocab_size";
            case MAX_SEQUENCE_LENGTH -> "max_position_embeddings";
            case ROPE_THETA -> "rope_theta";   // never read: BERT has no rotary embedding
            case RMS_NORM_EPS -> bert() ? "layer_norm_eps" : "layer_norm_eps (fixed at 1e-12 for DistilBERT)";
            case MASK_TOKEN_ID -> "mask_token_id";
            case EOS_TOKEN_ID -> "sep_token_id";
            case PAD_TOKEN_ID -> "pad_token_id";
            case BOS_TOKEN_ID -> "cls_token_id";
        };
    }

    private String root() { return bert() ? "bert." : "distilbert."; }

    @Override public String embedding() { return root() + "embeddings.word_embeddings.weight"; }

    /** The learned absolute position embedding [max_position_embeddings, d]. */
    public String positions() { return root() + "embeddings.position_embeddings.weight"; }

    /** BERT's token-type embedding [type_vocab_size, d]; DistilBERT has none. */
    public String tokenTypes() { return "bert.embeddings.token_type_embeddings.weight"; }

    /** The LayerNorm over the summed embeddings (its weight; {@link #bias} names its bias). */
    public String embeddingNorm() { return root() + "embeddings.LayerNorm.weight"; }

    /** The engine's "final norm" is the LayerNorm of the embeddings: BERT normalises after each sublayer instead. */
    @Override public String finalNorm() { return embeddingNorm(); }

    /** The MLM decoder (present in the file only when the head is untied). */
    @Override public String lmHead() { return bert() ? "cls.predictions.decoder.weight" : "vocab_projector.weight"; }

    /** The MLM decoder's bias. */
    public String headBias() { return bert() ? "cls.predictions.bias" : "vocab_projector.bias"; }

    /** The MLM head's transform: dense [d, d], then its LayerNorm. */
    public String headDense() { return bert() ? "cls.predictions.transform.dense.weight" : "vocab_transform.weight"; }

    /** The MLM head transform's LayerNorm weight. */
    public String headNorm() { return bert() ? "cls.predictions.transform.LayerNorm.weight" : "vocab_layer_norm.weight"; }

    /** The bias (or LayerNorm beta) beside a weight called {@code weightName}. */
    public static String bias(String weightName) {
        if (!weightName.endsWith(".weight")) throw new IllegalArgumentException(weightName + " is not a weight");
        return weightName.substring(0, weightName.length() - ".weight".length()) + ".bias";
    }

    /** A per-layer weight by its job in the block. */
    public String tensor(int layer, Part part) {
        if (bert()) {
            String p = "bert.encoder.layer." + layer + ".";
            return p + switch (part) {
                case Q -> "attention.self.query.weight";
                case K -> "attention.self.key.weight";
                case V -> "attention.self.value.weight";
                case O -> "attention.output.dense.weight";
                case ATTN_LN -> "attention.output.LayerNorm.weight";
                case UP -> "intermediate.dense.weight";
                case DOWN -> "output.dense.weight";
                case OUT_LN -> "output.LayerNorm.weight";
            };
        }
        String p = "distilbert.transformer.layer." + layer + ".";
        return p + switch (part) {
            case Q -> "attention.q_lin.weight";
            case K -> "attention.k_lin.weight";
            case V -> "attention.v_lin.weight";
            case O -> "attention.out_lin.weight";
            case ATTN_LN -> "sa_layer_norm.weight";
            case UP -> "ffn.lin1.weight";
            case DOWN -> "ffn.lin2.weight";
            case OUT_LN -> "output_layer_norm.weight";
        };
    }

    /** The engine's roles mapped onto BERT's tensors, for the generic checks; {@link #tensor} is what the encoder uses. */
    @Override public String layerTensor(int layer, TensorRole role) {
        return switch (role) {
            case ATTN_NORM -> tensor(layer, Part.ATTN_LN);
            case Q -> tensor(layer, Part.Q);
            case K -> tensor(layer, Part.K);
            case V -> tensor(layer, Part.V);
            case Q_BIAS -> bias(tensor(layer, Part.Q));
            case K_BIAS -> bias(tensor(layer, Part.K));
            case V_BIAS -> bias(tensor(layer, Part.V));
            case O -> tensor(layer, Part.O);
            case FF_NORM -> tensor(layer, Part.OUT_LN);
            case GATE, UP -> tensor(layer, Part.UP);
            case DOWN -> tensor(layer, Part.DOWN);
            case Q_NORM, K_NORM -> throw new IllegalArgumentException(name() + " has no QK norm");
        };
    }

    /** Every tensor in Hugging Face's order: embeddings, layers, then the MLM head. */
    @Override public Map<String, TensorSpec> tensors(ModelConfig c) {
        long d = c.dModel(), e = c.embeddingSize(), ff = c.mlpHiddenSize();
        Map<String, TensorSpec> m = new LinkedHashMap<>();
        m.put(embedding(), gaussian(e, d));
        m.put(positions(), gaussian(c.maxSequenceLength(), d));
        if (bert()) m.put(tokenTypes(), gaussian(typeVocabSize, d));
        layerNorm(m, embeddingNorm(), d);
        for (int l = 0; l < c.nLayers(); l++) {
            for (Part p : List.of(Part.Q, Part.K, Part.V, Part.O)) linear(m, tensor(l, p), d, d);
            layerNorm(m, tensor(l, Part.ATTN_LN), d);
            linear(m, tensor(l, Part.UP), ff, d);
            linear(m, tensor(l, Part.DOWN), d, ff);
            layerNorm(m, tensor(l, Part.OUT_LN), d);
        }
        if (mlmHead) {
            linear(m, headDense(), d, d);
            layerNorm(m, headNorm(), d);
            if (!c.weightTying()) m.put(lmHead(), gaussian(e, d));
            m.put(headBias(), new TensorSpec(new long[]{e}, TensorSpec.Init.ZEROS));
        }
        return m;
    }

    private static TensorSpec gaussian(long rows, long cols) { return new TensorSpec(new long[]{rows, cols}, TensorSpec.Init.GAUSSIAN); }

    private static void linear(Map<String, TensorSpec> m, String weight, long out, long in) {
        m.put(weight, gaussian(out, in));
        m.put(bias(weight), new TensorSpec(new long[]{out}, TensorSpec.Init.ZEROS));
    }

    private static void layerNorm(Map<String, TensorSpec> m, String weight, long d) {
        m.put(weight, new TensorSpec(new long[]{d}, TensorSpec.Init.ONES));
        m.put(bias(weight), new TensorSpec(new long[]{d}, TensorSpec.Init.ZEROS));
    }

    /**
     * Tensors Hugging Face checkpoints carry that the masked LM does not use: the position-id buffer, the pooler, the
     * next-sentence head, the decoder bias's second name, and the decoder weight when it is tied (Hugging Face then
     * replaces it by the word embeddings too).
     */
    @Override public boolean ignoredTensor(ModelConfig c, String name) {
        return name.equals(root() + "embeddings.position_ids") || name.startsWith("bert.pooler.")
                || name.startsWith("cls.seq_relationship.") || name.equals("cls.predictions.decoder.bias")
                || (c.weightTying() && name.equals(lmHead()));
    }

    /** The count comes from {@link #tensors}: the engine's formula is the LLaDA layout's. */
    @Override public boolean countsFromTensors() { return true; }

    @Override public FeedForward feedForward(ModelConfig c, int layer, java.util.function.Function<String, Weights> tensor) {
        throw new UnsupportedOperationException("BERT blocks are run by BertEncoder, not the engine's feed-forward");
    }

    @Override public String describeFeedForward(ModelConfig c) { return "GELU, width " + c.mlpHiddenSize() + " (post-LayerNorm blocks)"; }

    @Override public TrainableModel engine(ModelConfig c, Map<String, Weights> tensors, boolean trainable) {
        return BertEncoder.fromWeights(c, tensors, trainable);
    }

    @Override public TrainableModel randomEngine(ModelConfig c, long seed, double std) { return BertEncoder.randomInit(c, seed, std); }

    @Override public GenerationDefaults generationDefaults() { return GenerationDefaults.LLADA; }

    /** BERT has no chat format; [SEP] ends a text. */
    @Override public String endOfTurnToken() { return "[SEP]"; }

    @Override public String toString() { return name(); }
}
