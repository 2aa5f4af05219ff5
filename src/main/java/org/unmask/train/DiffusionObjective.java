package org.unmask.train;

import org.unmask.diffusion.ForwardProcess;
import org.unmask.model.LogitShift;


/**
 * LLaDA pretraining: each sequence gets p = (1 − eps)·t + eps, every token is replaced by the mask id with
 * probability p, and the loss is Σ_masked CE/p over B·L token slots (an upper bound on the NLL in expectation).
 * A small fraction of batches is cut to a random length so the model also sees short contexts. With a logit shift
 * (a model adapted from an autoregressive one, Dream's convention) masked position i is scored by the output of row
 * i−1, and position 0 by its own, exactly as {@link LogitShift} presents the model to the sampler and the ELBO.
 */
public final class DiffusionObjective implements Objective {
    /** LLaDA's floor on the masking probability. */
    public static final double DEFAULT_EPS = 1e-3;
    /** LLaDA cuts 1% of batches to a random length. */
    public static final double DEFAULT_TRUNCATE = 0.01;

    private final ForwardProcess noise;
    private final double low, high;
    private final double truncateProbability;
    private final boolean stratified;
    private final boolean shift;
    private final LossWeighting weighting;

    /** {@code stratified} spreads t over the batch (MDLM); {@code truncateProbability} is per batch. */
    public DiffusionObjective(int maskId, double eps, double truncateProbability, boolean stratified) {
        this(maskId, eps, truncateProbability, stratified, false);
    }

    /** As above; {@code shift} scores each masked token from the previous row's output ({@code shift_logits}). */
    public DiffusionObjective(int maskId, double eps, double truncateProbability, boolean stratified, boolean shift) {
        this(maskId, eps, 1, truncateProbability, stratified, shift);
    }

    /**
     * Masking probabilities drawn from [low, high] instead of [eps, 1] (a clipped schedule, as BD3-LM's for blocks):
     * fewer nearly clean and nearly fully masked sequences, whose 1/p weights make the loss noisy.
     */
    public DiffusionObjective(int maskId, double low, double high, double truncateProbability, boolean stratified, boolean shift) {
        this(maskId, low, high, truncateProbability, stratified, shift, LossWeighting.ELBO);
    }

    /** As above, with the masked tokens' cross-entropies weighted by {@code weighting}. */
    public DiffusionObjective(int maskId, double low, double high, double truncateProbability, boolean stratified, boolean shift,
                              LossWeighting weighting) {
        if (!(low > 0 && low <= high && high <= 1))
            throw new IllegalArgumentException("masking rates must satisfy 0 < low <= high <= 1, got " + low + "," + high);
        if (!(truncateProbability >= 0 && truncateProbability <= 1))
            throw new IllegalArgumentException("truncate probability must be in [0, 1], got " + truncateProbability);
        this.noise = new ForwardProcess(maskId);
        this.low = low;
        this.high = high;
        this.truncateProbability = truncateProbability;
        this.stratified = stratified;
        this.shift = shift;
        this.weighting = java.util.Objects.requireNonNull(weighting, "weighting");
    }

    /** The LLaDA defaults: eps 1e-3, 1% truncated batches, independent t. */
    public DiffusionObjective(int maskId) { this(maskId, DEFAULT_EPS, DEFAULT_TRUNCATE, false); }

    @Override public double[] maskRates() { return new double[]{low, high}; }

    @Override public Boolean stratified() { return stratified; }

    @Override public LossWeighting lossWeighting() { return weighting; }

    @Override public String name() { return "diffusion"; }

    @Override public TrainBatch corrupt(CleanBatch clean, Rng rng) {
        if (clean.promptLengths() != null) throw new IllegalArgumentException("pretraining batches have no prompts; use SftObjective");
        int b = clean.batch(), len = clean.seqLen();
        int[] ids = clean.ids();
        if (truncateProbability > 0 && rng.nextDouble() < truncateProbability) {
            int cut = 1 + rng.nextInt(len);
            if (cut < len) {
                int[] shorter = new int[b * cut];
                for (int r = 0; r < b; r++) System.arraycopy(ids, r * len, shorter, r * cut, cut);
                ids = shorter;
                len = cut;
            }
        }
        TrainBatch masked = MaskedBatch.of(noise, ids, b, len, null, MaskingTimes.draw(b, low, high, stratified, rng), rng);
        if (weighting == LossWeighting.MEAN) masked = masked.meanWeighted();
        return shift ? masked.withRows(LogitShift.previous(masked.rows(), b, len)) : masked;
    }
}
