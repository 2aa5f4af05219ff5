package org.unmask.model.kernels;

import org.unmask.compute.Parallel;
import org.unmask.model.tensor.Weights;

import static org.unmask.model.kernels.MicroKernels.AXPY_WIDTH;
import static org.unmask.model.kernels.MicroKernels.DOT_ROWS;
import static org.unmask.model.kernels.MicroKernels.L;

/**
 * Matrix products in the three orientations a linear layer needs (row-major, all offsets in elements):
 * forward {@code y = x·Wᵀ}, backward to the input {@code dx += dy·W}, backward to the weight {@code dW += dyᵀ·x}.
 *
 * <p>Each product is cut into cache blocks, the blocks into register tiles ({@link MicroKernels}), and the tiles are
 * shared between the {@link Parallel} workers along the larger output dimension, so every output element is written
 * by exactly one thread.
 */
public final class MatMul {
    private MatMul() {}

    /** K elements per forward block: 4 weight rows of this length (16 KB) stay in L1 while the token rows pass. */
    static final int FORWARD_KC = 1024;
    /**
     * Token rows per forward block: MC × KC floats (480 KB) stay in L2 while every weight tile passes over them;
     * a multiple of both dot tile heights (2 and 4).
     */
    static final int FORWARD_MC = 120;
    /** Summed rows per backward block: one packed B strip of 3 vectors × JC rows (24 KB at 512 bits) stays in L1. */
    static final int BACKWARD_JC = 128;
    /** Below this many token rows the forward is a matrix-vector product bound by weight bandwidth: plain row dots. */
    static final int MIN_TILED_ROWS = 4;
    /** Work (multiply-adds) below which splitting across threads costs more than it saves. */
    private static final long MIN_TASK_FMAS = 1L << 18;

    /** {@code out[T,N] = x[T,K] · W[N,K]ᵀ} where W starts at element {@code wOffset} of {@code w}. */
    public static void forward(float[] out, int outOff, float[] x, int xOff, Weights w, long wOffset, int T, int K, int N) {
        checkDims(T, K, N);
        checkRange("out", out.length, outOff, (long) T * N);
        checkRange("x", x.length, xOff, (long) T * K);
        if (wOffset < 0 || wOffset + (long) N * K > w.size())
            throw new IllegalArgumentException("weight rows [" + wOffset + ", " + (wOffset + (long) N * K)
                    + ") lie outside a " + w.dtype() + " tensor of " + w.size() + " elements");
        if (T == 0 || N == 0) return;
        if (K == 0) {
            java.util.Arrays.fill(out, outOff, outOff + T * N, 0f);
            return;
        }
        if (w instanceof Weights.Quantized q) { QuantizedMatMul.forward(out, outOff, x, xOff, q, wOffset, T, K, N); return; }
        if (w instanceof Weights.F32 f && T >= MIN_TRANSPOSED_ROWS) {
            forwardTransposed(out, outOff, x, xOff, f.data(), f.offset() + (int) wOffset, T, K, N);
            return;
        }
        boolean parallel = readableByWorkers(w);
        if (T < MIN_TILED_ROWS) {
            forwardRowDots(out, outOff, x, xOff, w, wOffset, T, K, N, parallel);
            return;
        }
        if (!parallel) {
            forwardBlock(out, outOff, x, xOff, w, wOffset, K, N, 0, T, 0, N);
            return;
        }
        // Split along the larger output dimension, in whole tiles: 4 weight rows, or 4 tiles of token rows.
        // Splitting tokens makes each thread decode every weight tile again, which only pays when there are many
        // more tokens than weight rows.
        boolean splitN = N >= T;
        int unit = splitN ? 4 : 4 * DOT_ROWS;
        int units = ceilDiv(splitN ? N : T, unit);
        long unitFmas = (long) unit * K * (splitN ? T : N);
        Parallel.forRange(units, minUnits(unitFmas), (u0, u1) -> {
            int t0 = splitN ? 0 : unit * u0, t1 = splitN ? T : Math.min(T, unit * u1);
            int n0 = splitN ? unit * u0 : 0, n1 = splitN ? Math.min(N, unit * u1) : N;
            forwardBlock(out, outOff, x, xOff, w, wOffset, K, N, t0, t1, n0, n1);
        });
    }

