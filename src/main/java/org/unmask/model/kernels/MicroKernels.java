package org.unmask.model.kernels;

import org.unmask.compute.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner loops of {@link MatMul}. Two shapes, matching how the operands lie in memory:
 * <ul>
 * <li>dot tiles for {@code C = A·Bᵀ} (both operands contiguous along the summed index): vectors run along K and
 *     every loaded vector is used by several accumulators;</li>
 * <li>axpy tiles for {@code C += A·B} (B contiguous along the output columns): the C tile stays in registers,
 *     each step broadcasts one A element per row and multiplies it by vectors of one B row.</li>
 * </ul>
 * All offsets are in elements; strides are the distance between consecutive rows.
 */
final class MicroKernels {
    private MicroKernels() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();

    // ---- dot tiles: C[r, q] (+)= Σ_k A[r, k]·B[q, k] ----

    /**
     * 4 rows of A against 4 rows of B: 16 accumulators, 8 loads per 16 FMAs (a 1×1 loop needs 2 loads per FMA, which
     * the load ports cannot sustain). Elements past the last full vector are summed in scalar code.
     */
    static void dot4x4(float[] a, int a0, int as, float[] b, int b0, int bs, int kc,
                       float[] c, int c0, int cs, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int a1 = a0 + as, a2 = a1 + as, a3 = a2 + as;
        int b1 = b0 + bs, b2 = b1 + bs, b3 = b2 + bs;
        int end = F.loopBound(kc), k = 0;
        for (; k < end; k += L) {
            FloatVector x0 = FloatVector.fromArray(F, a, a0 + k);
            FloatVector x1 = FloatVector.fromArray(F, a, a1 + k);
            FloatVector x2 = FloatVector.fromArray(F, a, a2 + k);
            FloatVector x3 = FloatVector.fromArray(F, a, a3 + k);
            FloatVector w = FloatVector.fromArray(F, b, b0 + k);
            c00 = x0.fma(w, c00); c10 = x1.fma(w, c10); c20 = x2.fma(w, c20); c30 = x3.fma(w, c30);
            w = FloatVector.fromArray(F, b, b1 + k);
            c01 = x0.fma(w, c01); c11 = x1.fma(w, c11); c21 = x2.fma(w, c21); c31 = x3.fma(w, c31);
            w = FloatVector.fromArray(F, b, b2 + k);
            c02 = x0.fma(w, c02); c12 = x1.fma(w, c12); c22 = x2.fma(w, c22); c32 = x3.fma(w, c32);
            w = FloatVector.fromArray(F, b, b3 + k);
            c03 = x0.fma(w, c03); c13 = x1.fma(w, c13); c23 = x2.fma(w, c23); c33 = x3.fma(w, c33);
        }
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
        put(c, c0,     Simd.sum(c00) + tail(a, a0, b, b0, k, kc), add);
        put(c, c0 + 1, Simd.sum(c01) + tail(a, a0, b, b1, k, kc), add);
        put(c, c0 + 2, Simd.sum(c02) + tail(a, a0, b, b2, k, kc), add);
        put(c, c0 + 3, Simd.sum(c03) + tail(a, a0, b, b3, k, kc), add);
        put(c, c1,     Simd.sum(c10) + tail(a, a1, b, b0, k, kc), add);
        put(c, c1 + 1, Simd.sum(c11) + tail(a, a1, b, b1, k, kc), add);
        put(c, c1 + 2, Simd.sum(c12) + tail(a, a1, b, b2, k, kc), add);
        put(c, c1 + 3, Simd.sum(c13) + tail(a, a1, b, b3, k, kc), add);
        put(c, c2,     Simd.sum(c20) + tail(a, a2, b, b0, k, kc), add);
        put(c, c2 + 1, Simd.sum(c21) + tail(a, a2, b, b1, k, kc), add);
        put(c, c2 + 2, Simd.sum(c22) + tail(a, a2, b, b2, k, kc), add);
        put(c, c2 + 3, Simd.sum(c23) + tail(a, a2, b, b3, k, kc), add);
        put(c, c3,     Simd.sum(c30) + tail(a, a3, b, b0, k, kc), add);
        put(c, c3 + 1, Simd.sum(c31) + tail(a, a3, b, b1, k, kc), add);
        put(c, c3 + 2, Simd.sum(c32) + tail(a, a3, b, b2, k, kc), add);
        put(c, c3 + 3, Simd.sum(c33) + tail(a, a3, b, b3, k, kc), add);
    }

