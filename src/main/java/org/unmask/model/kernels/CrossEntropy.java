package org.unmask.model.kernels;

/**
 * Weighted softmax cross-entropy over logit rows, {@code Σ_i weights[i]·(logsumexp(z_i) − z_i[target_i])} in
 * natural log, with the gradient written over the logits in place.
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
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < width; i++) max = Math.max(max, logits[o + i]);
                double sum = 0;
                for (int i = 0; i < width; i++) sum += Math.exp(logits[o + i] - max);
                double lse = max + Math.log(sum);
                float w = weights == null ? 1f : weights[r];
                perRow[r] = w * (lse - logits[o + targets[r]]);
                if (gradient) {
                    for (int i = 0; i < width; i++) logits[o + i] = (float) (w * Math.exp(logits[o + i] - lse));
                    logits[o + targets[r]] -= w;
                }
            }
        });
        double loss = 0;
        for (double l : perRow) loss += l;   // summed in row order: deterministic
        return loss;
    }
}