    /** Token rows from which transposing a heap f32 weight once pays for itself (see forwardTransposed). */
    private static final int MIN_TRANSPOSED_ROWS = 64;

    /**
     * Forward for heap f32 weights with many token rows (training): the dot-product tiles need a horizontal sum per
     * output element, which dominates when K is small (d_model 256). Transposing W into [K,N] once (K·N moves, against
     * T·K·N multiply-adds) lets the broadcast-and-accumulate kernel of the backward pass do the work instead, with no
     * horizontal sums: out[T,N] = x[T,K] · Wᵀ[K,N].
     */
    private static void forwardTransposed(float[] out, int outOff, float[] x, int xOff, float[] w, int wOff, int T, int K, int N) {
        float[] wt = transposeScratch(K * N);
        final int B = 32;   // square blocks keep both the read and the write side in L1
        Parallel.forRange(ceilDiv(N, B), 4, (b0, b1) -> {
            for (int n0 = b0 * B; n0 < Math.min(N, b1 * B); n0 += B) {
                int n1 = Math.min(N, n0 + B);
                for (int k0 = 0; k0 < K; k0 += B) {
                    int k1 = Math.min(K, k0 + B);
                    for (int n = n0; n < n1; n++) {
                        int row = wOff + n * K;
                        for (int k = k0; k < k1; k++) wt[k * N + n] = w[row + k];
                    }
                }
            }
        });
        java.util.Arrays.fill(out, outOff, outOff + T * N, 0f);
        // C = out (rows t), A(t, k) = x[t·K + k], B = Wᵀ (rows k)
        accumulate(out, outOff, N, x, xOff, K, 1, wt, 0, N, T, K, N);
    }