    /**
     * 2 rows of A against 4 rows of B, for CPUs with 16 vector registers (AVX2): a 3×4 tile needs all 16 for its
     * accumulators and operands and the JIT then spills, which measured half the speed of this tile.
     */
    static void dot2x4(float[] a, int a0, int as, float[] b, int b0, int bs, int kc,
                       float[] c, int c0, int cs, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        int a1 = a0 + as;
        int b1 = b0 + bs, b2 = b1 + bs, b3 = b2 + bs;
        int end = F.loopBound(kc), k = 0;
        for (; k < end; k += L) {
            FloatVector x0 = FloatVector.fromArray(F, a, a0 + k);
            FloatVector x1 = FloatVector.fromArray(F, a, a1 + k);
            FloatVector w = FloatVector.fromArray(F, b, b0 + k);
            c00 = x0.fma(w, c00); c10 = x1.fma(w, c10);
            w = FloatVector.fromArray(F, b, b1 + k);
            c01 = x0.fma(w, c01); c11 = x1.fma(w, c11);
            w = FloatVector.fromArray(F, b, b2 + k);
            c02 = x0.fma(w, c02); c12 = x1.fma(w, c12);
            w = FloatVector.fromArray(F, b, b3 + k);
            c03 = x0.fma(w, c03); c13 = x1.fma(w, c13);
        }
        int c1 = c0 + cs;
        put(c, c0,     Simd.sum(c00) + tail(a, a0, b, b0, k, kc), add);
        put(c, c0 + 1, Simd.sum(c01) + tail(a, a0, b, b1, k, kc), add);
        put(c, c0 + 2, Simd.sum(c02) + tail(a, a0, b, b2, k, kc), add);
        put(c, c0 + 3, Simd.sum(c03) + tail(a, a0, b, b3, k, kc), add);
        put(c, c1,     Simd.sum(c10) + tail(a, a1, b, b0, k, kc), add);
        put(c, c1 + 1, Simd.sum(c11) + tail(a, a1, b, b1, k, kc), add);
        put(c, c1 + 2, Simd.sum(c12) + tail(a, a1, b, b2, k, kc), add);
        put(c, c1 + 3, Simd.sum(c13) + tail(a, a1, b, b3, k, kc), add);
    }

    /** One row of A against 4 rows of B; the 4 results go to {@code c[c0 + q·cs]}. */
    static void dot1x4(float[] a, int a0, float[] b, int b0, int bs, int kc,
                       float[] c, int c0, int cs, boolean add) {
        FloatVector c0v = FloatVector.zero(F), c1v = c0v, c2v = c0v, c3v = c0v;
        int b1 = b0 + bs, b2 = b1 + bs, b3 = b2 + bs;
        int end = F.loopBound(kc), k = 0;
        for (; k < end; k += L) {
            FloatVector x = FloatVector.fromArray(F, a, a0 + k);
            c0v = x.fma(FloatVector.fromArray(F, b, b0 + k), c0v);
            c1v = x.fma(FloatVector.fromArray(F, b, b1 + k), c1v);
            c2v = x.fma(FloatVector.fromArray(F, b, b2 + k), c2v);
            c3v = x.fma(FloatVector.fromArray(F, b, b3 + k), c3v);
        }
        put(c, c0,          Simd.sum(c0v) + tail(a, a0, b, b0, k, kc), add);
        put(c, c0 + cs,     Simd.sum(c1v) + tail(a, a0, b, b1, k, kc), add);
        put(c, c0 + 2 * cs, Simd.sum(c2v) + tail(a, a0, b, b2, k, kc), add);
        put(c, c0 + 3 * cs, Simd.sum(c3v) + tail(a, a0, b, b3, k, kc), add);
    }

    /** One row of A against one row of B. */
    static void dot1x1(float[] a, int a0, float[] b, int b0, int kc, float[] c, int ci, boolean add) {
        FloatVector acc = FloatVector.zero(F);
        int end = F.loopBound(kc), k = 0;
        for (; k < end; k += L)
            acc = FloatVector.fromArray(F, a, a0 + k).fma(FloatVector.fromArray(F, b, b0 + k), acc);
        put(c, ci, Simd.sum(acc) + tail(a, a0, b, b0, k, kc), add);
    }

