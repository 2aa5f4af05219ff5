package org.unmask.model;

import org.unmask.model.kernels.AttentionPattern;

/**
 * What a sampler needs from a model: logits for a batch of token sequences. Implemented by the engine
 * ({@link Transformer}), by Dream's shifted view of it ({@link LogitShift}) and by test doubles.
 */
public interface Denoiser {

    /** The architecture and special token ids. */
    ModelConfig config();

    /**
     * Runs the model over {@code ids} ({@code batch} rows of {@code seqLen} tokens, row-major) and returns the logits
     * of the flat positions in {@code rows} ({@code b*seqLen + t}), {@code rows.length × config().embeddingSize()}
     * floats; all {@code batch*seqLen} positions in order when {@code rows} is null. {@code attend} (nullable,
     * {@code batch*seqLen}) marks the keys that may be attended to; padding keys are false.
     */
    float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows);

    /**
     * The same with an attention pattern: the autoregressive baseline is scored under a causal mask. Models with
     * bidirectional attention only accept {@link AttentionPattern#BIDIRECTIONAL}.
     */
    default float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows, AttentionPattern pattern) {
        if (pattern.kind() != AttentionPattern.Kind.BIDIRECTIONAL)
            throw new UnsupportedOperationException(getClass().getSimpleName() + " only has bidirectional attention, not " + pattern.kind());
        return logits(ids, batch, seqLen, attend, rows);
    }
}
