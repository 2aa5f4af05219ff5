package org.unmask.train;

import org.unmask.diffusion.ForwardProcess;


/**
 * LLaDA supervised fine-tuning: the prompt is never masked; answer tokens (including the EOS padding, so the model
 * learns where to stop) are masked with probability p, and each row's loss Σ CE/p is divided by its answer length,
 * then by the batch size.
 */
public final class SftObjective implements Objective {
    private final ForwardProcess noise;
    private final double eps;
    private final boolean stratified;

    /** Masks with {@code maskId}, p = (1 − eps)·t + eps. */
    public SftObjective(int maskId, double eps, boolean stratified) {
        if (!(eps > 0 && eps < 1)) throw new IllegalArgumentException("eps must be in (0, 1), got " + eps);
        this.noise = new ForwardProcess(maskId);
        this.eps = eps;
        this.stratified = stratified;
    }

    /** The LLaDA defaults. */
    public SftObjective(int maskId) { this(maskId, DiffusionObjective.DEFAULT_EPS, false); }

    @Override public String name() { return "sft"; }

    @Override public TrainBatch corrupt(CleanBatch clean, Rng rng) {
        int[] prompt = clean.promptLengths();
        if (prompt == null) throw new IllegalArgumentException("SFT batches need prompt lengths");
        int b = clean.batch(), len = clean.seqLen();
        int[] ids = clean.ids();
        return MaskedBatch.of(noise, ids, b, len, prompt, MaskingTimes.draw(b, eps, stratified, rng), rng);
    }
}