    /** Σ a[a0+k]·b[b0+k] for k in [from, to): the part of a row shorter than a vector. */
    private static float tail(float[] a, int a0, float[] b, int b0, int from, int to) {
        float s = 0;
        for (int k = from; k < to; k++) s += a[a0 + k] * b[b0 + k];
        return s;
    }

    private static void put(float[] c, int i, float v, boolean add) {
        c[i] = add ? c[i] + v : v;
    }

    // ---- axpy tiles: C[r, col..] += Σ_j A(r, j)·B[j, col..], A(r, j) = a[a0 + r·ars + j·acs] ----

    /**
     * 6 rows × 4 vectors of C, the AVX-512 tile: 24 accumulators, 4 B vectors and 1 broadcast fill 29 of the 32
     * registers. Each j loads 4 vectors of B and broadcasts 6 elements of A for 24 FMAs (10 loads per 24 FMAs, where a
     * 4×3 tile needs 7 per 12), and C is read and written once per call.
     */
    static void axpy6x4(float[] a, int a0, int ars, int acs, float[] b, int b0, int bs, int jc,
                        float[] c, int c0, int cs) {
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
        FloatVector c00 = load(c, c0), c01 = load(c, c0 + L), c02 = load(c, c0 + 2 * L), c03 = load(c, c0 + 3 * L);
        FloatVector c10 = load(c, c1), c11 = load(c, c1 + L), c12 = load(c, c1 + 2 * L), c13 = load(c, c1 + 3 * L);
        FloatVector c20 = load(c, c2), c21 = load(c, c2 + L), c22 = load(c, c2 + 2 * L), c23 = load(c, c2 + 3 * L);
        FloatVector c30 = load(c, c3), c31 = load(c, c3 + L), c32 = load(c, c3 + 2 * L), c33 = load(c, c3 + 3 * L);
        FloatVector c40 = load(c, c4), c41 = load(c, c4 + L), c42 = load(c, c4 + 2 * L), c43 = load(c, c4 + 3 * L);
        FloatVector c50 = load(c, c5), c51 = load(c, c5 + L), c52 = load(c, c5 + 2 * L), c53 = load(c, c5 + 3 * L);
        for (int j = 0; j < jc; j++) {
            int bj = b0 + j * bs, aj = a0 + j * acs;
            FloatVector w0 = load(b, bj), w1 = load(b, bj + L), w2 = load(b, bj + 2 * L), w3 = load(b, bj + 3 * L);
            FloatVector g = FloatVector.broadcast(F, a[aj]);
            c00 = g.fma(w0, c00); c01 = g.fma(w1, c01); c02 = g.fma(w2, c02); c03 = g.fma(w3, c03);
            g = FloatVector.broadcast(F, a[aj + ars]);
            c10 = g.fma(w0, c10); c11 = g.fma(w1, c11); c12 = g.fma(w2, c12); c13 = g.fma(w3, c13);
            g = FloatVector.broadcast(F, a[aj + 2 * ars]);
            c20 = g.fma(w0, c20); c21 = g.fma(w1, c21); c22 = g.fma(w2, c22); c23 = g.fma(w3, c23);
            g = FloatVector.broadcast(F, a[aj + 3 * ars]);
            c30 = g.fma(w0, c30); c31 = g.fma(w1, c31); c32 = g.fma(w2, c32); c33 = g.fma(w3, c33);
            g = FloatVector.broadcast(F, a[aj + 4 * ars]);
            c40 = g.fma(w0, c40); c41 = g.fma(w1, c41); c42 = g.fma(w2, c42); c43 = g.fma(w3, c43);
            g = FloatVector.broadcast(F, a[aj + 5 * ars]);
            c50 = g.fma(w0, c50); c51 = g.fma(w1, c51); c52 = g.fma(w2, c52); c53 = g.fma(w3, c53);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L); c02.intoArray(c, c0 + 2 * L); c03.intoArray(c, c0 + 3 * L);
        c10.intoArray(c, c1); c11.intoArray(c, c1 + L); c12.intoArray(c, c1 + 2 * L); c13.intoArray(c, c1 + 3 * L);
        c20.intoArray(c, c2); c21.intoArray(c, c2 + L); c22.intoArray(c, c2 + 2 * L); c23.intoArray(c, c2 + 3 * L);
        c30.intoArray(c, c3); c31.intoArray(c, c3 + L); c32.intoArray(c, c3 + 2 * L); c33.intoArray(c, c3 + 3 * L);
        c40.intoArray(c, c4); c41.intoArray(c, c4 + L); c42.intoArray(c, c4 + 2 * L); c43.intoArray(c, c4 + 3 * L);
        c50.intoArray(c, c5); c51.intoArray(c, c5 + L); c52.intoArray(c, c5 + 2 * L); c53.intoArray(c, c5 + 3 * L);
    }

