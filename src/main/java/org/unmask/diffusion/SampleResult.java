package org.unmask.diffusion;

/**
 * The outcome of a generation run.
 *
 * @param sequences     each row's canvas: its prompt ids followed by the generated ids (no padding)
 * @param promptLengths each row's prompt length
 * @param forwardPasses calls to {@code Denoiser.logits} (a guided pass with both rows counts once)
 * @param steps         denoising steps taken
 * @param cacheBytes    memory of the run's KV cache at its end (0 without one)
 */
public record SampleResult(int[][] sequences, int[] promptLengths, int forwardPasses, int steps, long cacheBytes) {

    /** The generated part of row {@code row}. */
    public int[] generated(int row) {
        return java.util.Arrays.copyOfRange(sequences[row], promptLengths[row], sequences[row].length);
    }
}
