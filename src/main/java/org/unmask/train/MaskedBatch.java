package org.unmask.train;

import org.unmask.diffusion.ForwardProcess;
import org.unmask.model.kernels.AttentionPattern;

import java.util.Arrays;

/**
 * The LLaDA loss batch shared by pretraining and SFT: row r is noised at its own rate p_r (never its prompt), and each
 * masked token's cross-entropy is weighted 1/(p_r · L_r · B), L_r the row's noisable length, so that the loss is the
 * batch mean of each row's Σ_masked CE / p_r per noisable token.
 */
final class MaskedBatch {
    private MaskedBatch() {}

    /** Corrupts {@code b} rows of {@code len} tokens; {@code prompt} (nullable) gives each row's prompt length. */
    static TrainBatch of(ForwardProcess noise, int[] ids, int b, int len, int[] prompt, double[] p, Rng rng) {
        int[] noisy = ids.clone();
        int[] rows = new int[b * len];
        int[] targets = new int[b * len];
        float[] weights = new float[b * len];
        int n = 0;
        for (int r = 0; r < b; r++) {
            int start = prompt == null ? 0 : prompt[r];
            float w = (float) (1.0 / (p[r] * ((double) b * (len - start))));
            for (int at : noise.maskEach(noisy, r * len + start, (r + 1) * len, p[r], rng)) {
                rows[n] = at; targets[n] = ids[at]; weights[n] = w;
                n++;
            }
        }
        return new TrainBatch(noisy, b, len, AttentionPattern.BIDIRECTIONAL,
                Arrays.copyOf(rows, n), Arrays.copyOf(targets, n), Arrays.copyOf(weights, n));
    }
}