    /**
     * 6 rows × 2 vectors of C: 12 accumulators, 2 B vectors and 1 broadcast fit the 16 AVX2 registers with one to
     * spare. The AVX2 tile of the weight-row forward, where token strips of 16 make every power-of-two block a
     * whole number of strips; also the 2-vector remainder of wider strips, and {@link MatMul}'s axpy tile for
     * strips narrower than {@link #axpy6x4}'s (AVX-512) and for products only one or two strips wide (AVX2).
     */
    static void axpy6x2(float[] a, int a0, int ars, int acs, float[] b, int b0, int bs, int jc,
                        float[] c, int c0, int cs) {
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
        FloatVector c00 = load(c, c0), c01 = load(c, c0 + L);
        FloatVector c10 = load(c, c1), c11 = load(c, c1 + L);
        FloatVector c20 = load(c, c2), c21 = load(c, c2 + L);
        FloatVector c30 = load(c, c3), c31 = load(c, c3 + L);
        FloatVector c40 = load(c, c4), c41 = load(c, c4 + L);
        FloatVector c50 = load(c, c5), c51 = load(c, c5 + L);
        for (int j = 0; j < jc; j++) {
            int bj = b0 + j * bs, aj = a0 + j * acs;
            FloatVector w0 = load(b, bj), w1 = load(b, bj + L);
            FloatVector g = FloatVector.broadcast(F, a[aj]);
            c00 = g.fma(w0, c00); c01 = g.fma(w1, c01);
            g = FloatVector.broadcast(F, a[aj + ars]);
            c10 = g.fma(w0, c10); c11 = g.fma(w1, c11);
            g = FloatVector.broadcast(F, a[aj + 2 * ars]);
            c20 = g.fma(w0, c20); c21 = g.fma(w1, c21);
            g = FloatVector.broadcast(F, a[aj + 3 * ars]);
            c30 = g.fma(w0, c30); c31 = g.fma(w1, c31);
            g = FloatVector.broadcast(F, a[aj + 4 * ars]);
            c40 = g.fma(w0, c40); c41 = g.fma(w1, c41);
            g = FloatVector.broadcast(F, a[aj + 5 * ars]);
            c50 = g.fma(w0, c50); c51 = g.fma(w1, c51);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L);
        c10.intoArray(c, c1); c11.intoArray(c, c1 + L);
        c20.intoArray(c, c2); c21.intoArray(c, c2 + L);
        c30.intoArray(c, c3); c31.intoArray(c, c3 + L);
        c40.intoArray(c, c4); c41.intoArray(c, c4 + L);
        c50.intoArray(c, c5); c51.intoArray(c, c5 + L);
    }

    /** 6 rows × 1 vector of C: the last vector of a token strip (one broadcast per FMA, so only for remainders). */
    static void axpy6x1(float[] a, int a0, int ars, int acs, float[] b, int b0, int bs, int jc,
                        float[] c, int c0, int cs) {
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs, c4 = c3 + cs, c5 = c4 + cs;
        FloatVector r0 = load(c, c0), r1 = load(c, c1), r2 = load(c, c2), r3 = load(c, c3), r4 = load(c, c4), r5 = load(c, c5);
        for (int j = 0; j < jc; j++) {
            int aj = a0 + j * acs;
            FloatVector w = load(b, b0 + j * bs);
            r0 = FloatVector.broadcast(F, a[aj]).fma(w, r0);
            r1 = FloatVector.broadcast(F, a[aj + ars]).fma(w, r1);
            r2 = FloatVector.broadcast(F, a[aj + 2 * ars]).fma(w, r2);
            r3 = FloatVector.broadcast(F, a[aj + 3 * ars]).fma(w, r3);
            r4 = FloatVector.broadcast(F, a[aj + 4 * ars]).fma(w, r4);
            r5 = FloatVector.broadcast(F, a[aj + 5 * ars]).fma(w, r5);
        }
        r0.intoArray(c, c0); r1.intoArray(c, c1); r2.intoArray(c, c2); r3.intoArray(c, c3); r4.intoArray(c, c4); r5.intoArray(c, c5);
    }

