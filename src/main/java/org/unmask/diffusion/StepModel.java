package org.unmask.diffusion;

/**
 * The model as the step loop of one generation run sees it. Each call says what changed since the model last saw
 * each row and which block is being decoded, so an implementation may keep per-run state, e.g. a KV cache of the
 * prefix before the block (Fast-dLLM prefix/dual cache) or of finished blocks (exact block cache); the plain
 * implementation, {@link DenoiserStepModel}, runs a full forward (up to the block end under a block-causal pattern)
 * and ignores what changed. One instance serves one run
 * ({@link StepModelFactory#newRun()}), so it may assume that rows keep their identity across calls.
 */
public interface StepModel {

    /**
     * Logits of the flat positions {@code rows} ({@code j*seqLen + t} in {@code canvas}), {@code rows.length × vocab}
     * floats in that order.
     *
     * @param canvas    the active rows' current canvases and the attention pattern to run them under
     * @param batchRows for each canvas row j, which row of the run it is (rows drop out once settled or idle, and
     *                  come back with the same number)
     * @param rows      the flat positions whose logits are needed (the step's candidates, then with LLaDA 2.1's token
     *                  editing the revealed positions it may replace)
     * @param changed   for each canvas row j, the positions {@code t} (ascending) where the row differs from the
     *                  canvas this model was last given for that run row: commits, token edits, re-masks and
     *                  early-stop fills; null when this model has not seen the row before in this run (everything
     *                  is new)
     * @param block     the block being decoded
     */
    float[] logits(Canvas canvas, int[] batchRows, int[] rows, int[][] changed, Block block);

    /** Memory this run's cache holds now, in bytes (0 for a model without one). */
    default long cacheBytes() { return 0; }
}
