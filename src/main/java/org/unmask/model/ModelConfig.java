package org.unmask.model;

import org.unmask.files.AtomicFile;
import org.unmask.model.kernels.AttentionPattern;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The architecture of a model as the one engine sees it, whatever family's {@code config.json} it came from: sizes,
 * attention options, special ids. A {@link ModelFamily} maps its own config.json fields onto this record (and back);
 * validation messages name the field by the family's spelling ({@link ModelFamily#fieldName}).
 *
 * @param family            the family whose config.json and tensor names this model uses
 * @param dModel            width of the residual stream
 * @param nLayers           number of transformer blocks
 * @param nHeads            query heads
 * @param nKvHeads          key/value heads (grouped-query attention when fewer than {@code nHeads})
 * @param headDim           width of one head (the query projection is {@code nHeads·headDim} wide)
 * @param mlpHiddenSize     width of the SwiGLU feed-forward
 * @param vocabSize         tokens of the vocabulary
 * @param embeddingSize     rows of the embedding and LM head (may exceed the vocabulary, as in LLaDA-8B)
 * @param maxSequenceLength longest canvas the model is meant to attend over
 * @param ropeTheta         RoPE base
 * @param rotaryDim         leading dimensions of each head that RoPE rotates (rotate-half over them); {@code headDim} = all
 * @param rmsNormEps        RMSNorm epsilon
 * @param qkvBias           the q/k/v projections carry biases (Qwen2, Dream)
 * @param qkNorm            per-head RMSNorm of queries and keys before RoPE
 * @param weightTying       the LM head is the embedding matrix
 * @param logitShift        the token at position i is predicted from the output at i−1 (Dream); the sampler shifts
 * @param maskTokenId       the mask id
 * @param eosTokenId        end of text
 * @param padTokenId        padding of left-padded batches
 * @param bosTokenIdOrNull  start of text, null when the model has none
 * @param blockSize         0, or the block size of a block-diffusion model (BD3-LM, {@code "block_size"} in
 *                          config.json): attention is block-causal in blocks of this size aligned at position 0, and
 *                          generation and the ELBO go block by block
 * @param neverPredictMask  the LM head never predicts the mask token (MDLM's SUBS parameterisation,
 *                          {@code "never_predict_mask"} in config.json): its logit is −∞ in every output, so training
 *                          gives it no gradient and sampling and the ELBO never pay for it
 */
