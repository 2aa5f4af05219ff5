package org.unmask.diffusion;

import org.unmask.model.kernels.AttentionPattern;

/**
 * The token rows one forward pass runs over: {@code batch} left-padded canvases of {@code seqLen} tokens, row-major,
 * the key-padding mask {@code attend} ({@code batch*seqLen}, false on padding keys; null when no row is padded) and
 * the attention pattern the model must apply (bidirectional, or LLaDA 2.x's block-causal pattern aligned at position
 * 0 of the padded row). The sampler may reuse the arrays after the call, so a model that keeps them must copy them.
 *
 * @param ids     the token ids
 * @param batch   number of rows
 * @param seqLen  tokens per row
 * @param attend  which keys may be attended to, or null when all may
 * @param pattern which keys a query may see besides padding
 */
public record Canvas(int[] ids, int batch, int seqLen, boolean[] attend, AttentionPattern pattern) {

    /** A bidirectional canvas. */
    public Canvas(int[] ids, int batch, int seqLen, boolean[] attend) {
        this(ids, batch, seqLen, attend, AttentionPattern.BIDIRECTIONAL);
    }

    /** Requires a pattern. */
    public Canvas {
        if (pattern == null) throw new IllegalArgumentException("attention pattern is required");
    }

    /**
     * Whether the rows' first {@code end} positions attend only among themselves, so that a forward over that prefix
     * gives them the same logits as one over the whole canvas: true under a block-causal pattern when {@code end}
     * is a block boundary (and trivially at the canvas end).
     */
    public boolean prefixIsClosed(int end) {
        if (end == seqLen) return true;
        return pattern.kind() == AttentionPattern.Kind.BLOCK_CAUSAL && end > 0 && end < seqLen && end % pattern.blockSize() == 0;
    }

    /** The first {@code end} positions of every row (see {@link #prefixIsClosed}). */
    public Canvas prefix(int end) {
        if (end == seqLen) return this;
        if (!prefixIsClosed(end)) throw new IllegalArgumentException("positions before " + end + " can see later ones under " + pattern);
        int[] cut = new int[batch * end];
        boolean[] att = attend == null ? null : new boolean[batch * end];
        for (int j = 0; j < batch; j++) {
            System.arraycopy(ids, j * seqLen, cut, j * end, end);
            if (att != null) System.arraycopy(attend, j * seqLen, att, j * end, end);
        }
        return new Canvas(cut, batch, end, att, pattern);
    }

    /** Flat positions {@code j*seqLen + t} (all with t &lt; end) renumbered for {@link #prefix prefix(end)}. */
    public int[] prefixRows(int[] rows, int end) {
        int[] out = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int j = rows[i] / seqLen, t = rows[i] % seqLen;
            if (t >= end) throw new IllegalArgumentException("position " + t + " of row " + j + " is not before " + end);
            out[i] = j * end + t;
        }
        return out;
    }
}
