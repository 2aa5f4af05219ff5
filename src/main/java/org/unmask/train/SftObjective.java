package org.unmask.train;

import org.unmask.diffusion.ForwardProcess;
import org.unmask.model.LogitShift;


/**
 * LLaDA supervised fine-tuning: the prompt is never masked; answer tokens (including the EOS padding, so the model
 * learns where to stop) are masked with probability p, and each row's loss Σ CE/p is divided by its answer length,
 * then by the batch size. A model with a logit shift ({@code shift_logits}, Dream) scores each masked token from the
 * previous position's output, as its sampler reads it.
 */
public final class SftObjective implements Objective {
    private final ForwardProcess noise;
    private final double eps;
    private final boolean stratified;
    private final boolean shift;

    /** Masks with {@code maskId}, p = (1 − eps)·t + eps; {@code shift} scores token i from row i−1. */
    public SftObjective(int maskId, double eps, boolean stratified, boolean shift) {
        if (!(eps > 0 && eps < 1)) throw new IllegalArgumentException("eps must be in (0, 1), got " + eps);
        this.noise = new ForwardProcess(maskId);
        this.eps = eps;
        this.stratified = stratified;
        this.shift = shift;
    }

    /** The LLaDA defaults, for a model with or without a logit shift. */
    public SftObjective(int maskId, boolean shift) { this(maskId, DiffusionObjective.DEFAULT_EPS, false, shift); }

    @Override public String name() { return "sft"; }

    @Override public TrainBatch corrupt(CleanBatch clean, Rng rng) {
        int[] prompt = clean.promptLengths();
        if (prompt == null) throw new IllegalArgumentException("SFT batches need prompt lengths");
        int b = clean.batch(), len = clean.seqLen();
        int[] ids = clean.ids();
        TrainBatch masked = MaskedBatch.of(noise, ids, b, len, prompt, MaskingTimes.draw(b, eps, stratified, rng), rng);
        return shift ? masked.withRows(LogitShift.previous(masked.rows(), b, len)) : masked;
    }
}
