package org.unmask.train;

import org.unmask.diffusion.ForwardProcess;
import org.unmask.model.kernels.AttentionPattern;

import java.util.Arrays;

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
        double[] p = MaskingTimes.draw(b, eps, stratified, rng);
        int[] noisy = ids.clone();
        int[] rows = new int[b * len];
        int[] targets = new int[b * len];
        float[] weights = new float[b * len];
        int n = 0;
        for (int r = 0; r < b; r++) {
            int answerLen = len - prompt[r];
            float w = (float) (1.0 / (p[r] * answerLen * b));
            for (int at : noise.maskEach(noisy, r * len + prompt[r], (r + 1) * len, p[r], rng)) {
                rows[n] = at; targets[n] = ids[at]; weights[n] = w;
                n++;
            }
        }
        return new TrainBatch(noisy, b, len, AttentionPattern.BIDIRECTIONAL,
                Arrays.copyOf(rows, n), Arrays.copyOf(targets, n), Arrays.copyOf(weights, n));
    }
}
