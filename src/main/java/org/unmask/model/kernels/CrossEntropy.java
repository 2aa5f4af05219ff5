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
        double[] perRow = new double[rows];
        Parallel.forRange(rows, 4, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * width;
                float max = Simd.max(logits, o, width);
                double lse = max + Math.log(Simd.expSum(logits, o, width, max));
                float w = weights == null ? 1f : weights[r];
                perRow[r] = w * (lse - logits[o + targets[r]]);
                if (gradient) {
                    Simd.scaledExpInPlace(logits, o, width, lse, w);
                    logits[o + targets[r]] -= w;
                }
            }
        });
        double loss = 0;
        for (double l : perRow) loss += l;   // summed in row order: deterministic
        return loss;
    }
}
