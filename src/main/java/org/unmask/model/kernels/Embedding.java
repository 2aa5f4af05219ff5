package org.unmask.model.kernels;

import org.unmask.compute.Parallel;
import org.unmask.model.tensor.Weights;

/** Token embedding lookup {@code out[r] = wte[ids[r]]} and its gradient (a scatter-add into the table). */
public final class Embedding {
    private Embedding() {}

    /** Copies the rows of {@code wte} (any storage format) for {@code ids} into {@code out}. */
    public static void forward(float[] out, int[] ids, Weights wte, int d) {
        Parallel.forRange(ids.length, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) wte.toFloat((long) ids[r] * d, out, r * d, d);
        });
    }

    /**
     * {@code dwte[dwOff + ids[r]·d ..] += dout[r]}. Repeated ids add up, so the work is split by columns and each
     * column sums its rows in order: the result is the same for any thread count.
     */
    public static void backward(float[] dwte, int dwOff, float[] dout, int[] ids, int d) {
        Parallel.forRange(d, 8, (c0, c1) -> {
            for (int r = 0; r < ids.length; r++) {
                int dst = dwOff + ids[r] * d, src = r * d;
                for (int c = c0; c < c1; c++) dwte[dst + c] += dout[src + c];
            }
        });
    }
}
