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
    private final int runBatch, promptEnd, maskId;

    /** Guidance with weight {@code w} > 0 for a run of {@code runBatch} rows whose prompts end at {@code promptEnd}. */
    GuidedStepModel(StepModel inner, double w, int runBatch, int promptEnd, int maskId) {
        this.inner = inner;
        this.w = w;
        this.runBatch = runBatch;
        this.promptEnd = promptEnd;
        this.maskId = maskId;
    }

    @Override
    public float[] logits(Canvas canvas, int[] batchRows, int[] rows, int[][] changed, Block block) {
        int nb = canvas.batch(), seqLen = canvas.seqLen();
        Canvas both = new Canvas(Guidance.withUnconditional(canvas.ids(), nb, seqLen, promptEnd, maskId), 2 * nb, seqLen,
                Guidance.twice(canvas.attend()), canvas.pattern());
        int[] batchRows2 = new int[2 * nb];
        int[][] changed2 = new int[2 * nb][];
        for (int j = 0; j < nb; j++) {
            batchRows2[j] = batchRows[j];
            batchRows2[nb + j] = runBatch + batchRows[j];
            changed2[j] = changed[j];
            changed2[nb + j] = unconditional(changed[j]);
        }
        float[] out = inner.logits(both, batchRows2, Guidance.twice(rows, nb * seqLen), changed2, block);
        return Guidance.combine(out, w);
    }

    /** The prompt region of an unconditional row is always masks, so only changes after it show there. */
    private int[] unconditional(int[] changed) {
        if (changed == null) return null;
        int from = 0;
        while (from < changed.length && changed[from] < promptEnd) from++;
        return Arrays.copyOfRange(changed, from, changed.length);
    }
}
