package org.unmask.model.kernels;

import org.unmask.compute.Parallel;

/**
 * Root-mean-square normalisation as in LLaDA: {@code y = (x · rsqrt(mean(x²) + eps)) · w}, no bias, no mean
 * subtraction. Forward and backward side by side; rows are independent, so both run in parallel over rows (the
 * weight gradient over columns, so that every element is summed in one fixed order).
 */
public final class RmsNorm {
    private RmsNorm() {}

    /** {@code out[r] = x[r]·rstd[r]·w} for {@code rows} rows of width {@code d}; {@code rstd} (nullable) keeps 1/rms per row. */
    public static void forward(float[] out, float[] rstd, float[] x, float[] w, int wOff, int rows, int d, float eps) {
        Parallel.forRange(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * d;
                double ss = 0;   // double: a long row summed in order stays as accurate as torch's pairwise float sum
                for (int i = 0; i < d; i++) ss += x[o + i] * x[o + i];
                float s = (float) (1.0 / Math.sqrt((float) (ss / d) + eps));
                if (rstd != null) rstd[r] = s;
                // HF rounds x·rstd to the activation dtype before the weight multiplies it; in float32 that is a no-op
                for (int i = 0; i < d; i++) out[o + i] = (x[o + i] * s) * w[wOff + i];
            }
        });
    }

    /**
     * Accumulates {@code dx += ∂L/∂x} and {@code dw[dwOff..] += ∂L/∂w} given {@code dout = ∂L/∂y}, the inputs
     * {@code x} and the saved {@code rstd}.
     */
    public static void backward(float[] dx, float[] dw, int dwOff, float[] dout, float[] x, float[] rstd,
                                float[] w, int wOff, int rows, int d) {
        Parallel.forRange(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * d;
                float s = rstd[r];
                float dot = 0;
                for (int i = 0; i < d; i++) dot += dout[o + i] * w[wOff + i] * x[o + i];
                // d/dx of x·s where s = (mean(x²)+eps)^-1/2 contributes -x·s³·(g·x)/d
                float c = dot * s * s * s / d;
                for (int i = 0; i < d; i++) dx[o + i] += dout[o + i] * w[wOff + i] * s - x[o + i] * c;
            }
        });
        if (dw == null) return;
        Parallel.forRange(d, 8, (c0, c1) -> {
            for (int r = 0; r < rows; r++) {
                int o = r * d;
                float s = rstd[r];
                for (int i = c0; i < c1; i++) dw[dwOff + i] += dout[o + i] * x[o + i] * s;
            }
        });
    }
}
