package org.unmask.model.kernels;

/**
 * Which keys a query may attend to, besides the key-padding mask: all of them (LLaDA's bidirectional denoiser),
 * those at or before it (the autoregressive baseline), those in its own or an earlier block (block diffusion), or
 * those at most {@code width} positions after it (causal with a look-ahead, annealed from causal to bidirectional when
 * an autoregressive model is adapted to diffusion). {@code width} is the block size or the look-ahead.
 */
public record AttentionPattern(Kind kind, int width) {
    /** The four shapes of attention. */
    public enum Kind { BIDIRECTIONAL, CAUSAL, BLOCK_CAUSAL, LOOKAHEAD }

    public static final AttentionPattern BIDIRECTIONAL = new AttentionPattern(Kind.BIDIRECTIONAL, 0);
    public static final AttentionPattern CAUSAL = new AttentionPattern(Kind.CAUSAL, 0);

    /** Validates the block size of block-causal masks and the look-ahead of look-ahead masks. */
    public AttentionPattern {
        if (kind == Kind.BLOCK_CAUSAL && width <= 0) throw new IllegalArgumentException("block size must be positive, got " + width);
        if (kind == Kind.LOOKAHEAD && width < 0) throw new IllegalArgumentException("look-ahead must be >= 0, got " + width);
    }

    /** Query {@code i} may see key {@code j}; block-causal masks see whole blocks. */
    public static AttentionPattern blockCausal(int blockSize) { return new AttentionPattern(Kind.BLOCK_CAUSAL, blockSize); }

    /** Query {@code i} may see keys {@code j <= i + lookahead} (0 is causal). */
    public static AttentionPattern lookahead(int lookahead) { return new AttentionPattern(Kind.LOOKAHEAD, lookahead); }

    /** The block size of a block-causal pattern. */
    public int blockSize() { return width; }

    /** Whether query position {@code q} may attend to key position {@code k} (ignoring padding). */
    public boolean allows(int q, int k) {
        return switch (kind) {
            case BIDIRECTIONAL -> true;
            case CAUSAL -> k <= q;
            case BLOCK_CAUSAL -> k / width <= q / width;
            case LOOKAHEAD -> k <= q + width;
        };
    }
}