    /** Vectors of C per row of {@link #axpy2x6}: also the row stride of the B strips it, axpy2x4 and axpy2x2 read. */
    static final int PANEL_VECTORS = 6;

    /**
     * 2 rows × 6 vectors of C from a packed panel of A, the AVX2 tile of {@link MatMul}'s axpy products: A(r, j) at
     * {@code ap[a0 + 2·j + r]}, row j of B at {@code b[6L·j ..]}. 12 accumulators, 2 broadcasts and one B vector at a
     * time fit the 16 registers: the tile broadcasts both rows' elements first and then streams B, so C2 has nothing
     * to hoist (a 6-row × 2-vector tile on the same panel let it hoist all six broadcasts and spill accumulators).
     * Each j loads 6 vectors of B and 2 elements of A for 12 FMAs, against 6 loads per 8 FMAs in a 4×2 tile, and
     * the 12 independent sums leave slack over the 8 that two FMA pipes of latency 4 keep busy; in L1, one thread:
     * 90–106 GFLOPS against 84–95 for the 4×2 tile (docs/benchmarks.md).
     */
    static void axpy2x6(float[] ap, int a0, float[] b, int jc, float[] c, int c0, int cs) {
        int c1 = c0 + cs;
        FloatVector c00 = load(c, c0), c01 = load(c, c0 + L), c02 = load(c, c0 + 2 * L);
        FloatVector c03 = load(c, c0 + 3 * L), c04 = load(c, c0 + 4 * L), c05 = load(c, c0 + 5 * L);
        FloatVector c10 = load(c, c1), c11 = load(c, c1 + L), c12 = load(c, c1 + 2 * L);
        FloatVector c13 = load(c, c1 + 3 * L), c14 = load(c, c1 + 4 * L), c15 = load(c, c1 + 5 * L);
        for (int j = 0; j < jc; j++) {
            int bj = j * (PANEL_VECTORS * L), aj = a0 + 2 * j;
            FloatVector g0 = FloatVector.broadcast(F, ap[aj]), g1 = FloatVector.broadcast(F, ap[aj + 1]);
            FloatVector w = load(b, bj);
            c00 = g0.fma(w, c00); c10 = g1.fma(w, c10);
            w = load(b, bj + L);
            c01 = g0.fma(w, c01); c11 = g1.fma(w, c11);
            w = load(b, bj + 2 * L);
            c02 = g0.fma(w, c02); c12 = g1.fma(w, c12);
            w = load(b, bj + 3 * L);
            c03 = g0.fma(w, c03); c13 = g1.fma(w, c13);
            w = load(b, bj + 4 * L);
            c04 = g0.fma(w, c04); c14 = g1.fma(w, c14);
            w = load(b, bj + 5 * L);
            c05 = g0.fma(w, c05); c15 = g1.fma(w, c15);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L); c02.intoArray(c, c0 + 2 * L);
        c03.intoArray(c, c0 + 3 * L); c04.intoArray(c, c0 + 4 * L); c05.intoArray(c, c0 + 5 * L);
        c10.intoArray(c, c1); c11.intoArray(c, c1 + L); c12.intoArray(c, c1 + 2 * L);
        c13.intoArray(c, c1 + 3 * L); c14.intoArray(c, c1 + 4 * L); c15.intoArray(c, c1 + 5 * L);
    }

