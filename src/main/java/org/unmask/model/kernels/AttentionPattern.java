package org.unmask.model.kernels;

/**
 * Which keys a query may attend to, besides the key-padding mask: all of them (LLaDA's bidirectional denoiser),
 * those at or before it (the autoregressive baseline), those in its own or an earlier block (block diffusion), those
 * at most {@code width} positions after it (causal with a look-ahead, annealed from causal to bidirectional when an
 * autoregressive model is adapted to diffusion), or BD3-LM's training mask over a noisy copy and a clean copy of the
 * same sequence ({@link Kind#NOISY_CLEAN}). {@code width} is the block size or the look-ahead.
 *
 * <p>Every pattern lets query {@code q} see the keys {@code [keyStart, keyLimit)} except the hidden range
 * {@code [holeStart, holeEnd)}: at most two contiguous ranges, which the kernel scores as one span.
 */
public record AttentionPattern(Kind kind, int width) {
    /** The five shapes of attention. */
    public enum Kind {
        BIDIRECTIONAL, CAUSAL, BLOCK_CAUSAL, LOOKAHEAD,
        /**
         * BD3-LM's x_t ⊕ x_0 training layout: a row of {@code 2L} positions, the noisy copy at {@code [0, L)} and the
         * clean copy at {@code [L, 2L)}, cut into blocks of {@code width}. A noisy query of block b sees the noisy keys
         * of block b and the clean keys of blocks before b; a clean query of block b sees the clean keys of blocks up
         * to b (block-causal). Both copies take the positions {@code 0..L-1} ({@link #positionPeriod}).
         */
        NOISY_CLEAN
    }

    public static final AttentionPattern BIDIRECTIONAL = new AttentionPattern(Kind.BIDIRECTIONAL, 0);
    public static final AttentionPattern CAUSAL = new AttentionPattern(Kind.CAUSAL, 0);

    /** Validates the block size of block masks and the look-ahead of look-ahead masks. */
    public AttentionPattern {
        if ((kind == Kind.BLOCK_CAUSAL || kind == Kind.NOISY_CLEAN) && width <= 0)
            throw new IllegalArgumentException("block size must be positive, got " + width);
        if (kind == Kind.LOOKAHEAD && width < 0) throw new IllegalArgumentException("look-ahead must be >= 0, got " + width);
    }

    /** Query {@code i} may see key {@code j}; block-causal masks see whole blocks. */
    public static AttentionPattern blockCausal(int blockSize) { return new AttentionPattern(Kind.BLOCK_CAUSAL, blockSize); }

    /** Query {@code i} may see keys {@code j <= i + lookahead} (0 is causal). */
    public static AttentionPattern lookahead(int lookahead) { return new AttentionPattern(Kind.LOOKAHEAD, lookahead); }

    /** BD3-LM's training mask over a noisy copy followed by a clean copy, in blocks of {@code blockSize}. */
    public static AttentionPattern noisyClean(int blockSize) { return new AttentionPattern(Kind.NOISY_CLEAN, blockSize); }

    /** The block size of a block pattern. */
    public int blockSize() { return width; }

    /** Whether query position {@code q} may attend to key position {@code k} (ignoring padding). */
    public boolean allows(int q, int k) {
        if (kind == Kind.NOISY_CLEAN) throw new IllegalStateException("the noisy/clean mask needs the row length: use allows(q, k, seqLen)");
        return allows(q, k, Integer.MAX_VALUE);
    }

    /** Whether query {@code q} may attend to key {@code k} in a row of {@code seqLen} positions (ignoring padding). */
    public boolean allows(int q, int k, int seqLen) {
        return k >= keyStart(q, seqLen) && k < keyLimit(q, seqLen) && !(k >= holeStart(q, seqLen) && k < holeEnd(q, seqLen));
    }

    /** The first key query {@code q} may see in a row of {@code seqLen}. */
    public int keyStart(int q, int seqLen) {
        if (kind != Kind.NOISY_CLEAN) return 0;
        int half = half(seqLen);
        return q < half ? q - q % width : half;
    }

    /** One past the last key query {@code q} may see in a row of {@code seqLen}. */
    public int keyLimit(int q, int seqLen) {
        return switch (kind) {
            case BIDIRECTIONAL -> seqLen;
            case CAUSAL -> q + 1;
            case BLOCK_CAUSAL -> (int) Math.min(seqLen, ((long) q / width + 1) * width);
            case LOOKAHEAD -> (int) Math.min(seqLen, (long) q + 1 + width);
            case NOISY_CLEAN -> {
                int half = half(seqLen);
                if (q >= half) yield (int) Math.min(seqLen, half + ((long) (q - half) / width + 1) * width);
                int start = q - q % width;
                // the first block has no clean blocks before it: its noisy block is all it sees
                yield start == 0 ? Math.min(width, half) : half + start;
            }
        };
    }

    /** Start of the keys hidden inside {@code [keyStart, keyLimit)} (equal to {@link #holeEnd} when none are). */
    public int holeStart(int q, int seqLen) {
        if (kind != Kind.NOISY_CLEAN) return 0;
        int half = half(seqLen);
        return q < half ? (int) Math.min(half, (long) q - q % width + width) : 0;
    }

    /** End of the hidden keys: a noisy query does not see the noisy blocks after its own, nor the one before it. */
    public int holeEnd(int q, int seqLen) {
        if (kind != Kind.NOISY_CLEAN) return 0;
        int half = half(seqLen);
        return q < half && q >= width ? half : holeStart(q, seqLen);
    }

    /** Whether some query has a hidden range (the kernel then masks it out of its span). */
    public boolean hasHoles() { return kind == Kind.NOISY_CLEAN; }

    /**
     * RoPE positions repeat with this period: row position {@code t} is rotated as position {@code t % period}. The
     * two copies of the noisy/clean layout share the positions {@code 0..L-1}; every other pattern has one copy.
     */
    public int positionPeriod(int seqLen) { return kind == Kind.NOISY_CLEAN ? half(seqLen) : seqLen; }

    private int half(int seqLen) {
        if (seqLen % 2 != 0 || seqLen == Integer.MAX_VALUE)
            throw new IllegalArgumentException("the noisy/clean layout needs an even row length (two copies), got " + seqLen);
        return seqLen / 2;
    }
}
