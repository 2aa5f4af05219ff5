package org.unmask.model.kernels;

import org.unmask.compute.Parallel;

/**
 * LayerNorm with weight and bias as BERT uses it: {@code y = (x − mean(x)) · rsqrt(var(x) + eps) · w + b}, the
 * biased variance over each row. Forward and backward side by side; rows run in parallel, the weight and bias
 * gradients over columns, so that every element is summed in one fixed order.
 */
public final class LayerNorm {
    private LayerNorm() {}

    /**
     * Normalises {@code rows} rows of width {@code d}; {@code mean} and {@code rstd} (nullable) keep each row's mean
     * and 1/std for the backward pass. {@code w} and {@code b} start at {@code wOff} and {@code bOff}.
     */
    public static void forward(float[] out, float[] mean, float[] rstd, float[] x, float[] w, int wOff, float[] b, int bOff,
                               int rows, int d, float eps) {
        Parallel.forRange(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * d;
                double s = 0;   // double sums: as accurate as torch's float32 Welford over a row, in one fixed order
                for (int i = 0; i < d; i++) s += x[o + i];
                double mu = s / d, ss = 0;
                for (int i = 0; i < d; i++) {
                    double c = x[o + i] - mu;
                    ss += c * c;
                }
                float m = (float) mu, rs = (float) (1.0 / Math.sqrt(ss / d + eps));
                if (mean != null) mean[r] = m;
                if (rstd != null) rstd[r] = rs;
                for (int i = 0; i < d; i++) out[o + i] = (x[o + i] - m) * rs * w[wOff + i] + b[bOff + i];
            }
        });
    }

    /**
     * Accumulates {@code dx += ∂L/∂x}, {@code dw[dwOff..] += ∂L/∂w} and {@code db[dbOff..] += ∂L/∂b} (both nullable)
     * given {@code dout = ∂L/∂y}, the input {@code x} and the saved {@code mean} and {@code rstd}.
     */
    public static void backward(float[] dx, float[] dw, int dwOff, float[] db, int dbOff, float[] dout, float[] x,
                                float[] mean, float[] rstd, float[] w, int wOff, int rows, int d) {
        Parallel.forRange(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * d;
                float m = mean[r], rs = rstd[r];
                // with x̂ = (x − μ)·rstd and g = dout·w: dx = rstd · (g − mean(g) − x̂ · mean(g · x̂))
                double sg = 0, sgx = 0;
                for (int i = 0; i < d; i++) {
                    double g = dout[o + i] * w[wOff + i];
                    sg += g;
                    sgx += g * ((x[o + i] - m) * rs);
                }
                float mg = (float) (sg / d), mgx = (float) (sgx / d);
                for (int i = 0; i < d; i++) {
                    float xhat = (x[o + i] - m) * rs;
                    dx[o + i] += rs * (dout[o + i] * w[wOff + i] - mg - xhat * mgx);
                }
            }
        });
        if (dw == null && db == null) return;
        Parallel.forRange(d, 8, (c0, c1) -> {
            for (int r = 0; r < rows; r++) {
                int o = r * d;
                float m = mean[r], rs = rstd[r];
                for (int i = c0; i < c1; i++) {
                    if (dw != null) dw[dwOff + i] += dout[o + i] * ((x[o + i] - m) * rs);
                    if (db != null) db[dbOff + i] += dout[o + i];
                }
            }
        });
    }
}
