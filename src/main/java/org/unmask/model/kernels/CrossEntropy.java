package org.unmask.model.kernels;

import org.unmask.compute.Simd;
import org.unmask.compute.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weighted softmax cross-entropy over logit rows, {@code Σ_i weights[i]·(logsumexp(z_i) − z_i[target_i])} in
 * natural log, with the gradient written over the logits in place. One thread per row, SIMD along the row.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * Returns the weighted loss of {@code rows} rows of {@code width} logits. When {@code gradient} is true the
     * logits are replaced by {@code ∂loss/∂z = weights[i]·(softmax(z_i) − onehot(target_i))}.
     */
    public static double forward(float[] logits, int[] targets, float[] weights, int rows, int width, boolean gradient) {
        double[] perRow = new double[rows];
        int bound = S.loopBound(width), lanes = S.length();
        Parallel.forRange(rows, 4, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * width, i = 0;
                FloatVector maxV = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                for (; i < bound; i += lanes) maxV = maxV.max(FloatVector.fromArray(S, logits, o + i));
                float max = maxV.reduceLanes(VectorOperators.MAX);
                for (; i < width; i++) max = Math.max(max, logits[o + i]);
                FloatVector sumV = FloatVector.zero(S);
                for (i = 0; i < bound; i += lanes) {
                    sumV = sumV.add(Simd.exp(FloatVector.fromArray(S, logits, o + i).sub(max)));
                }
                double sum = Simd.sum(sumV);
                for (; i < width; i++) sum += Math.exp(logits[o + i] - max);
                double lse = max + Math.log(sum);
                float w = weights == null ? 1f : weights[r];
                perRow[r] = w * (lse - logits[o + targets[r]]);
                if (gradient) {
                    float lseF = (float) lse;
                    for (i = 0; i < bound; i += lanes) {
                        Simd.exp(FloatVector.fromArray(S, logits, o + i).sub(lseF)).mul(w).intoArray(logits, o + i);
                    }
                    for (; i < width; i++) logits[o + i] = (float) (w * Math.exp(logits[o + i] - lse));
                    logits[o + targets[r]] -= w;
                }
            }
        });
        double loss = 0;
        for (double l : perRow) loss += l;   // summed in row order: deterministic
        return loss;
    }
}
