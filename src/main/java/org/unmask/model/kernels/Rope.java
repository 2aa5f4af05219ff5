package org.unmask.model.kernels;

import org.unmask.compute.Parallel;

/**
 * Rotary position embedding in the rotate-half layout of LLaDA, Llama and Qwen2 over the first {@code r} dimensions
 * of each head ({@code r} = the head size unless partial): dimension {@code m < r/2} pairs with {@code m + r/2},
 * {@code x' = x·cos(θ) + rot(x)·sin(θ)} with {@code rot(x) = concat(-x[r/2:r], x[:r/2])} and
 * {@code θ[p, j] = p · theta^(-2j/r)}, all in float32 like {@code rope_full_precision}; dimensions from {@code r}
 * on pass through.
 */
public final class Rope {
    private final int headDim, half, length;
    private final float[] cos, sin;   // [length][half]

    /** Tables for positions {@code 0..length-1}, rotating the whole head. */
    public Rope(int headDim, double theta, int length) {
        this(headDim, headDim, theta, length);
    }

    /** Tables for positions {@code 0..length-1}, rotating the first {@code rotaryDim} dimensions of each head. */
    public Rope(int headDim, int rotaryDim, double theta, int length) {
        if (rotaryDim <= 0 || rotaryDim > headDim || rotaryDim % 2 != 0)
            throw new IllegalArgumentException("rotary dimensions " + rotaryDim + " must be even and within the head size " + headDim);
        this.headDim = headDim;
        this.half = rotaryDim / 2;
        this.length = length;
        this.cos = new float[length * half];
        this.sin = new float[length * half];
        for (int j = 0; j < half; j++) {
            float invFreq = (float) (1.0 / Math.pow(theta, (2.0 * j) / rotaryDim));
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
    public void forward(float[] x, int rows, int seqLen, int heads) { rotate(x, rows, seqLen, null, heads, 1f); }

    /**
     * Rotates a window of positions: {@code rows} rows, row {@code r} at position {@code positions[r % W]} with W the
     * window's length (a cached forward runs only some positions of each sequence).
     */
    public void forward(float[] x, int rows, int[] positions, int heads) {
        for (int p : positions)
            if (p < 0 || p >= length) throw new IllegalArgumentException("position " + p + " exceeds the RoPE table (" + length + ")");
        rotate(x, rows, positions.length, positions, heads, 1f);
    }

    /** The backward pass: rotating a gradient by the opposite angle (the rotation is orthogonal). */
    public void backward(float[] dx, int rows, int seqLen, int heads) { rotate(dx, rows, seqLen, null, heads, -1f); }

    /** Row r at position {@code positions[r % seqLen]}, or {@code r % seqLen} when {@code positions} is null. */
    private void rotate(float[] x, int rows, int seqLen, int[] positions, int heads, float sign) {
        if (positions == null && seqLen > length)
            throw new IllegalArgumentException("positions 0.." + (seqLen - 1) + " exceed the RoPE table (" + length + ")");
        int width = heads * headDim;
        Parallel.forRange(rows, 32, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int t = (positions == null ? r % seqLen : positions[r % seqLen]) * half;
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
