package org.unmask.model;

import org.unmask.model.kernels.AttentionPattern;

/**
 * A denoiser that can run over a window of positions of each sequence, taking the keys and values of the other
 * positions from a {@link KvCache} (and storing the window's there): the model side of the prefix, dual and exact
 * block caches of {@code diffusion.CachedStepModel}.
 */
public interface CachingDenoiser extends Denoiser {

    /** Whether this model can run cached windows (a wrapper says whether the model under it can). */
    default boolean caching() { return true; }

    /** An empty cache for sequences of {@code seqLen} positions. */
    KvCache newCache(int seqLen);

    /**
     * Runs the ascending {@code positions} of every sequence of {@code ids} ({@code batch × seqLen}, row-major) through
     * the model: their keys and values are written into {@code cache} at slot {@code slots[j]} of row j, and their
     * queries attend to all {@code seqLen} positions of the slot under {@code pattern} and the key-padding mask
     * {@code attend} (nullable, {@code batch·seqLen}), so positions outside the window contribute what the cache holds.
     * Returns the logits of the flat positions {@code rows} ({@code j·seqLen + t}, each with t among the positions; the
     * order of {@code rows}), {@code rows.length × embeddingSize} floats.
     */
    float[] logits(KvCache cache, int[] slots, int[] ids, int batch, int seqLen, boolean[] attend, AttentionPattern pattern,
                   int[] positions, int[] rows);

    /** {@link #logits(KvCache, int[], int[], int, int, boolean[], AttentionPattern, int[], int[])} over the window {@code [from, to)}. */
    default float[] logits(KvCache cache, int[] slots, int[] ids, int batch, int seqLen, boolean[] attend,
                           AttentionPattern pattern, int from, int to, int[] rows) {
        if (from < 0 || to > seqLen || from >= to)
            throw new IllegalArgumentException("window [" + from + ", " + to + ") is not inside 0.." + seqLen);
        return logits(cache, slots, ids, batch, seqLen, attend, pattern, java.util.stream.IntStream.range(from, to).toArray(), rows);
    }
}
