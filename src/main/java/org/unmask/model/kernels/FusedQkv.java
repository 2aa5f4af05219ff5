package org.unmask.model.kernels;

import org.unmask.compute.Parallel;

/**
 * Splits the output of a fused query/key/value projection ({@code attention.query_key_value} in LLaDA 2.x), row
 * layout {@code [Q heads | K heads | V heads]}, width {@code (H + 2·KVH)·hd}, into the three contiguous arrays
 * {@code q [rows, H·hd]}, {@code k [rows, KVH·hd]}, {@code v [rows, KVH·hd]} that {@link Attention} reads.
 */
public final class FusedQkv {
    private FusedQkv() {}

    /** Width of one fused row: {@code (heads + 2·kvHeads)·headDim}. */
    public static int width(int heads, int kvHeads, int headDim) {
        return Math.multiplyExact(heads + 2 * kvHeads, headDim);
    }

    /** Copies the Q, K and V columns of {@code qkv [rows, (H+2·KVH)·hd]} into {@code q}, {@code k} and {@code v}. */
    public static void split(float[] qkv, int rows, int heads, int kvHeads, int headDim, float[] q, float[] k, float[] v) {
        if (rows < 0 || heads < 1 || kvHeads < 1 || headDim < 1)
            throw new IllegalArgumentException("fused QKV split needs rows ≥ 0 and positive sizes: rows=" + rows
                    + ", heads=" + heads + ", kvHeads=" + kvHeads + ", headDim=" + headDim);
        int qd = heads * headDim, kvd = kvHeads * headDim, width = width(heads, kvHeads, headDim);
        check("qkv", qkv, (long) rows * width);
        check("q", q, (long) rows * qd);
        check("k", k, (long) rows * kvd);
        check("v", v, (long) rows * kvd);
        Parallel.forRange(rows, 64, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int src = r * width;
                System.arraycopy(qkv, src, q, r * qd, qd);
                System.arraycopy(qkv, src + qd, k, r * kvd, kvd);
                System.arraycopy(qkv, src + qd + kvd, v, r * kvd, kvd);
            }
        });
    }

    private static void check(String name, float[] a, long needed) {
        if (a.length < needed)
            throw new IllegalArgumentException("fused QKV split: " + name + " needs " + needed + " floats but has " + a.length);
    }
}