    /**
     * 2 rows × 4 vectors of C on the panel and strips of {@link #axpy2x6}: a last strip of 4 or 5 vectors.
     */
    static void axpy2x4(float[] ap, int a0, float[] b, int jc, float[] c, int c0, int cs) {
        int c1 = c0 + cs;
        FloatVector c00 = load(c, c0), c01 = load(c, c0 + L), c02 = load(c, c0 + 2 * L), c03 = load(c, c0 + 3 * L);
        FloatVector c10 = load(c, c1), c11 = load(c, c1 + L), c12 = load(c, c1 + 2 * L), c13 = load(c, c1 + 3 * L);
        for (int j = 0; j < jc; j++) {
            int bj = j * (PANEL_VECTORS * L), aj = a0 + 2 * j;
            FloatVector g0 = FloatVector.broadcast(F, ap[aj]), g1 = FloatVector.broadcast(F, ap[aj + 1]);
            FloatVector w = load(b, bj);
            c00 = g0.fma(w, c00); c10 = g1.fma(w, c10);
            w = load(b, bj + L);
            c01 = g0.fma(w, c01); c11 = g1.fma(w, c11);
            w = load(b, bj + 2 * L);
            c02 = g0.fma(w, c02); c12 = g1.fma(w, c12);
            w = load(b, bj + 3 * L);
            c03 = g0.fma(w, c03); c13 = g1.fma(w, c13);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L); c02.intoArray(c, c0 + 2 * L); c03.intoArray(c, c0 + 3 * L);
        c10.intoArray(c, c1); c11.intoArray(c, c1 + L); c12.intoArray(c, c1 + 2 * L); c13.intoArray(c, c1 + 3 * L);
    }

    /**
     * 2 rows × 2 vectors of C on the panel and strips of {@link #axpy2x6}: a last strip of 2 or 3 vectors.
     */
    static void axpy2x2(float[] ap, int a0, float[] b, int jc, float[] c, int c0, int cs) {
        int c1 = c0 + cs;
        FloatVector c00 = load(c, c0), c01 = load(c, c0 + L), c10 = load(c, c1), c11 = load(c, c1 + L);
        for (int j = 0; j < jc; j++) {
            int bj = j * (PANEL_VECTORS * L), aj = a0 + 2 * j;
            FloatVector g0 = FloatVector.broadcast(F, ap[aj]), g1 = FloatVector.broadcast(F, ap[aj + 1]);
            FloatVector w0 = load(b, bj), w1 = load(b, bj + L);
            c00 = g0.fma(w0, c00); c01 = g0.fma(w1, c01);
            c10 = g1.fma(w0, c10); c11 = g1.fma(w1, c11);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L); c10.intoArray(c, c1); c11.intoArray(c, c1 + L);
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(F, a, i);
    }

    /** 4 rows × one vector of C, of which only the first {@code width} (≤ L) columns are touched. */
    static void axpy4x1(float[] a, int a0, int ars, int acs, float[] b, int b0, int bs, int jc,
                        float[] c, int c0, int cs, int width) {
        VectorMask<Float> m = F.indexInRange(0, width);
        int c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
        FloatVector r0 = FloatVector.fromArray(F, c, c0, m), r1 = FloatVector.fromArray(F, c, c1, m);
        FloatVector r2 = FloatVector.fromArray(F, c, c2, m), r3 = FloatVector.fromArray(F, c, c3, m);
        for (int j = 0; j < jc; j++) {
            int aj = a0 + j * acs;
            FloatVector w = FloatVector.fromArray(F, b, b0 + j * bs, m);
            r0 = FloatVector.broadcast(F, a[aj]).fma(w, r0);
            r1 = FloatVector.broadcast(F, a[aj + ars]).fma(w, r1);
            r2 = FloatVector.broadcast(F, a[aj + 2 * ars]).fma(w, r2);
            r3 = FloatVector.broadcast(F, a[aj + 3 * ars]).fma(w, r3);
        }
        r0.intoArray(c, c0, m); r1.intoArray(c, c1, m); r2.intoArray(c, c2, m); r3.intoArray(c, c3, m);
    }

    /** One row × one vector of C, first {@code width} (≤ L) columns. */
    static void axpy1x1(float[] a, int a0, int acs, float[] b, int b0, int bs, int jc, float[] c, int c0, int width) {
        VectorMask<Float> m = F.indexInRange(0, width);
        FloatVector r = FloatVector.fromArray(F, c, c0, m);
        for (int j = 0; j < jc; j++)
            r = FloatVector.broadcast(F, a[a0 + j * acs]).fma(FloatVector.fromArray(F, b, b0 + j * bs, m), r);
        r.intoArray(c, c0, m);
    }
}