    /** The calling thread's buffer for transposed weights, grown as needed (a model calls from one thread at a time). */
    private static final ThreadLocal<float[]> TRANSPOSED = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] transposeScratch(int size) {
        float[] buf = TRANSPOSED.get();
        if (buf.length < size) {
            buf = new float[size];
            TRANSPOSED.set(buf);
        }
        return buf;
    }

    /** Matrix-vector case: each weight row is read once and dotted with the (at most 3) token rows. */
    private static void forwardRowDots(float[] out, int outOff, float[] x, int xOff, Weights w, long wOffset,
                                       int T, int K, int N, boolean parallel) {
        Parallel.RangeBody rows = (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                long row = wOffset + (long) n * K;
                for (int t = 0; t < T; t++) out[outOff + t * N + n] = w.dot(row, x, xOff + t * K, K);
            }
        };
        if (parallel) Parallel.forRange(N, minUnits((long) K * T), rows);
        else rows.run(0, N);
    }

    /** A thread that owns nothing: a segment it may read is readable by every pool worker. */
    private static final Thread NON_OWNER = Thread.ofPlatform().unstarted(() -> {});

    /** False for weights in a segment confined to one thread, which the pool workers are not allowed to read. */
    private static boolean readableByWorkers(Weights w) {
        return switch (w) {
            case Weights.F32 f -> true;
            case Weights.MappedF32 m -> m.segment().isAccessibleBy(NON_OWNER);
            case Weights.MappedBf16 m -> m.segment().isAccessibleBy(NON_OWNER);
            case Weights.MappedF16 m -> m.segment().isAccessibleBy(NON_OWNER);
            case Weights.Quantized q -> q.segment().isAccessibleBy(NON_OWNER);
        };
    }

    /** Tokens [t0,t1) × weight rows [n0,n1) of the forward product. */
    private static void forwardBlock(float[] out, int outOff, float[] x, int xOff, Weights w, long wOffset,
                                     int K, int N, int t0, int t1, int n0, int n1) {
        // Heap float32 weights are read in place; other formats decode one 4-row tile at a time into a small
        // buffer, and that tile then serves every token row of the block.
        float[] heap = w instanceof Weights.F32 f ? f.data() : null;
        long heapBase = w instanceof Weights.F32 f ? f.offset() + wOffset : 0;
        float[] tile = heap == null ? new float[4 * Math.min(K, FORWARD_KC)] : null;
        for (int k0 = 0; k0 < K; k0 += FORWARD_KC) {
            int kc = Math.min(FORWARD_KC, K - k0);
            boolean add = k0 > 0; // later K blocks add their partial sums onto the first block's
            for (int tb = t0; tb < t1; tb += FORWARD_MC) {
                int te = Math.min(tb + FORWARD_MC, t1);
                for (int n = n0; n < n1; n += 4) {
                    int rows = Math.min(4, n1 - n);
                    float[] wa;
                    int wo, ws;
                    if (heap != null) {
                        wa = heap; wo = (int) (heapBase + (long) n * K + k0); ws = K;
                    } else {
                        for (int r = 0; r < rows; r++) w.toFloat(wOffset + (long) (n + r) * K + k0, tile, r * kc, kc);
                        wa = tile; wo = 0; ws = kc;
                    }
                    forwardTile(out, outOff, x, xOff, wa, wo, ws, K, N, kc, k0, tb, te, n, rows, add);
                }
            }
        }
    }

    /** Token rows [tb,te) against {@code rows} (≤ 4) weight rows held in {@code wa} with row stride {@code ws}. */
    private static void forwardTile(float[] out, int outOff, float[] x, int xOff, float[] wa, int wo, int ws,
                                    int K, int N, int kc, int k0, int tb, int te, int n, int rows, boolean add) {
        int t = tb;
        if (rows == 4) {
            if (DOT_ROWS == 4) {
                for (; t + 4 <= te; t += 4)
                    MicroKernels.dot4x4(x, xOff + t * K + k0, K, wa, wo, ws, kc, out, outOff + t * N + n, N, add);
            } else {
                for (; t + 2 <= te; t += 2)
                    MicroKernels.dot2x4(x, xOff + t * K + k0, K, wa, wo, ws, kc, out, outOff + t * N + n, N, add);
            }
            for (; t < te; t++)
                MicroKernels.dot1x4(x, xOff + t * K + k0, wa, wo, ws, kc, out, outOff + t * N + n, 1, add);
            return;
        }
        // the last 1-3 weight rows: each row against 4 token rows at a time
        for (int r = 0; r < rows; r++) {
            int wr = wo + r * ws;
            for (t = tb; t + 4 <= te; t += 4)
                MicroKernels.dot1x4(wa, wr, x, xOff + t * K + k0, K, kc, out, outOff + t * N + n + r, N, add);
            for (; t < te; t++)
                MicroKernels.dot1x1(wa, wr, x, xOff + t * K + k0, kc, out, outOff + t * N + n + r, add);
        }
    }

    /** {@code dx[T,K] += dy[T,N] · W[N,K]}. */
    public static void backwardInput(float[] dx, int dxOff, float[] dy, int dyOff, float[] w, int wOff, int T, int N, int K) {
        checkDims(T, K, N);
        checkRange("dx", dx.length, dxOff, (long) T * K);
        checkRange("dy", dy.length, dyOff, (long) T * N);
        checkRange("w", w.length, wOff, (long) N * K);
        // C = dx (rows t), A(t, n) = dy[t·N + n], B = W (rows n)
        accumulate(dx, dxOff, K, dy, dyOff, N, 1, w, wOff, K, T, N, K);
    }

    /** {@code dW[N,K] += dy[T,N]ᵀ · x[T,K]}. */
    public static void backwardWeight(float[] dw, int dwOff, float[] dy, int dyOff, float[] x, int xOff, int T, int N, int K) {
        checkDims(T, K, N);
        checkRange("dW", dw.length, dwOff, (long) N * K);
        checkRange("dy", dy.length, dyOff, (long) T * N);
        checkRange("x", x.length, xOff, (long) T * K);
        // C = dW (rows n), A(n, t) = dy[t·N + n], B = x (rows t)
        accumulate(dw, dwOff, K, dy, dyOff, 1, N, x, xOff, K, N, T, K);
    }

    /**
     * {@code C[M,W] += A[M,J] · B[J,W]} with A element (i, j) at {@code a[aOff + i·ars + j·acs]} (so both backward
     * orientations read dy in place), B and C row-major with row strides {@code bs} and {@code cs}.
     */
    private static void accumulate(float[] c, int cOff, int cs, float[] a, int aOff, int ars, int acs,
                                   float[] b, int bOff, int bs, int M, int J, int W) {
        if (M == 0 || J == 0 || W == 0) return;
        int rowUnits = ceilDiv(M, 4), colUnits = ceilDiv(W, AXPY_WIDTH);
        boolean splitRows = rowUnits >= colUnits;
        long unitFmas = splitRows ? 4L * J * W : (long) AXPY_WIDTH * J * M;
        Parallel.forRange(splitRows ? rowUnits : colUnits, minUnits(unitFmas), (u0, u1) -> {
            int i0 = splitRows ? 4 * u0 : 0, i1 = splitRows ? Math.min(M, 4 * u1) : M;
            int w0 = splitRows ? 0 : AXPY_WIDTH * u0, w1 = splitRows ? W : Math.min(W, AXPY_WIDTH * u1);
            accumulateBlock(c, cOff, cs, a, aOff, ars, acs, b, bOff, bs, J, i0, i1, w0, w1);
        });
    }

    /** Rows [i0,i1) × columns [w0,w1) of C, summing over J in L1-sized blocks. */
    private static void accumulateBlock(float[] c, int cOff, int cs, float[] a, int aOff, int ars, int acs,
                                        float[] b, int bOff, int bs, int J, int i0, int i1, int w0, int w1) {
        // Each strip of B (jc rows × 3 vectors) is copied into a contiguous buffer before all row tiles of C use
        // it: read in place, its rows lie bs floats apart, and when bs is a power of two they all map to the same
        // few L1 sets and evict each other.
        float[] strip = new float[BACKWARD_JC * AXPY_WIDTH];
        for (int j0 = 0; j0 < J; j0 += BACKWARD_JC) {
            int jc = Math.min(BACKWARD_JC, J - j0);
            int aj = aOff + j0 * acs, bj = bOff + j0 * bs;
            for (int col = w0; col < w1; col += AXPY_WIDTH) {
                int width = Math.min(AXPY_WIDTH, w1 - col);
                for (int j = 0; j < jc; j++) System.arraycopy(b, bj + j * bs + col, strip, j * AXPY_WIDTH, width);
                int i = i0;
                for (; i + 4 <= i1; i += 4) {
                    int ci = cOff + i * cs + col, ai = aj + i * ars;
                    if (width == AXPY_WIDTH) {
                        MicroKernels.axpy4x3(a, ai, ars, acs, strip, 0, AXPY_WIDTH, jc, c, ci, cs);
                    } else {
                        for (int v = 0; v < width; v += L)
                            MicroKernels.axpy4x1(a, ai, ars, acs, strip, v, AXPY_WIDTH, jc, c, ci + v, cs, Math.min(L, width - v));
                    }
                }
                for (; i < i1; i++) {
                    for (int v = 0; v < width; v += L)
                        MicroKernels.axpy1x1(a, aj + i * ars, acs, strip, v, AXPY_WIDTH, jc, c, cOff + i * cs + col + v,
                                Math.min(L, width - v));
                }
            }
        }
    }

    /** Smallest number of units per task so that a task has at least {@link #MIN_TASK_FMAS} multiply-adds. */
    private static int minUnits(long fmasPerUnit) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, MIN_TASK_FMAS / Math.max(1, fmasPerUnit)));
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    private static void checkDims(int T, int K, int N) {
        if (T < 0 || K < 0 || N < 0)
            throw new IllegalArgumentException("matrix sizes must not be negative: T=" + T + ", K=" + K + ", N=" + N);
    }

    private static void checkRange(String name, int length, int offset, long count) {
        if (offset < 0 || offset + count > length)
            throw new IllegalArgumentException(name + " needs elements [" + offset + ", " + (offset + count)
                    + ") but has " + length);
    }
}
