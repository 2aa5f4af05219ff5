package org.unmask.model.kernels;

import org.unmask.compute.Parallel;
import org.unmask.model.tensor.Weights;

import java.util.Arrays;

import static org.unmask.model.kernels.MicroKernels.L;

/**
 * Matrix products in the three orientations a linear layer needs (row-major, all offsets in elements):
 * forward {@code y = x·Wᵀ}, backward to the input {@code dx += dy·W}, backward to the weight {@code dW += dyᵀ·x}.
 *
 * <p>Each product is cut into cache blocks, the blocks into register tiles ({@link MicroKernels}, sized for the
 * CPU's register file by {@link Tiles}), and the tiles are shared between the {@link Parallel} workers along the
 * larger output dimension, so every output element is written by exactly one thread.
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
    /**
     * Summed rows per axpy block: one packed B strip of JC rows × the tile's width stays in L1 (4 vectors, 32 KB, at
     * 512 bits; 6 vectors, 24 KB, at 256 bits).
     */
    static final int AXPY_JC = 128;
    /** Below this many token rows the forward is a matrix-vector product bound by weight bandwidth: plain row dots. */
    static final int MIN_TILED_ROWS = 4;
    /**
     * Up to this many token rows (from one vector's worth) the forward runs weight-row tiles for weights that must be
     * decoded (bf16, f16, mapped f32); above it, strips of decoded, transposed weights. The weight-row form keeps its
     * token strips and results (T × 512 B and 192 × T × 4 B) in L2 and decodes each weight once.
     */
    static final int MAX_WEIGHT_ROW_TOKENS = 512;
    /**
     * The same bound for heap float32 weights, which need no decoding: from here on, strips of Wᵀ are cheaper than
     * the weight-row form's token strips and result transposition (measured at d_model 256: T = 256 even, T = 1024
     * twice as fast on strips of Wᵀ; at 1024³ on AVX2, 1.3-1.4× as fast).
     */
    static final int MAX_WEIGHT_ROW_TOKENS_F32 = 256;
    /**
     * Weight rows up to which heap float32 products take strips of Wᵀ from {@link #MAX_WEIGHT_ROW_TOKENS_FEW_ROWS}
     * tokens on: with few rows to share out, every thread of the weight-row form packs all the token strips, and that
     * and the result transposition outweigh the multiply-adds when K is small too. Measured on both vector widths
     * (docs/benchmarks.md): 1.2-2.7× faster at 64-256 tokens for N of 128-512, and the attention backward's per-head
     * dP = dO·Vᵀ (128 × 32 × 128 on one thread) 1.5-2.5×.
     */
    static final int FEW_WEIGHT_ROWS = 512;
    /** See {@link #FEW_WEIGHT_ROWS}: below 64 tokens the weight-row form still won on AVX-512. */
    static final int MAX_WEIGHT_ROW_TOKENS_FEW_ROWS = 63;
    /** Work (multiply-adds) below which splitting across threads costs more than it saves. */
    private static final long MIN_TASK_FMAS = 1L << 18;

    /** {@code out[T,N] = x[T,K] · W[N,K]ᵀ} where W starts at element {@code wOffset} of {@code w}. */
    public static void forward(float[] out, int outOff, float[] x, int xOff, Weights w, long wOffset, int T, int K, int N) {
        forward(out, outOff, x, xOff, w, wOffset, T, K, N, Tiles.PREFERRED);
    }

    /** {@link #forward} with the tiles of one register-file size (tests run both families on any CPU). */
    static void forward(float[] out, int outOff, float[] x, int xOff, Weights w, long wOffset, int T, int K, int N,
                        Tiles tiles) {
        forward(out, outOff, x, xOff, w, wOffset, T, K, N, tiles, true);
    }

    /**
     * {@link #forward} on the calling thread alone, for a caller that is itself one of the {@link Parallel} tasks
     * (a worker waiting on nested tasks may run a sibling task, which would then share its thread's scratch buffers).
     */
    static void forwardInTask(float[] out, float[] x, float[] w, int T, int K, int N) {
        forward(out, 0, x, 0, new Weights.F32(w, 0, N * K), 0, T, K, N, Tiles.PREFERRED, false);
    }

    private static void forward(float[] out, int outOff, float[] x, int xOff, Weights w, long wOffset, int T, int K, int N,
                                Tiles tiles, boolean mayFork) {
        checkDims(T, K, N);
        checkRange("out", out.length, outOff, (long) T * N);
        checkRange("x", x.length, xOff, (long) T * K);
        if (wOffset < 0 || wOffset + (long) N * K > w.size())
            throw new IllegalArgumentException("weight rows [" + wOffset + ", " + (wOffset + (long) N * K)
                    + ") lie outside a " + w.dtype() + " tensor of " + w.size() + " elements");
        if (T == 0 || N == 0) return;
        if (K == 0) {
            Arrays.fill(out, outOff, outOff + T * N, 0f);
            return;
        }
        // Block formats share the weight-row tiles (one decode per weight for all token rows) from one vector of
        // token rows up; below that, and for long sequences, their own dot tiles decode once per block of tokens.
        if (w instanceof Weights.Quantized q) {
            if (T < L || T > MAX_WEIGHT_ROW_TOKENS) {
                QuantizedMatMul.forward(out, outOff, x, xOff, q, wOffset, T, K, N);
                return;
            }
            q.checkBlocks("a matrix product over rows of " + K, wOffset, K);
        }
        boolean parallel = mayFork && readableByWorkers(w);
        if (T < MIN_TILED_ROWS) {
            forwardRowDots(out, outOff, x, xOff, w, wOffset, T, K, N, parallel);
            return;
        }
        int maxWeightRowTokens = !(w instanceof Weights.F32) ? MAX_WEIGHT_ROW_TOKENS
                : N <= FEW_WEIGHT_ROWS ? MAX_WEIGHT_ROW_TOKENS_FEW_ROWS : MAX_WEIGHT_ROW_TOKENS_F32;
        if (T >= L && T <= maxWeightRowTokens) {
            forwardWeightRows(out, outOff, x, xOff, w, wOffset, T, K, N, tiles, parallel);
            return;
        }
        if (T > maxWeightRowTokens) {
            // Training sizes: C = out (rows t), A(t, k) = x[t·K + k], B = Wᵀ. The axpy tiles need no horizontal
            // sums, which would dominate the dot tiles at d_model 256 (16 FMAs per sum at 512 bits). Each strip of
            // Wᵀ is gathered from the weight rows as it is packed: transposing W once per call into a buffer that the
            // strips were then copied from cost 2-10 % more at 1024³ and at the training shapes (docs/benchmarks.md).
            Arrays.fill(out, outOff, outOff + T * N, 0f);
            Strips wt = transposedStrips(w, wOffset, K);
            accumulate(out, outOff, N, x, xOff, K, 1, wt, T, K, N, tiles, parallel);
            return;
        }
        // Fewer token rows than a vector (4-15 at 512 bits, 4-7 at 256): dot tiles, vectors along K.
        if (!parallel) {
            forwardBlock(out, outOff, x, xOff, w, wOffset, K, N, 0, T, 0, N, tiles);
            return;
        }
        // Split along the larger output dimension, in whole tiles: 4 weight rows, or 4 tiles of token rows.
        // Splitting tokens makes each thread decode every weight tile again, which only pays when there are many
        // more tokens than weight rows.
        boolean splitN = N >= T;
        int unit = splitN ? 4 : 4 * tiles.dotRows;
        int units = ceilDiv(splitN ? N : T, unit);
        long unitFmas = (long) unit * K * (splitN ? T : N);
        Parallel.forRange(units, minUnits(unitFmas), (u0, u1) -> {
            int t0 = splitN ? 0 : unit * u0, t1 = splitN ? T : Math.min(T, unit * u1);
            int n0 = splitN ? unit * u0 : 0, n1 = splitN ? Math.min(N, unit * u1) : N;
            forwardBlock(out, outOff, x, xOff, w, wOffset, K, N, t0, t1, n0, n1, tiles);
        });
    }

    /**
     * The forward with the roles swapped: {@code outᵀ[N,T] = W[N,K] · xᵀ[K,T]}. The axpy tiles broadcast weight
     * elements and multiply them by vectors of token rows, so the weights are read once, row by row, decoded into a
     * small contiguous panel (no transposition of the weight matrix), and each decoded element serves every token
     * row; the activations, which are small, are transposed into strips instead. Threads split the weight rows.
     */
    private static void forwardWeightRows(float[] out, int outOff, float[] x, int xOff, Weights w, long wOffset,
                                          int T, int K, int N, Tiles tiles, boolean parallel) {
        Parallel.RangeBody body = (u0, u1) -> weightRows(out, outOff, N, x, xOff, w, wOffset, T, K,
                ROW_TILE * u0, Math.min(N, ROW_TILE * u1), tiles);
        int units = ceilDiv(N, ROW_TILE);
        if (parallel) Parallel.forRange(units, minUnits((long) ROW_TILE * K * T), body);
        else body.run(0, units);
    }

    /**
     * Weight rows per tile of the weight-row forward: one decoded panel of 6 rows × {@link #AXPY_JC} (or × one
     * block, for block formats whose blocks are longer, such as Q6_K's 256).
     */
    static final int ROW_TILE = 6;
    /**
     * Floats of transposed results held at once (192 weight rows × 512 tokens, 384 KB, in L2). The token strips are
     * packed again for every block of weight rows, T·K moves against rows·T·K multiply-adds, so fewer tokens get
     * more rows per block ({@link #rowBlock}): at T = 32 a block of 192 rows spent a sixth of its time packing.
     */
    static final int ROW_BLOCK_FLOATS = 192 * 512;

    /** Weight rows per block of the weight-row forward for T token rows: a multiple of {@link #ROW_TILE}, at least 192. */
    static int rowBlock(int T) {
        return Math.max(192, ROW_BLOCK_FLOATS / T / ROW_TILE * ROW_TILE);
    }

    /** Summed elements per panel: {@link #AXPY_JC}, or a whole block of a block format (decoding starts on a block). */
    private static int weightRowChunk(Weights w) {
        int block = w.dtype().blockSize;
        return block <= AXPY_JC ? AXPY_JC : block;
    }

    /**
     * Floats of packed token strips held at once (256 KB, in L2): the span of K (a multiple of the panel chunk) over
     * which each 6-row tile runs before the next tile starts. Within it a tile reads each of its weight rows as one
     * sequential stream of {@code span} elements; with a single chunk per tile (the order before this span existed)
     * every panel decode started 2·K bytes after the previous row's, the hardware prefetchers did not follow, and at
     * T = 32 the decode took as long as the multiply-adds.
     */
    static final int STRIP_SPAN_FLOATS = 64 * 1024;

    /** Weight rows [n0,n1) of the forward, all token rows, in blocks of {@link #rowBlock} rows. */
    private static void weightRows(float[] out, int outOff, int N, float[] x, int xOff, Weights w, long wOffset,
                                   int T, int K, int n0, int n1, Tiles tiles) {
        int R = ROW_TILE;
        // The tokens padded with zero rows to whole vectors: a masked tail vector costs several times a whole one
        // (31 tokens ran slower than 32), and the padding's multiply-adds are at most L−1 of every T + L−1.
        int TP = ceilDiv(T, L) * L;
        // strips no wider than the tokens need, so that a few tokens do not pack (and stream) empty lanes
        int TW = Math.min(tiles.rowTileWidth(), TP);
        int JC = weightRowChunk(w);
        int strips = ceilDiv(TP, TW);
        int span = Math.min(K, Math.max(JC, STRIP_SPAN_FLOATS / (strips * TW) / JC * JC));
        float[] xs = KernelScratch.get(KernelScratch.Slot.TOKEN_STRIPS, strips * span * TW);
        int rowBlock = rowBlock(TP);
        // whole tiles of results: the last tile's missing weight rows are zeros in the panel, and their results (and
        // those of the padding tokens) are never copied out
        float[] ct = KernelScratch.get(KernelScratch.Slot.ROW_RESULTS, Math.min(rowBlock, ceilDiv(n1 - n0, R) * R) * TP);
        float[] heap = w instanceof Weights.F32 f ? f.data() : null;
        long heapBase = w instanceof Weights.F32 f ? f.offset() + wOffset : 0;
        float[] panel = KernelScratch.get(KernelScratch.Slot.WEIGHT_PANEL, R * JC);
        for (int nb = n0; nb < n1; nb += rowBlock) {
            int ne = Math.min(nb + rowBlock, n1);
            Arrays.fill(ct, 0, (ne - nb) * TP, 0f);
            for (int k0 = 0; k0 < K; k0 += span) {
                int sc = Math.min(span, K - k0);
                // xᵀ strips over the span: strip s holds tokens [s·TW, s·TW + TW) as sc rows of TW floats
                for (int t = 0; t < TP; t++) {
                    int dst = (t / TW) * span * TW + t % TW, src = xOff + t * K + k0;
                    if (t < T) for (int j = 0; j < sc; j++) xs[dst + j * TW] = x[src + j];
                    else for (int j = 0; j < sc; j++) xs[dst + j * TW] = 0f;
                }
                for (int n = nb; n < ne; n += R) {
                    int rows = Math.min(R, ne - n);
                    for (int j0 = 0; j0 < sc; j0 += JC) {
                        int jc = Math.min(JC, sc - j0);
                        // the 6 weight rows as floats: read in place when they are heap float32, else decoded once
                        // here for all T token rows; a last tile of fewer rows is padded with zero rows, so that every
                        // tile runs the one hot 6-row loop (a rarely called remainder loop for the last 4 of 4,096
                        // rows held 3.5 % of the samples of a short 8B generation, its masked vectors not yet compiled)
                        float[] pa;
                        int po, ps;
                        if (heap != null && rows == R) {
                            pa = heap; po = (int) (heapBase + (long) n * K + k0 + j0); ps = K;
                        } else {
                            for (int r = 0; r < rows; r++) w.toFloat(wOffset + (long) (n + r) * K + k0 + j0, panel, r * jc, jc);
                            if (rows < R) Arrays.fill(panel, rows * jc, R * jc, 0f);
                            pa = panel; po = 0; ps = jc;
                        }
                        weightRowTile(pa, po, ps, xs, span * TW, j0 * TW, jc, TW, ct, (n - nb) * TP, TP);
                    }
                }
            }
            // ct[n][t] → out[t][n], in blocks of 32 weight rows so that both sides stay in L1
            final int B = 32;
            for (int b = nb; b < ne; b += B)
                for (int t = 0; t < T; t++) {
                    int o = outOff + t * N, e = Math.min(ne, b + B);
                    for (int n = b; n < e; n++) out[o + n] = ct[(n - nb) * TP + t];
                }
        }
    }

    /**
     * Six panel rows against every token strip: {@code ct[r·T + t] += Σ_j A(r, j)·xᵀ(j, t)}, strip s's {@code jc} rows
     * starting at {@code xs[xBase + s·stripStride]}; T (the tokens, padded) is a whole number of vectors.
     */
    private static void weightRowTile(float[] pa, int po, int ps, float[] xs, int stripStride, int xBase, int jc,
                                      int TW, float[] ct, int co, int T) {
        for (int t0 = 0; t0 < T; t0 += TW) {
            int width = Math.min(TW, T - t0), xo = xBase + (t0 / TW) * stripStride, c0 = co + t0;
            int v = 0;
            // whole vectors of the strip, widest first
            if (width == 4 * L) {
                MicroKernels.axpy6x4(pa, po, ps, 1, xs, xo, TW, jc, ct, c0, T);
                v = width;
            }
            for (; v + 2 * L <= width; v += 2 * L) MicroKernels.axpy6x2(pa, po, ps, 1, xs, xo + v, TW, jc, ct, c0 + v, T);
            for (; v + L <= width; v += L) MicroKernels.axpy6x1(pa, po, ps, 1, xs, xo + v, TW, jc, ct, c0 + v, T);
        }
    }

    /** Strips of {@code B(k, n) = W[n·K + k]}: each weight row is decoded once per strip and written down a column. */
    private static Strips transposedStrips(Weights w, long wOffset, int K) {
        if (w instanceof Weights.F32 f) {
            float[] data = f.data();
            long base = f.offset() + wOffset;
            return (j0, jc, col, width, strip, stride, row) -> {
                for (int c = 0; c < width; c++) {
                    int src = (int) (base + (long) (col + c) * K + j0);
                    for (int j = 0; j < jc; j++) strip[j * stride + c] = data[src + j];
                }
            };
        }
        return (j0, jc, col, width, strip, stride, row) -> {
            for (int c = 0; c < width; c++) {
                w.toFloat(wOffset + (long) (col + c) * K + j0, row, 0, jc);
                for (int j = 0; j < jc; j++) strip[j * stride + c] = row[j];
            }
        };
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
                                     int K, int N, int t0, int t1, int n0, int n1, Tiles tiles) {
        // Heap float32 weights are read in place; other formats decode one 4-row tile at a time into a small
        // buffer, and that tile then serves every token row of the block.
        float[] heap = w instanceof Weights.F32 f ? f.data() : null;
        long heapBase = w instanceof Weights.F32 f ? f.offset() + wOffset : 0;
        float[] tile = heap == null ? KernelScratch.get(KernelScratch.Slot.DOT_TILE, 4 * Math.min(K, FORWARD_KC)) : null;
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
                    forwardTile(out, outOff, x, xOff, wa, wo, ws, K, N, kc, k0, tb, te, n, rows, add, tiles);
                }
            }
        }
    }

    /** Token rows [tb,te) against {@code rows} (≤ 4) weight rows held in {@code wa} with row stride {@code ws}. */
    private static void forwardTile(float[] out, int outOff, float[] x, int xOff, float[] wa, int wo, int ws,
                                    int K, int N, int kc, int k0, int tb, int te, int n, int rows, boolean add,
                                    Tiles tiles) {
        int t = tb;
        if (rows == 4) {
            if (tiles.dotRows == 4) {
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
        backwardInput(dx, dxOff, dy, dyOff, w, wOff, T, N, K, Tiles.PREFERRED);
    }

    static void backwardInput(float[] dx, int dxOff, float[] dy, int dyOff, float[] w, int wOff, int T, int N, int K,
                              Tiles tiles) {
        checkDims(T, K, N);
        checkRange("dx", dx.length, dxOff, (long) T * K);
        checkRange("dy", dy.length, dyOff, (long) T * N);
        checkRange("w", w.length, wOff, (long) N * K);
        // C = dx (rows t), A(t, n) = dy[t·N + n], B = W (rows n)
        accumulate(dx, dxOff, K, dy, dyOff, N, 1, rowStrips(w, wOff, K), T, N, K, tiles, true);
    }

    /** {@link #backwardInput} on the calling thread alone (see {@link #forwardInTask}). */
    static void backwardInputInTask(float[] dx, float[] dy, float[] w, int T, int N, int K) {
        checkDims(T, K, N);
        accumulate(dx, 0, K, dy, 0, N, 1, rowStrips(w, 0, K), T, N, K, Tiles.PREFERRED, false);
    }

    /** {@code dW[N,K] += dy[T,N]ᵀ · x[T,K]}. */
    public static void backwardWeight(float[] dw, int dwOff, float[] dy, int dyOff, float[] x, int xOff, int T, int N, int K) {
        backwardWeight(dw, dwOff, dy, dyOff, x, xOff, T, N, K, Tiles.PREFERRED);
    }

    static void backwardWeight(float[] dw, int dwOff, float[] dy, int dyOff, float[] x, int xOff, int T, int N, int K,
                               Tiles tiles) {
        checkDims(T, K, N);
        checkRange("dW", dw.length, dwOff, (long) N * K);
        checkRange("dy", dy.length, dyOff, (long) T * N);
        checkRange("x", x.length, xOff, (long) T * K);
        // C = dW (rows n), A(n, t) = dy[t·N + n], B = x (rows t)
        accumulate(dw, dwOff, K, dy, dyOff, 1, N, rowStrips(x, xOff, K), N, T, K, tiles, true);
    }

    /** {@link #backwardWeight} on the calling thread alone (see {@link #forwardInTask}). */
    static void backwardWeightInTask(float[] dw, float[] dy, int dyOff, float[] x, int T, int N, int K) {
        checkDims(T, K, N);
        accumulate(dw, 0, K, dy, dyOff, 1, N, rowStrips(x, 0, K), N, T, K, Tiles.PREFERRED, false);
    }

    /**
     * Where the axpy tiles get B: {@code pack} copies {@code B[j0, j0+jc) × [col, col+width)} into {@code strip} with
     * row stride {@code stride}; {@code row} is a scratch array of at least {@link #AXPY_JC} floats.
     */
    @FunctionalInterface
    private interface Strips {
        void pack(int j0, int jc, int col, int width, float[] strip, int stride, float[] row);
    }

    /** Strips of a row-major B with row stride {@code bs}. */
    private static Strips rowStrips(float[] b, int bOff, int bs) {
        return (j0, jc, col, width, strip, stride, row) -> {
            for (int j = 0; j < jc; j++) System.arraycopy(b, bOff + (j0 + j) * bs + col, strip, j * stride, width);
        };
    }

    /**
     * {@code C[M,W] += A[M,J] · B[J,W]} with A element (i, j) at {@code a[aOff + i·ars + j·acs]} (so both backward
     * orientations read dy in place), B from {@code strips} and C row-major with row stride {@code cs}.
     */
    private static void accumulate(float[] c, int cOff, int cs, float[] a, int aOff, int ars, int acs,
                                   Strips b, int M, int J, int W, Tiles tiles, boolean parallel) {
        if (M == 0 || J == 0 || W == 0) return;
        int R = tiles.axpyRows, TW = tiles.axpyWidth();
        if (!parallel) {
            accumulateBlock(c, cOff, cs, a, aOff, ars, acs, b, J, 0, M, 0, W, tiles);
            return;
        }
        int rowUnits = ceilDiv(M, R), colUnits = ceilDiv(W, TW);
        boolean splitRows = rowUnits >= colUnits;
        long unitFmas = splitRows ? (long) R * J * W : (long) TW * J * M;
        // One chunk per thread: every chunk packs its own copy of each B strip it passes over (and, on AVX2, its A
        // panel), so four chunks a thread cost 10-19 % on the AVX2 path (docs/benchmarks.md).
        Parallel.forRange(splitRows ? rowUnits : colUnits, minUnits(unitFmas), 1, (u0, u1) -> {
            int i0 = splitRows ? R * u0 : 0, i1 = splitRows ? Math.min(M, R * u1) : M;
            int w0 = splitRows ? 0 : TW * u0, w1 = splitRows ? W : Math.min(W, TW * u1);
            accumulateBlock(c, cOff, cs, a, aOff, ars, acs, b, J, i0, i1, w0, w1, tiles);
        });
    }

    /** Rows [i0,i1) × columns [w0,w1) of C, summing over J in L1-sized blocks. */
    private static void accumulateBlock(float[] c, int cOff, int cs, float[] a, int aOff, int ars, int acs,
                                        Strips b, int J, int i0, int i1, int w0, int w1, Tiles tiles) {
        // Each strip of B (jc rows × one tile width) is packed into a contiguous buffer before all row tiles of C use
        // it: read in place, its rows lie far apart, and when their distance is a power of two they all map to the
        // same few L1 sets and evict each other (and transposed weights must be gathered anyway).
        int R = tiles.axpyRows, TW = tiles.axpyWidth();
        float[] strip = KernelScratch.get(KernelScratch.Slot.AXPY_STRIP, AXPY_JC * TW);
        float[] row = KernelScratch.get(KernelScratch.Slot.AXPY_ROW, AXPY_JC);
        // The AVX2 tile reads A from a panel packed once per block of J for all column strips (MicroKernels.axpy2x6
        // says why); the AVX-512 tile reads it in place, which measured faster there than any packed tile. Over one
        // or two strips (the attention backward's products, one head of 32 or 64 floats wide) the panel serves too
        // few strips to repay its packing: there the AVX2 path reads A in place too, 1.2-1.7× as fast.
        boolean narrow = tiles == Tiles.NARROW, packA = narrow && w1 - w0 > 2 * TW;
        int fullTiles = (i1 - i0) / R;
        float[] panel = packA ? KernelScratch.get(KernelScratch.Slot.AXPY_PANEL, fullTiles * R * AXPY_JC) : null;
        for (int j0 = 0; j0 < J; j0 += AXPY_JC) {
            int jc = Math.min(AXPY_JC, J - j0);
            int aj = aOff + j0 * acs;
            if (packA) packPanel(a, aj + i0 * ars, ars, acs, fullTiles * R, R, jc, panel);
            for (int col = w0; col < w1; col += TW) {
                int width = Math.min(TW, w1 - col);
                b.pack(j0, jc, col, width, strip, TW, row);
                int i = i0, tiled = 0;   // rows [i0, i) have columns [0, tiled) of the strip done
                if (packA && width == TW) {
                    for (; i + R <= i1; i += R)
                        MicroKernels.axpy2x6(panel, (i - i0) * jc, strip, jc, c, cOff + i * cs + col, cs);
                    tiled = TW;
                } else if (packA) {
                    // a last strip narrower than the tile (N = 1,024 leaves 16 columns): 4 vectors or a pair
                    tiled = width >= 4 * L ? 4 * L : width >= 2 * L ? 2 * L : 0;
                    for (; tiled > 0 && i + R <= i1; i += R) {
                        int ci = cOff + i * cs + col, ai = (i - i0) * jc;
                        if (tiled == 4 * L) MicroKernels.axpy2x4(panel, ai, strip, jc, c, ci, cs);
                        else MicroKernels.axpy2x2(panel, ai, strip, jc, c, ci, cs);
                    }
                } else if (width == TW && !narrow) {
                    for (; i + R <= i1; i += R)
                        MicroKernels.axpy6x4(a, aj + i * ars, ars, acs, strip, 0, TW, jc, c, cOff + i * cs + col, cs);
                    tiled = TW;
                } else {
                    // A in place, 6 rows × a vector pair at a time: narrow products on AVX2, a narrow strip on AVX-512
                    // (an attention head of 32 floats ran at half this speed one masked vector at a time)
                    tiled = width / (2 * L) * (2 * L);
                    for (; tiled > 0 && i + 6 <= i1; i += 6)
                        for (int v = 0; v < tiled; v += 2 * L)
                            MicroKernels.axpy6x2(a, aj + i * ars, ars, acs, strip, v, TW, jc, c, cOff + i * cs + col + v, cs);
                }
                edges(c, cOff + col, cs, a, aj, ars, acs, strip, TW, jc, i0, i, tiled, width);
                edges(c, cOff + col, cs, a, aj, ars, acs, strip, TW, jc, i, i1, 0, width);
            }
        }
    }

    /**
     * Rows [r0,r1) × strip columns [v0, width) of C that no register tile covered: one vector (masked at the edge)
     * at a time, 4 rows and then single rows.
     */
    private static void edges(float[] c, int c0, int cs, float[] a, int aj, int ars, int acs, float[] strip, int TW,
                              int jc, int r0, int r1, int v0, int width) {
        if (v0 >= width) return;
        int i = r0;
        for (; i + 4 <= r1; i += 4) {
            int ci = c0 + i * cs, ai = aj + i * ars;
            for (int v = v0; v < width; v += L)
                MicroKernels.axpy4x1(a, ai, ars, acs, strip, v, TW, jc, c, ci + v, cs, Math.min(L, width - v));
        }
        for (; i < r1; i++) {
            for (int v = v0; v < width; v += L)
                MicroKernels.axpy1x1(a, aj + i * ars, acs, strip, v, TW, jc, c, c0 + i * cs + v, Math.min(L, width - v));
        }
    }

    /**
     * Rows [0, rows) × columns [0, jc) of A (element (i, j) at {@code a[a0 + i·ars + j·acs]}) into {@code panel}, in
     * tiles of R rows: tile t holds its jc columns one after another, R floats each. The R rows of a tile are read
     * together, so A is walked as R streams whichever of its directions is contiguous, with no index division in the
     * loop (in the training shapes, K of 256, the packing is paid once per 256 columns of C and must stay small).
     */
    private static void packPanel(float[] a, int a0, int ars, int acs, int rows, int R, int jc, float[] panel) {
        for (int t = 0, dst = 0; t + R <= rows; t += R) {
            int src = a0 + t * ars;
            for (int j = 0; j < jc; j++, src += acs)
                for (int r = 0; r < R; r++) panel[dst++] = a[src + r * ars];
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
