package org.unmask.model.kernels;

import org.unmask.compute.Parallel;

/**
 * Rotary position embedding in LLaDA's rotate-half layout: dimension {@code m} pairs with {@code m + hd/2},
 * {@code x' = x·cos(θ) + rot(x)·sin(θ)} with {@code rot(x) = concat(-x[hd/2:], x[:hd/2])} and
 * {@code θ[p, j] = p · theta^(-2j/hd)}, all in float32 like {@code rope_full_precision}.
 */
public final class Rope {
    private final int headDim, half, length;
    private final float[] cos, sin;   // [length][half]

    /** Tables for positions {@code 0..length-1}. */
    public Rope(int headDim, double theta, int length) {
        this.headDim = headDim;
        this.half = headDim / 2;
        this.length = length;
        this.cos = new float[length * half];
        this.sin = new float[length * half];
        for (int j = 0; j < half; j++) {
            float invFreq = (float) (1.0 / Math.pow(theta, (2.0 * j) / headDim));
            for (int p = 0; p < length; p++) {
                float angle = (float) p * invFreq;   // the product is taken in float32, as torch does
                cos[p * half + j] = (float) Math.cos(angle);
                sin[p * half + j] = (float) Math.sin(angle);
            }
        }
    }

    /** Number of positions the tables cover. */
    public int length() { return length; }

    /** Width of one head. */
    public int headDim() { return headDim; }

    /**
     * Rotates {@code x} in place: {@code rows} rows of {@code heads·headDim} floats, row {@code r} at position
     * {@code r % seqLen}.
     */
    public void forward(float[] x, int rows, int seqLen, int heads) { rotate(x, rows, seqLen, heads, 1f); }

    /** The backward pass: rotating a gradient by the opposite angle (the rotation is orthogonal). */
    public void backward(float[] dx, int rows, int seqLen, int heads) { rotate(dx, rows, seqLen, heads, -1f); }

    private void rotate(float[] x, int rows, int seqLen, int heads, float sign) {
        if (seqLen > length) throw new IllegalArgumentException("sequence length " + seqLen + " exceeds the RoPE table (" + length + ")");
        int width = heads * headDim;
        Parallel.forRange(rows, 32, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int t = (r % seqLen) * half;
                for (int h = 0; h < heads; h++) {
                    int o = r * width + h * headDim;
                    for (int m = 0; m < half; m++) {
                        float c = cos[t + m], s = sign * sin[t + m];
                        float x0 = x[o + m], x1 = x[o + m + half];
                        x[o + m] = x0 * c + (-x1) * s;
                        x[o + m + half] = x1 * c + x0 * s;
                    }
                }
            }
        });
    }
}
