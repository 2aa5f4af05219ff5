package org.unmask.diffusion;

import java.util.List;

/**
 * What one denoising step (one forward pass) did, for the views and the trace. Positions are indices into each
 * row's own canvas (prompt then generated tokens, without left padding).
 *
 * @param step  0-based index of the step in the whole run
 * @param block the semi-autoregressive block the step belongs to
 * @param rows  one entry per batch row the step touched
 */
public record StepEvent(int step, int block, List<RowStep> rows) {

    /**
     * One row's changes in a step.
     *
     * @param row         index of the prompt in the batch
     * @param positions   positions committed this step
     * @param tokens      the tokens committed there
     * @param confidences the confidence each was ranked by (NaN for Dream's origin, which ranks nothing)
     * @param remasked    revealed positions turned back into masks (ReMDM)
     * @param filled      masks filled with EOS by early stopping
     * @param canvas      the row's canvas after the step
     */
    public record RowStep(int row, int[] positions, int[] tokens, double[] confidences, int[] remasked, int[] filled,
                          int[] canvas) {}
}