public record ModelConfig(
        ModelFamily family, int dModel, int nLayers, int nHeads, int nKvHeads, int headDim, int mlpHiddenSize,
        int vocabSize, int embeddingSize, int maxSequenceLength, double ropeTheta, int rotaryDim, double rmsNormEps,
        boolean qkvBias, boolean qkNorm, boolean weightTying, boolean logitShift,
        int maskTokenId, int eosTokenId, int padTokenId, Integer bosTokenIdOrNull, int blockSize,
        boolean neverPredictMask) {

    /** The config.json fields every family maps, named in errors by the family's spelling. */
    public enum Field {
        D_MODEL, N_LAYERS, N_HEADS, N_KV_HEADS, HEAD_DIM, MLP_HIDDEN_SIZE, VOCAB_SIZE, EMBEDDING_SIZE,
        MAX_SEQUENCE_LENGTH, ROPE_THETA, ROTARY_DIM, RMS_NORM_EPS, MASK_TOKEN_ID, EOS_TOKEN_ID, PAD_TOKEN_ID, BOS_TOKEN_ID
    }

    /** Validates the fields that the engine relies on; each error names its config.json field. */
    public ModelConfig {
        if (family == null) throw new IllegalArgumentException("a model config needs a family");
        positive(family, Field.D_MODEL, dModel);
        positive(family, Field.N_LAYERS, nLayers);
        positive(family, Field.N_HEADS, nHeads);
        positive(family, Field.N_KV_HEADS, nKvHeads);
        require(family, nHeads % nKvHeads == 0, Field.N_KV_HEADS, nKvHeads,
                "must divide " + family.fieldName(Field.N_HEADS) + " (" + nHeads + ")");
        positive(family, Field.HEAD_DIM, headDim);
        require(family, rotaryDim > 0 && rotaryDim <= headDim && rotaryDim % 2 == 0, Field.ROTARY_DIM, rotaryDim,
                "must be an even number of dimensions in 2.." + headDim + " (the head size), as RoPE rotates pairs");
        positive(family, Field.MLP_HIDDEN_SIZE, mlpHiddenSize);
        positive(family, Field.VOCAB_SIZE, vocabSize);
        require(family, embeddingSize >= vocabSize, Field.EMBEDDING_SIZE, embeddingSize,
                "must be at least " + family.fieldName(Field.VOCAB_SIZE) + " (" + vocabSize + ")");
        positive(family, Field.MAX_SEQUENCE_LENGTH, maxSequenceLength);
        require(family, ropeTheta > 0 && Double.isFinite(ropeTheta), Field.ROPE_THETA, ropeTheta, "must be a positive number");
        require(family, rmsNormEps > 0 && Double.isFinite(rmsNormEps), Field.RMS_NORM_EPS, rmsNormEps, "must be a positive number");
        tokenId(family, Field.MASK_TOKEN_ID, maskTokenId, embeddingSize);
        tokenId(family, Field.EOS_TOKEN_ID, eosTokenId, embeddingSize);
        tokenId(family, Field.PAD_TOKEN_ID, padTokenId, embeddingSize);
        if (bosTokenIdOrNull != null) tokenId(family, Field.BOS_TOKEN_ID, bosTokenIdOrNull, embeddingSize);
        if (blockSize < 0) throw new IllegalArgumentException(PREFIX + "field 'block_size' = " + blockSize + " must be >= 0 (0: not a block-diffusion model)");
        try {
            exactParameterCount(dModel, nLayers, (long) nHeads * headDim, (long) nKvHeads * headDim, headDim,
                    mlpHiddenSize, embeddingSize, qkvBias, qkNorm, weightTying);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(PREFIX + family.fieldName(Field.D_MODEL) + " " + dModel + ", "
                    + family.fieldName(Field.N_LAYERS) + " " + nLayers + ", " + family.fieldName(Field.MLP_HIDDEN_SIZE)
                    + " " + mlpHiddenSize + " and " + family.fieldName(Field.EMBEDDING_SIZE) + " " + embeddingSize
                    + " give more than 2^63 parameters");
        }
    }

    /** A model whose head may predict the mask token (every released checkpoint). */
    public ModelConfig(ModelFamily family, int dModel, int nLayers, int nHeads, int nKvHeads, int headDim, int mlpHiddenSize,
                       int vocabSize, int embeddingSize, int maxSequenceLength, double ropeTheta, int rotaryDim, double rmsNormEps,
                       boolean qkvBias, boolean qkNorm, boolean weightTying, boolean logitShift,
                       int maskTokenId, int eosTokenId, int padTokenId, Integer bosTokenIdOrNull, int blockSize) {
        this(family, dModel, nLayers, nHeads, nKvHeads, headDim, mlpHiddenSize, vocabSize, embeddingSize, maxSequenceLength,
                ropeTheta, rotaryDim, rmsNormEps, qkvBias, qkNorm, weightTying, logitShift, maskTokenId, eosTokenId,
                padTokenId, bosTokenIdOrNull, blockSize, false);
    }

    /** A model that is not block-diffusion (every family's own layout). */
    public ModelConfig(ModelFamily family, int dModel, int nLayers, int nHeads, int nKvHeads, int headDim, int mlpHiddenSize,
                       int vocabSize, int embeddingSize, int maxSequenceLength, double ropeTheta, int rotaryDim, double rmsNormEps,
                       boolean qkvBias, boolean qkNorm, boolean weightTying, boolean logitShift,
                       int maskTokenId, int eosTokenId, int padTokenId, Integer bosTokenIdOrNull) {
        this(family, dModel, nLayers, nHeads, nKvHeads, headDim, mlpHiddenSize, vocabSize, embeddingSize, maxSequenceLength,
                ropeTheta, rotaryDim, rmsNormEps, qkvBias, qkNorm, weightTying, logitShift, maskTokenId, eosTokenId,
                padTokenId, bosTokenIdOrNull, 0);
    }

    /**
     * A LLaDA-layout model ({@code LLaDAModelLM}): head size d_model/n_heads, full rotary, no biases, no QK norm, no
     * logit shift. Null kv heads, embedding size and pad id mean n_heads, vocab_size and EOS.
     */
    public ModelConfig(int dModel, int nLayers, int nHeads, Integer nKvHeadsOrNull, int mlpHiddenSize, int vocabSize,
                       Integer embeddingSizeOrNull, int maxSequenceLength, double ropeTheta, double rmsNormEps,
                       boolean weightTying, int maskTokenId, int eosTokenId, Integer padTokenIdOrNull, Integer bosTokenIdOrNull) {
        this(LladaFamily.INSTANCE, dModel, nLayers, nHeads, nKvHeadsOrNull == null ? nHeads : nKvHeadsOrNull,
                LladaFamily.headDim(dModel, nHeads), mlpHiddenSize, vocabSize,
                embeddingSizeOrNull == null ? vocabSize : embeddingSizeOrNull, maxSequenceLength, ropeTheta,
                LladaFamily.headDim(dModel, nHeads), rmsNormEps, false, false, weightTying, false, maskTokenId, eosTokenId,
                padTokenIdOrNull == null ? eosTokenId : padTokenIdOrNull, bosTokenIdOrNull);
    }

    /** Prefix of validation messages; {@link #read} puts the file's path in its place. */
    static final String PREFIX = "config.json: ";

    private static void positive(ModelFamily f, Field field, int value) {
        require(f, value > 0, field, value, "must be positive");
    }

    private static void tokenId(ModelFamily f, Field field, int id, int embeddingSize) {
        require(f, id >= 0 && id < embeddingSize, field, id, "is outside the embedding [0, " + embeddingSize + ")");
    }

    private static void require(ModelFamily f, boolean ok, Field field, Object value, String problem) {
        if (!ok) throw new IllegalArgumentException(PREFIX + "field '" + f.fieldName(field) + "' = " + value + " " + problem);
    }

    /** The parameter count with overflow checks, so that absurd sizes are rejected instead of wrapping around. */
    private static long exactParameterCount(long d, long layers, long q, long kv, long hd, long h, long e,
                                            boolean bias, boolean qkNorm, boolean tied) {
        long attention = Math.addExact(Math.multiplyExact(2, Math.multiplyExact(d, q)), Math.multiplyExact(2, Math.multiplyExact(d, kv)));
        if (bias) attention = Math.addExact(attention, Math.addExact(q, 2 * kv));
        if (qkNorm) attention = Math.addExact(attention, 2 * hd);
        long perBlock = Math.addExact(Math.addExact(2 * d, attention), Math.multiplyExact(3, Math.multiplyExact(d, h)));
        long embeddings = Math.multiplyExact(tied ? 1 : 2, Math.multiplyExact(e, d));
        return Math.addExact(Math.addExact(embeddings, Math.multiplyExact(layers, perBlock)), d);
    }

    /** Width of the query projection and of the attention output. */
    public int qDim() { return nHeads * headDim; }

    /** Width of the key and value projections. */
    public int kvDim() { return nKvHeads * headDim; }

    /**
     * The id the sampler writes into the positions still to be generated: the mask token, or, for a causal LM whose
     * config names none (mask_token_id absent stands in as EOS), the highest id that is not EOS, BOS or padding. A
     * causal model never reads that placeholder for its own prediction (position i is predicted from i − 1), so any id
     * serves but EOS, which the sampler stops on; the sampler never writes it (Qwen2's highest ids are padding rows no
     * text uses; Llama 2's is a rare character, which greedy decoding then passes over).
     */
    public int canvasMaskId() {
        if (!family().autoregressive() || maskTokenId() != eosTokenId()) return maskTokenId();
        int id = embeddingSize() - 1;
        while (id > 0 && (id == eosTokenId() || id == padTokenId() || Integer.valueOf(id).equals(bosTokenIdOrNull()))) id--;
        return id;
    }

    /** Total number of parameters, counting the LM head only when it is not tied. */
    public long parameterCount() {
        if (family.countsFromTensors()) {   // experts or another layout than the engine's: count the tensors themselves
            long n = 0;
            for (TensorSpec t : family.tensors(this).values()) {
                long size = 1;
                for (long x : t.shape()) size = Math.multiplyExact(size, x);
                n = Math.addExact(n, size);
            }
            return n;
        }
        return exactParameterCount(dModel, nLayers, qDim(), kvDim(), headDim, mlpHiddenSize, embeddingSize, qkvBias,
                qkNorm, weightTying);
    }

    /** Reads {@code config.json}: detects the family, maps its fields; errors name the file and the field. */
    public static ModelConfig read(Path file) throws IOException {
        ConfigJson json = ConfigJson.read(file);
        ModelFamily family = ModelFamilies.detect(json);
        return json.build(family::readConfig);
    }

    /** Writes {@code config.json} (atomically, fsynced) with the fields the family's Hugging Face checkpoints carry. */
    public void write(Path file) throws IOException {
        AtomicFile.write(file, tmp -> ConfigJson.MAPPER.writeValue(tmp.toFile(), family.configJson(this)));
    }

    /** A copy with other special token ids (used when a tokenizer is attached to a model). */
    public ModelConfig withTokens(int vocab, int mask, int eos, Integer bos) {
        return new ModelConfig(family, dModel, nLayers, nHeads, nKvHeads, headDim, mlpHiddenSize, vocab,
                Math.max(vocab, embeddingSize), maxSequenceLength, ropeTheta, rotaryDim, rmsNormEps, qkvBias, qkNorm,
                weightTying, logitShift, mask, eos, eos, bos, blockSize, neverPredictMask);
    }

    /** A copy under another family's config.json and tensor names (the same model: an AR run as a Llama directory). */
    public ModelConfig withFamily(ModelFamily other) {
        return new ModelConfig(other, dModel, nLayers, nHeads, nKvHeads, headDim, mlpHiddenSize, vocabSize, embeddingSize,
                maxSequenceLength, ropeTheta, rotaryDim, rmsNormEps, qkvBias, qkNorm, weightTying, logitShift, maskTokenId,
                eosTokenId, padTokenId, bosTokenIdOrNull, blockSize, neverPredictMask);
    }

    /** A copy whose output at position i predicts token i+1 ({@code shift_logits}) or not. */
    public ModelConfig withLogitShift(boolean shift) {
        return new ModelConfig(family, dModel, nLayers, nHeads, nKvHeads, headDim, mlpHiddenSize, vocabSize, embeddingSize,
                maxSequenceLength, ropeTheta, rotaryDim, rmsNormEps, qkvBias, qkNorm, weightTying, shift, maskTokenId,
                eosTokenId, padTokenId, bosTokenIdOrNull, blockSize, neverPredictMask);
    }

    /** A copy trained (or not, 0) as a block-diffusion model with blocks of {@code size}. */
    public ModelConfig withBlockSize(int size) {
        return new ModelConfig(family, dModel, nLayers, nHeads, nKvHeads, headDim, mlpHiddenSize, vocabSize, embeddingSize,
                maxSequenceLength, ropeTheta, rotaryDim, rmsNormEps, qkvBias, qkNorm, weightTying, logitShift, maskTokenId,
                eosTokenId, padTokenId, bosTokenIdOrNull, size, neverPredictMask);
    }

    /** A copy whose head never predicts the mask token (MDLM's SUBS) or may. */
    public ModelConfig withNeverPredictMask(boolean never) {
        return new ModelConfig(family, dModel, nLayers, nHeads, nKvHeads, headDim, mlpHiddenSize, vocabSize, embeddingSize,
                maxSequenceLength, ropeTheta, rotaryDim, rmsNormEps, qkvBias, qkNorm, weightTying, logitShift, maskTokenId,
                eosTokenId, padTokenId, bosTokenIdOrNull, blockSize, never);
    }

    /** Whether this is a block-diffusion model (block-causal attention in blocks of {@link #blockSize}). */
    public boolean blockDiffusion() { return blockSize > 0; }

    /**
     * The attention a forward pass over clean and partly masked positions uses: block-causal in the model's blocks
     * for a block-diffusion model, bidirectional otherwise.
     */
    public AttentionPattern attention() {
        return blockSize > 0 ? AttentionPattern.blockCausal(blockSize) : AttentionPattern.BIDIRECTIONAL;
    }

    /** Named presets for {@code unmask init --preset} and {@code unmask train --preset}. */
    public static ModelConfig preset(String name) {
        return switch (name) {
            // micro: what 'demo --train' trains; in five minutes of 2 cores it ends 0.2 (AVX-512) to 0.3 (AVX2)
            // bits/token below tiny, having seen 2.8 times the tokens (docs/training.md, "The demo's model shape")
            case "micro" -> new ModelConfig(96, 3, 3, 3, 256, 4096, 4096, 256, 10000.0, 1e-5, false, 2, 0, 0, 1);
            // tiny: the default of 'unmask train'; trains to readable text on 2 CPU cores in minutes
            case "tiny" -> new ModelConfig(192, 4, 6, 6, 512, 4096, 4096, 256, 10000.0, 1e-5, false, 2, 0, 0, 1);
            // small: the training benchmark shape of docs/benchmarks.md
            case "small" -> new ModelConfig(256, 4, 8, 8, 704, 4096, 4096, 256, 10000.0, 1e-5, false, 2, 0, 0, 1);
            case "base" -> new ModelConfig(512, 8, 8, 8, 1408, 8192, 8192, 512, 10000.0, 1e-5, false, 2, 0, 0, 1);
            // the shapes of GSAI-ML/LLaDA-8B-Base and -Instruct
            case "llada-8b" -> new ModelConfig(4096, 32, 32, 32, 12288, 126464, 126464, 4096, 500000.0, 1e-5, false,
                    126336, 126081, 126081, 126080);
            // the shapes of Dream-org/Dream-v0-Base-7B and -Instruct-7B (Qwen2.5-7B with bidirectional attention)
            case "dream-7b" -> DreamFamily.dream7b();
            // the shapes of inclusionAI/LLaDA2.0-mini and LLaDA2.1-mini (16B mixture of experts, bf16 ~32 GB)
            case "llada2-mini" -> LLaDA2Family.mini();
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (known: " + String.join(", ", PRESETS) + ")");
        };
    }

    /** The names {@link #preset} knows. */
    public static final List<String> PRESETS = List.of("micro", "tiny", "small", "base", "llada-8b", "dream-7b", "llada2-mini");
}
