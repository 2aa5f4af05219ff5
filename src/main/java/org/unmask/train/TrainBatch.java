package org.unmask.train;

import org.unmask.model.kernels.AttentionPattern;

/**
 * One corrupted batch ready for {@code Transformer.forwardBackward}: model input {@code ids}, the flat positions
 * {@code rows} that carry a loss, their {@code targets} and {@code weights}, so loss = Σ weights[i]·CE(rows[i]).
 */
public record TrainBatch(int[] ids, int batch, int seqLen, AttentionPattern pattern, int[] rows, int[] targets, float[] weights) {
    /** Checks that the loss arrays line up. */
    public TrainBatch {
        if (ids.length != batch * seqLen) throw new IllegalArgumentException("ids do not match " + batch + "x" + seqLen);
        if (rows.length != targets.length || rows.length != weights.length)
            throw new IllegalArgumentException("rows, targets and weights differ in length");
    }

    /** Token slots fed to the model. */
    public int tokens() { return batch * seqLen; }

    /** The same batch with the loss read from other rows (a logit shift). */
    public TrainBatch withRows(int[] newRows) {
        return new TrainBatch(ids, batch, seqLen, pattern, newRows, targets, weights);
    }

    /** The same batch under another attention pattern. */
    public TrainBatch withPattern(AttentionPattern newPattern) {
        return new TrainBatch(ids, batch, seqLen, newPattern, rows, targets, weights);
    }

    /** The same batch with every loss row weighted 1/rows: the plain mean cross-entropy of the masked tokens. */
    public TrainBatch meanWeighted() {
        float[] w = new float[weights.length];
        java.util.Arrays.fill(w, 1f / Math.max(1, w.length));
        return new TrainBatch(ids, batch, seqLen, pattern, rows, targets, w);
    }

    /** The same batch with every weight multiplied by {@code factor} (gradient accumulation averages micro-batches). */
    public TrainBatch scaled(double factor) {
        float[] w = new float[weights.length];
        for (int i = 0; i < w.length; i++) w[i] = (float) (weights[i] * factor);
        return new TrainBatch(ids, batch, seqLen, pattern, rows, targets, w);
    }
}
