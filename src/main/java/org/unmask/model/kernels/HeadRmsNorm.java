package org.unmask.model.kernels;

import org.unmask.compute.Parallel;

/**
 * RMS normalisation of every attention head on its own ({@code use_qk_norm} in LLaDA 2.x, {@code qk_layernorm} in
 * LLaDA-MoE): each {@code headDim} slice of a row becomes {@code x · rsqrt(mean(x²) + eps) · w}, with one weight
 * vector of length {@code headDim} shared by all heads. Applied to q and k before the rotary embedding.
 *
 * <p>The heads may sit inside a wider row (a fused QKV output), so rows are addressed by offset and stride and the
 * other columns are left alone. The arithmetic is that of {@link RmsNorm}, in place.
 */
public final class HeadRmsNorm {
    private HeadRmsNorm() {}

    /** Normalises {@code heads} contiguous heads of width {@code headDim} per row of a contiguous {@code [rows, heads·headDim]} array, in place. */
    public static void forward(float[] x, int rows, int heads, int headDim, float[] w, int wOff, float eps) {
        forward(x, 0, heads * headDim, rows, heads, headDim, w, wOff, eps);
    }

    /**
     * Normalises, in place, the heads of row {@code r} found at {@code x[off + r·rowStride + h·headDim ..]} for
     * {@code h < heads}, with weight {@code w[wOff .. wOff+headDim)}.
     */
    public static void forward(float[] x, int off, int rowStride, int rows, int heads, int headDim,
                               float[] w, int wOff, float eps) {
        if (rows < 0 || heads < 0 || headDim < 1)
            throw new IllegalArgumentException("head norm needs rows ≥ 0, heads ≥ 0, headDim ≥ 1: rows=" + rows
                    + ", heads=" + heads + ", headDim=" + headDim);
        if (rowStride < heads * headDim)
            throw new IllegalArgumentException("row stride " + rowStride + " is narrower than " + heads + " heads of "
                    + headDim);
        if (rows > 0 && (off < 0 || off + (long) (rows - 1) * rowStride + (long) heads * headDim > x.length))
            throw new IllegalArgumentException("head norm over " + rows + " rows of stride " + rowStride + " from "
                    + off + " needs more than the " + x.length + " floats given");
        if (wOff < 0 || wOff + headDim > w.length)
            throw new IllegalArgumentException("head norm weight needs " + headDim + " floats from " + wOff
                    + " but has " + w.length);
        Parallel.forRange(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                for (int h = 0; h < heads; h++) {
                    int o = off + r * rowStride + h * headDim;
                    double ss = 0;   // as RmsNorm: summed in double, then rounded once
                    for (int i = 0; i < headDim; i++) ss += x[o + i] * x[o + i];
                    float s = (float) (1.0 / Math.sqrt((float) (ss / headDim) + eps));
                    for (int i = 0; i < headDim; i++) x[o + i] = (x[o + i] * s) * w[wOff + i];
                }
            }
        });
    }
}
