package org.unmask.model.kernels;

import org.unmask.compute.Simd;
import org.unmask.compute.Parallel;

/**
 * Weighted softmax cross-entropy over logit rows, {@code Σ_i weights[i]·(logsumexp(z_i) − z_i[target_i])} in
 * natural log, with the gradient written over the logits in place. One thread per row, SIMD along the row.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /**
     * Returns the weighted loss of {@code rows} rows of {@code width} logits. When {@code gradient} is true the
     * logits are replaced by {@code ∂loss/∂z = weights[i]·(softmax(z_i) − onehot(target_i))}.
     */
    public static double forward(float[] logits, int[] targets, float[] weights, int rows, int width, boolean gradient) {
        double[] lse = new double[rows];
        // Two passes, each with one loop over exp: the JIT inlines the helpers into a task's body, and a second exp
        // in the same body went past its inlining budget and ran with boxed vectors (see Simd#expSum).
        Parallel.forRange(rows, 4, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * width;
                float max = Simd.max(logits, o, width);
                lse[r] = max + Math.log(Simd.expSum(logits, o, width, max));
            }
        });
        double loss = 0;
        for (int r = 0; r < rows; r++)   // summed in row order: deterministic
            loss += (weights == null ? 1f : weights[r]) * (lse[r] - logits[r * width + targets[r]]);
        if (gradient) {
            Parallel.forRange(rows, 4, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    float w = weights == null ? 1f : weights[r];
                    Simd.scaledExpInPlace(logits, r * width, width, lse[r], w);
                    logits[r * width + targets[r]] -= w;
                }
            });
        }
        return loss;
    }
}
