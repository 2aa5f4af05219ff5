package org.unmask.model.kernels;

import org.unmask.compute.Parallel;

/**
 * Rotary position embedding over only the first {@code rotaryDim} dimensions of each head (LLaDA 2.x rotates 64
 * of 128; {@code rotaryDim == headDim} is ordinary RoPE). Within that slice the layout is rotate-half: dimension
 * {@code m} pairs with {@code m + rotaryDim/2},
 * {@code x'[m] = x[m]·cos θ − x[m+r/2]·sin θ}, {@code x'[m+r/2] = x[m+r/2]·cos θ + x[m]·sin θ},
 * {@code θ = p · theta^(−2m/rotaryDim)}; dimensions {@code rotaryDim..headDim-1} pass through unchanged. The tables
 * are float32 like the reference implementations (angle = float position × float inverse frequency).
 */
public final class PartialRope {
    private final int headDim, rotaryDim, half, length;
    private final float[] cos, sin;   // [length][half]

    /** Tables for positions {@code 0..length-1}. */
    public PartialRope(int headDim, int rotaryDim, double theta, int length) {
        if (rotaryDim < 2 || rotaryDim % 2 != 0 || rotaryDim > headDim)
            throw new IllegalArgumentException("rotary_dim must be even and within 2.." + headDim + " (head_dim), got "
                    + rotaryDim);
        if (!(theta > 0)) throw new IllegalArgumentException("rope_theta must be positive, got " + theta);
        if (length < 0) throw new IllegalArgumentException("RoPE table length must not be negative, got " + length);
        this.headDim = headDim;
        this.rotaryDim = rotaryDim;
        this.half = rotaryDim / 2;
        this.length = length;
        this.cos = new float[length * half];
        this.sin = new float[length * half];
        for (int j = 0; j < half; j++) {
            // the exponent's denominator is rotary_dim, not head_dim: the rotated slice is a RoPE of its own width
            float invFreq = (float) (1.0 / Math.pow(theta, (2.0 * j) / rotaryDim));
            for (int p = 0; p < length; p++) {
                float angle = (float) p * invFreq;
                cos[p * half + j] = (float) Math.cos(angle);
                sin[p * half + j] = (float) Math.sin(angle);
            }
        }
    }

    /** Number of positions the tables cover. */
    public int length() { return length; }

    /** Width of one head. */
    public int headDim() { return headDim; }

    /** Width of the rotated leading slice of each head. */
    public int rotaryDim() { return rotaryDim; }

    /** Rotates a contiguous {@code [rows, heads·headDim]} array in place, row {@code r} at position {@code r % seqLen}. */
    public void forward(float[] x, int rows, int seqLen, int heads) {
        forward(x, 0, heads * headDim, rows, seqLen, heads);
    }

    /**
     * Rotates, in place, the heads of row {@code r} at {@code x[off + r·rowStride + h·headDim ..]} for
     * {@code h < heads}, row {@code r} at position {@code r % seqLen}. With the fused [Q | K | V] layout one call
     * with {@code heads = H + KVH} rotates both q and k.
     */
    public void forward(float[] x, int off, int rowStride, int rows, int seqLen, int heads) {
        if (seqLen < 1 || seqLen > length)
            throw new IllegalArgumentException("sequence length " + seqLen + " is outside the RoPE table (1.." + length + ")");
        if (rows < 0 || heads < 0 || rowStride < heads * headDim)
            throw new IllegalArgumentException("RoPE over " + rows + " rows of " + heads + " heads of " + headDim
                    + " needs a row stride of at least " + heads * headDim + ", got " + rowStride);
        if (rows > 0 && (off < 0 || off + (long) (rows - 1) * rowStride + (long) heads * headDim > x.length))
            throw new IllegalArgumentException("RoPE over " + rows + " rows of stride " + rowStride + " from " + off
                    + " needs more than the " + x.length + " floats given");
        Parallel.forRange(rows, 32, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int t = (r % seqLen) * half;
                for (int h = 0; h < heads; h++) {
                    int o = off + r * rowStride + h * headDim;
                    for (int m = 0; m < half; m++) {
                        float c = cos[t + m], s = sin[t + m];
                        float x0 = x[o + m], x1 = x[o + m + half];
                        x[o + m] = x0 * c - x1 * s;
                        x[o + m + half] = x1 * c + x0 * s;
                    }
                }
            }
        });
    }
}
