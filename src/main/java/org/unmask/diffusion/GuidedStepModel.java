package org.unmask.diffusion;

import java.util.Arrays;

/**
 * Classifier-free guidance over any step model: each call becomes one call of the inner model over twice the rows,
 * the conditional canvases and their unconditional copies (prompt region masked), combined as in {@link Guidance}.
 * The copy of run row b is presented to the inner model as run row {@code runBatch + b}, with its own changes, so a
 * cached inner model can keep both halves apart.
 */
final class GuidedStepModel implements StepModel {
    private final StepModel inner;
    private final double w;
    private final int runBatch, maskId;
    private final int[] promptEnd;

    /** Guidance with weight {@code w} > 0 for a run whose row b's prompt ends at {@code promptEnd[b]}. */
    GuidedStepModel(StepModel inner, double w, int[] promptEnd, int maskId) {
        this.inner = inner;
        this.w = w;
        this.runBatch = promptEnd.length;
        this.promptEnd = promptEnd.clone();
        this.maskId = maskId;
    }

    @Override
    public float[] logits(Canvas canvas, int[] batchRows, int[] rows, int[][] changed, Block block) {
        int nb = canvas.batch(), seqLen = canvas.seqLen();
        int[] ends = new int[nb];
        for (int j = 0; j < nb; j++) ends[j] = promptEnd[batchRows[j]];
        Canvas both = new Canvas(Guidance.withUnconditional(canvas.ids(), nb, seqLen, ends, maskId), 2 * nb, seqLen,
                Guidance.twice(canvas.attend()), canvas.pattern());
        int[] batchRows2 = new int[2 * nb];
        int[][] changed2 = new int[2 * nb][];
        for (int j = 0; j < nb; j++) {
            batchRows2[j] = batchRows[j];
            batchRows2[nb + j] = runBatch + batchRows[j];
            changed2[j] = changed[j];
            changed2[nb + j] = unconditional(changed[j], ends[j]);
        }
        float[] out = inner.logits(both, batchRows2, Guidance.twice(rows, nb * seqLen), changed2, block);
        return Guidance.combine(out, w);
    }

    @Override public long cacheBytes() { return inner.cacheBytes(); }

    /** The prompt region of an unconditional row is always masks, so only changes after it show there. */
    private static int[] unconditional(int[] changed, int promptEnd) {
        if (changed == null) return null;
        int from = 0;
        while (from < changed.length && changed[from] < promptEnd) from++;
        return Arrays.copyOfRange(changed, from, changed.length);
    }
}
