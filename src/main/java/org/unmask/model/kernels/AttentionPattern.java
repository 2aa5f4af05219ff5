package org.unmask.model.kernels;

/**
 * Which keys a query may attend to, besides the key-padding mask: all of them (LLaDA's bidirectional denoiser),
 * those at or before it (the autoregressive baseline), or those in its own or an earlier block (block diffusion).
 */
public record AttentionPattern(Kind kind, int blockSize) {
    /** The three shapes of attention. */
    public enum Kind { BIDIRECTIONAL, CAUSAL, BLOCK_CAUSAL }

    public static final AttentionPattern BIDIRECTIONAL = new AttentionPattern(Kind.BIDIRECTIONAL, 0);
    public static final AttentionPattern CAUSAL = new AttentionPattern(Kind.CAUSAL, 0);

    /** Validates the block size of block-causal masks. */
    public AttentionPattern {
        if (kind == Kind.BLOCK_CAUSAL && blockSize <= 0) throw new IllegalArgumentException("block size must be positive");
    }

    /** Query {@code i} may see key {@code j}; block-causal masks see whole blocks. */
    public static AttentionPattern blockCausal(int blockSize) { return new AttentionPattern(Kind.BLOCK_CAUSAL, blockSize); }

    /** Whether query position {@code q} may attend to key position {@code k} (ignoring padding). */
    public boolean allows(int q, int k) {
        return switch (kind) {
            case BIDIRECTIONAL -> true;
            case CAUSAL -> k <= q;
            case BLOCK_CAUSAL -> k / blockSize <= q / blockSize;
        };
    }
}
