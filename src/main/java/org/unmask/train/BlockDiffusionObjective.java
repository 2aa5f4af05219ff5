package org.unmask.train;

import org.unmask.diffusion.ForwardProcess;
import org.unmask.model.LogitShift;
import org.unmask.model.kernels.AttentionPattern;

import java.util.Arrays;

/**
 * Block diffusion (BD3-LM): each sequence of L tokens is cut into blocks of {@code blockSize} aligned at position 0,
 * every block b of every row gets its own masking rate p_b (drawn over batch × blocks), and the model sees the noisy
 * sequence followed by the clean one (2L positions, both at positions 0..L−1) under
 * {@link AttentionPattern#noisyClean}, so one forward pass scores every block given the clean blocks before it. The
 * loss is Σ_b Σ_masked CE/p_b per noisable token, averaged over the rows, exactly as {@link MaskedBatch} normalises
 * LLaDA's loss; it is the NELBO of log p(x) = Σ_b log p(x_b | x_&lt;b). Prompts (SFT) are never masked. Block size 1
 * is next-token prediction in expectation; a block as long as the sequence is plain masked diffusion.
 *
 * <p>With a logit shift (a model adapted from an autoregressive one, as SDAR and Fast-dLLM v2 do) masked position i is
 * scored by the output of the position before it as block-by-block generation sees it ({@link LogitShift#previous(int[],
 * int, int, AttentionPattern)}): the previous noisy position inside the block, the clean copy's at a block start.
 */
public final class BlockDiffusionObjective implements Objective {
    private final ForwardProcess noise;
    private final int blockSize;
    private final double low, high;
    private final boolean stratified, shift;

    /**
     * Blocks of {@code blockSize}; masking rates uniform in [{@code low}, {@code high}] (LLaDA's [eps, 1], or BD3-LM's
     * clipped schedule); {@code stratified} spreads them over batch × blocks; {@code shift} scores from the previous
     * position ({@code shift_logits}).
     */
    public BlockDiffusionObjective(int maskId, int blockSize, double low, double high, boolean stratified, boolean shift) {
        if (blockSize < 1) throw new IllegalArgumentException("--block-size must be at least 1, got " + blockSize);
        if (!(low > 0 && low <= high && high <= 1))
            throw new IllegalArgumentException("--mask-rate-range must satisfy 0 < low <= high <= 1, got " + low + "," + high);
        this.noise = new ForwardProcess(maskId);
        this.blockSize = blockSize;
        this.low = low;
        this.high = high;
        this.stratified = stratified;
        this.shift = shift;
    }

    /** Blocks of {@code blockSize} with LLaDA's rates [eps, 1]. */
    public BlockDiffusionObjective(int maskId, int blockSize, boolean shift) {
        this(maskId, blockSize, DiffusionObjective.DEFAULT_EPS, 1, false, shift);
    }

    @Override public double[] maskRates() { return new double[]{low, high}; }

    @Override public Boolean stratified() { return stratified; }

    @Override public String name() { return "block"; }

    /** The block size. */
    public int blockSize() { return blockSize; }

    @Override public TrainBatch corrupt(CleanBatch clean, Rng rng) {
        int b = clean.batch(), len = clean.seqLen(), blocks = Math.ceilDiv(len, blockSize), wide = 2 * len;
        int[] ids = clean.ids(), prompt = clean.promptLengths();
        int[] noisy = ids.clone();
        double[] p = MaskingTimes.draw(b * blocks, low, high, stratified, rng);
        int[] rows = new int[b * len], targets = new int[b * len];
        float[] weights = new float[b * len];
        int n = 0;
        for (int r = 0; r < b; r++) {
            int start = prompt == null ? 0 : prompt[r];
            double perRow = (double) b * (len - start);
            for (int k = 0; k < blocks; k++) {
                int from = Math.max(k * blockSize, start), to = Math.min((k + 1) * blockSize, len);
                if (from >= to) continue;
                double rate = p[r * blocks + k];
                float w = (float) (1.0 / (rate * perRow));
                for (int at : noise.maskEach(noisy, r * len + from, r * len + to, rate, rng)) {
                    rows[n] = r * wide + at - r * len;   // the noisy copy's position in the 2L row
                    targets[n] = ids[at];
                    weights[n] = w;
                    n++;
                }
            }
        }
        int[] both = new int[b * wide];
        for (int r = 0; r < b; r++) {
            System.arraycopy(noisy, r * len, both, r * wide, len);
            System.arraycopy(ids, r * len, both, r * wide + len, len);
        }
        AttentionPattern pattern = AttentionPattern.noisyClean(blockSize);
        int[] scored = Arrays.copyOf(rows, n);
        return new TrainBatch(both, b, wide, pattern, shift ? LogitShift.previous(scored, b, wide, pattern) : scored,
                Arrays.copyOf(targets, n), Arrays.copyOf(weights, n));
    }
}
