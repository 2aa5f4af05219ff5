package org.unmask.train;

import org.unmask.model.kernels.AttentionPattern;

/**
 * The autoregressive baseline: the same transformer under a causal mask, logits at position t predict token t+1,
 * loss averaged over the B·(L−1) predictions (the exact next-token NLL).
 */
public final class AutoregressiveObjective implements Objective {
    @Override public String name() { return "ar"; }

    @Override public TrainBatch corrupt(CleanBatch clean, Rng rng) {
        if (clean.promptLengths() != null) throw new IllegalArgumentException("the AR objective takes pretraining batches");
        int b = clean.batch(), len = clean.seqLen();
        if (len < 2) throw new IllegalArgumentException("next-token prediction needs sequences of at least 2 tokens");
        int[] ids = clean.ids();
        int n = b * (len - 1);
        int[] rows = new int[n];
        int[] targets = new int[n];
        float[] weights = new float[n];
        float w = (float) (1.0 / n);
        int i = 0;
        for (int r = 0; r < b; r++) {
            for (int t = 0; t + 1 < len; t++) {
                rows[i] = r * len + t;
                targets[i] = ids[r * len + t + 1];
                weights[i] = w;
                i++;
            }
        }
        return new TrainBatch(ids.clone(), b, len, AttentionPattern.CAUSAL, rows, targets, weights);
    }
}
