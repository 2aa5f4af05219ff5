package org.unmask.model.kernels;

import org.unmask.compute.Parallel;
import org.unmask.model.tensor.Weights;


/**
 * The forward product {@code out[T,N] = x[T,K] · W[N,K]ᵀ} for weights in a ggml block format (Q8_0, Q4_0, K-quants),
 * computed in float32 on the dequantized weights (activations are not quantized).
 *
 * <p>Matrix-vector products (T &lt; 4) are bound by the bandwidth of the weights: each row is decoded and dotted in
 * one pass ({@link Weights#dot}), two or three token rows reuse the row decoded once into L1. Larger products decode a
 * tile of 4 weight rows × {@link #KC} elements once into a small float buffer and run every token row of a block of
 * {@link #MC} rows past it with the register tiles of {@link MicroKernels}, so decoding costs one pass over the
 * weights per {@link #MC} token rows. Workers split the weight rows (or the token rows when there are far more tokens).
 */
final class QuantizedMatMul {
    private QuantizedMatMul() {}

    /** K elements per decoded tile: a multiple of every block size (256 for the K-quants); 4 rows of it are 16 KB. */
    static final int KC = 1024;
    /** Token rows per block: MC × KC floats (512 KB) stay in L2 while the decoded tiles pass over them. */
    static final int MC = 128;
    private static final long MIN_TASK_FMAS = 1L << 18;
    private static final Thread NON_OWNER = Thread.ofPlatform().unstarted(() -> {});

    /** Callers ({@link MatMul#forward}) have checked the sizes and ranges. */
    static void forward(float[] out, int outOff, float[] x, int xOff, Weights.Quantized w, long wOffset, int T, int K, int N) {
        w.checkBlocks("a matrix product over rows of " + K, wOffset, K);
        boolean parallel = w.segment().isAccessibleBy(NON_OWNER);
        if (T < 4) {
            Parallel.RangeBody rows = (n0, n1) -> rowDots(out, outOff, x, xOff, w, wOffset, T, K, N, n0, n1);
            if (parallel) Parallel.forRange(N, minUnits((long) K * T), rows);
            else rows.run(0, N);
            return;
        }
        boolean splitN = N >= T;
        int unit = splitN ? 4 : MC;
        int units = (int) ((splitN ? (long) N : T) + unit - 1) / unit;
        long unitFmas = (long) unit * K * (splitN ? T : N);
        Parallel.RangeBody body = (u0, u1) -> {
            int t0 = splitN ? 0 : unit * u0, t1 = splitN ? T : Math.min(T, unit * u1);
            int n0 = splitN ? unit * u0 : 0, n1 = splitN ? Math.min(N, unit * u1) : N;
            block(out, outOff, x, xOff, w, wOffset, K, N, t0, t1, n0, n1);
        };
        if (parallel) Parallel.forRange(units, minUnits(unitFmas), body);
        else body.run(0, units);
    }

    /** Weight rows [n0,n1) against at most 3 token rows. */
    private static void rowDots(float[] out, int outOff, float[] x, int xOff, Weights.Quantized w, long wOffset,
                                int T, int K, int N, int n0, int n1) {
        if (T == 1) {
            for (int n = n0; n < n1; n++) out[outOff + n] = w.dot(wOffset + (long) n * K, x, xOff, K);
            return;
        }
        float[] row = KernelScratch.get(KernelScratch.Slot.DECODED_ROW, K);
        for (int n = n0; n < n1; n++) {
            w.toFloat(wOffset + (long) n * K, row, 0, K);
            for (int t = 0; t < T; t++) MicroKernels.dot1x1(x, xOff + t * K, row, 0, K, out, outOff + t * N + n, false);
        }
    }

    /** Tokens [t0,t1) × weight rows [n0,n1). */
    private static void block(float[] out, int outOff, float[] x, int xOff, Weights.Quantized w, long wOffset,
                              int K, int N, int t0, int t1, int n0, int n1) {
        float[] tile = KernelScratch.get(KernelScratch.Slot.DOT_TILE, 4 * Math.min(K, KC));
        for (int k0 = 0; k0 < K; k0 += KC) {
            int kc = Math.min(KC, K - k0);
            boolean add = k0 > 0;   // later K blocks add onto the partial sums of the first
            for (int tb = t0; tb < t1; tb += MC) {
                int te = Math.min(tb + MC, t1);
                for (int n = n0; n < n1; n += 4) {
                    int rows = Math.min(4, n1 - n);
                    for (int r = 0; r < rows; r++) w.toFloat(wOffset + (long) (n + r) * K + k0, tile, r * kc, kc);
                    tile(out, outOff, x, xOff, tile, kc, K, N, k0, tb, te, n, rows, add);
                }
            }
        }
    }

    /** Token rows [tb,te) against {@code rows} (≤ 4) decoded weight rows of length {@code kc} in {@code wa}. */
    private static void tile(float[] out, int outOff, float[] x, int xOff, float[] wa, int kc, int K, int N, int k0,
                             int tb, int te, int n, int rows, boolean add) {
        int t = tb;
        if (rows == 4) {
            if (Tiles.PREFERRED.dotRows == 4) {
                for (; t + 4 <= te; t += 4)
                    MicroKernels.dot4x4(x, xOff + t * K + k0, K, wa, 0, kc, kc, out, outOff + t * N + n, N, add);
            } else {
                for (; t + 2 <= te; t += 2)
                    MicroKernels.dot2x4(x, xOff + t * K + k0, K, wa, 0, kc, kc, out, outOff + t * N + n, N, add);
            }
            for (; t < te; t++) MicroKernels.dot1x4(x, xOff + t * K + k0, wa, 0, kc, kc, out, outOff + t * N + n, 1, add);
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (t = tb; t < te; t++)
                MicroKernels.dot1x1(wa, r * kc, x, xOff + t * K + k0, kc, out, outOff + t * N + n + r, add);
        }
    }

    private static int minUnits(long fmasPerUnit) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, MIN_TASK_FMAS / Math.max(1, fmasPerUnit)));
    }
}
