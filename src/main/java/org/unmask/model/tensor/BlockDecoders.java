package org.unmask.model.tensor;

import org.unmask.compute.Simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Decoders of the ggml block formats that Unmask reads but seldom multiplies by: the older 32-weight formats Q4_1,
 * Q5_0 and Q5_1 (llama-quantize's fallback for rows that are not whole K-quant super-blocks), the small K-quants Q2_K
 * and Q3_K (in the Q2_K and Q3_K_S/M/L files people download) and the non-linear IQ4_NL and IQ4_XS. Layouts as in
 * ggml-common.h; every product is evaluated in the order of ggml's dequantize_row functions, so decoded values are
 * bit for bit theirs. Their dot products decode a block into a thread's buffer and dot it there; the GEMM tiles call
 * the decoders directly ({@link Weights.MappedBlocks}).
 *
 * <p>The vector paths work on sixteen bytes at a time (a 128-bit byte vector: the 16 quants of a 32-weight block,
 * the 16 weights under one Q2_K/Q3_K scale), widened into one float vector (16 lanes) or two (8 lanes).
 */
final class BlockDecoders {
    private BlockDecoders() {}

    private static final ValueLayout.OfShort I16_LE = Weights.I16_LE;
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = F.length();
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** Float vectors per sixteen bytes. */
    private static final int PARTS = 16 / Math.max(1, L);
    /** The vector paths need 8 or 16 float lanes: sixteen bytes widen into whole float vectors. */
    static final boolean VECTOR = L == 8 || L == 16;
    /** Each byte value's 8 bits spread over 8 bytes as 0 or 16: Q5's fifth bits, eight lanes per lookup. */
    private static final long[] SPREAD = new long[256];
    static {
        for (int b = 0; b < 256; b++)
            for (int i = 0; i < 8; i++) SPREAD[b] |= (long) ((b >> i) & 1) << (8 * i + 4);
    }
    /** IQ4_NL's and IQ4_XS's 16 levels (ggml's kvalues_iq4nl): a non-uniform grid, denser near zero. */
    private static final byte[] IQ4_LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private static float f16(MemorySegment seg, long at) {
        return Float.float16ToFloat(seg.get(I16_LE, at));
    }

    private static int u8(MemorySegment seg, long at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static ByteVector sixteen(MemorySegment seg, long at) {
        return ByteVector.fromMemorySegment(B16, seg, at, ByteOrder.LITTLE_ENDIAN);
    }

    /** Part {@code p} of sixteen byte lanes (signed) as floats. */
    private static FloatVector widen(ByteVector v, int p) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, p);
    }

    // ---- 32-weight blocks with a min or a fifth bit ----

    /**
     * Q4_1 {@code {f16 d; f16 m; uint8 qs[16]}} (20 bytes): weight j in the low nibble of {@code qs[j]}, weight 16+j
     * in its high nibble; value {@code q·d + m}.
     */
    static void decodeQ4_1(MemorySegment seg, long block, float[] dst, int o) {
        long base = block * 20;
        float d = f16(seg, base), m = f16(seg, base + 2);
        if (VECTOR) {
            ByteVector q = sixteen(seg, base + 4);
            ByteVector lo = q.and((byte) 0xF), hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF);
            for (int p = 0; p < PARTS; p++) {
                widen(lo, p).mul(d).add(m).intoArray(dst, o + p * L);
                widen(hi, p).mul(d).add(m).intoArray(dst, o + 16 + p * L);
            }
            return;
        }
        for (int j = 0; j < 16; j++) {
            int q = u8(seg, base + 4 + j);
            dst[o + j] = (q & 0xF) * d + m;
            dst[o + 16 + j] = (q >> 4) * d + m;
        }
    }

    /**
     * Q5_0 {@code {f16 d; uint8 qh[4]; uint8 qs[16]}} (22 bytes): Q4_1's nibbles with a fifth bit, bit j (weight j)
     * or bit 16+j (weight 16+j) of the little-endian word {@code qh}; value {@code d·(q − 16)}.
     */
    static void decodeQ5_0(MemorySegment seg, long block, float[] dst, int o) {
        decodeQ5(seg, block * 22, false, dst, o);
    }

    /** Q5_1 {@code {f16 d; f16 m; uint8 qh[4]; uint8 qs[16]}} (24 bytes): Q5_0's quants with a min; value {@code q·d + m}. */
    static void decodeQ5_1(MemorySegment seg, long block, float[] dst, int o) {
        decodeQ5(seg, block * 24, true, dst, o);
    }

    private static void decodeQ5(MemorySegment seg, long base, boolean withMin, float[] dst, int o) {
        float d = f16(seg, base), m = withMin ? f16(seg, base + 2) : 0;
        long at = base + (withMin ? 4 : 2);
        int qh = seg.get(I32_LE, at);
        if (VECTOR) {
            ByteVector q = sixteen(seg, at + 4);
            ByteVector lo = q.and((byte) 0xF).or(fifth(qh & 0xFF, (qh >>> 8) & 0xFF));
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).or(fifth((qh >>> 16) & 0xFF, qh >>> 24));
            for (int p = 0; p < PARTS; p++) {
                FloatVector x0 = widen(lo, p), x1 = widen(hi, p);
                if (withMin) {
                    x0.mul(d).add(m).intoArray(dst, o + p * L);
                    x1.mul(d).add(m).intoArray(dst, o + 16 + p * L);
                } else {
                    x0.sub(16).mul(d).intoArray(dst, o + p * L);
                    x1.sub(16).mul(d).intoArray(dst, o + 16 + p * L);
                }
            }
            return;
        }
        for (int j = 0; j < 16; j++) {
            int q = u8(seg, at + 4 + j);
            int x0 = (q & 0xF) | ((qh >>> j) & 1) << 4, x1 = (q >> 4) | ((qh >>> (j + 16)) & 1) << 4;
            dst[o + j] = withMin ? x0 * d + m : (x0 - 16) * d;
            dst[o + 16 + j] = withMin ? x1 * d + m : (x1 - 16) * d;
        }
    }

    /** Sixteen lanes of 0 or 16: the bits of {@code low} (lanes 0-7) and {@code high} (lanes 8-15). */
    private static ByteVector fifth(int low, int high) {
        return LongVector.zero(LongVector.SPECIES_128).withLane(0, SPREAD[low]).withLane(1, SPREAD[high]).reinterpretAsBytes();
    }

    // ---- small K-quants: super-blocks of 256 in 16 groups of 16 ----

    /**
     * Q2_K {@code {uint8 scales[16]; uint8 qs[64]; f16 d; f16 dmin}} (84 bytes): in each half of 128 weights, group
     * 2k + u (k = 0..3, u = 0..1) holds weights 32k + 16u + l with 2 bits at bit 2k of {@code qs[32·half + 16u + l]},
     * scale byte {@code scales[8·half + 2k + u]} = 4-bit scale | 4-bit min &lt;&lt; 4; value
     * {@code (d·scale)·q − dmin·min}.
     */
    static void decodeQ2K(MemorySegment seg, long block, float[] dst, int o) {
        long base = block * 84;
        float d = f16(seg, base + 80), dmin = f16(seg, base + 82);
        for (int g = 0; g < 16; g++) {
            int half = g / 8, k = (g % 8) / 2, u = g % 2;
            int sc = u8(seg, base + g);
            float dl = d * (sc & 0xF), ml = dmin * (sc >> 4);
            long q = base + 16 + 32 * half + 16 * u;
            int y = o + 128 * half + 32 * k + 16 * u;
            if (VECTOR) {
                ByteVector v = sixteen(seg, q).lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3);
                for (int p = 0; p < PARTS; p++) widen(v, p).mul(dl).sub(ml).intoArray(dst, y + p * L);
            } else {
                for (int l = 0; l < 16; l++) dst[y + l] = dl * ((u8(seg, q + l) >> (2 * k)) & 3) - ml;
            }
        }
    }

    /**
     * Q3_K {@code {uint8 hmask[32]; uint8 qs[64]; uint8 scales[12]; f16 d}} (110 bytes): Q2_K's 2-bit layout in
     * {@code qs} with a third bit, bit 4·half + k of {@code hmask[16u + l]}, which when clear subtracts 4; 16 signed
     * 6-bit scales (stored + 32): scale g has its low 4 bits in the low (g &lt; 8) or high nibble of byte g mod 8 and
     * its top 2 bits at bit 2·(g / 4) of byte 8 + g mod 4; value {@code (d·(scale − 32))·q}.
     */
    static void decodeQ3K(MemorySegment seg, long block, float[] dst, int o) {
        long base = block * 110;
        float d = f16(seg, base + 108);
        for (int g = 0; g < 16; g++) {
            int half = g / 8, k = (g % 8) / 2, u = g % 2;
            int low = u8(seg, base + 96 + g % 8) >> (g < 8 ? 0 : 4) & 0xF;
            int top = (u8(seg, base + 96 + 8 + g % 4) >> (2 * (g / 4))) & 3;
            float dl = d * ((low | top << 4) - 32);
            long q = base + 32 + 32 * half + 16 * u, hm = base + 16 * u;
            int bit = 4 * half + k, y = o + 128 * half + 32 * k + 16 * u;
            if (VECTOR) {
                ByteVector v = sixteen(seg, q).lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3)
                        .add(sixteen(seg, hm).lanewise(VectorOperators.LSHR, bit).and((byte) 1).lanewise(VectorOperators.LSHL, 2))
                        .sub((byte) 4);
                for (int p = 0; p < PARTS; p++) widen(v, p).mul(dl).intoArray(dst, y + p * L);
            } else {
                for (int l = 0; l < 16; l++) {
                    int level = ((u8(seg, q + l) >> (2 * k)) & 3) - (((u8(seg, hm + l) >> bit) & 1) != 0 ? 0 : 4);
                    dst[y + l] = dl * level;
                }
            }
        }
    }

    // ---- non-linear 4-bit levels ----

    /** IQ4_NL {@code {f16 d; uint8 qs[16]}} (18 bytes): Q4_0's nibble layout indexing {@link #IQ4_LEVELS}; value {@code d·level}. */
    static void decodeIq4Nl(MemorySegment seg, long block, float[] dst, int o) {
        long base = block * 18;
        iq4Group(seg, base + 2, f16(seg, base), dst, o);
    }

    /**
     * IQ4_XS {@code {f16 d; uint16 scales_h; uint8 scales_l[4]; uint8 qs[128]}} (136 bytes): 8 IQ4_NL groups of 32
     * without their own f16, each under a 6-bit scale (stored + 32) whose low 4 bits are nibble g mod 2 of
     * {@code scales_l[g / 2]} and top 2 bits bits 2g, 2g+1 of {@code scales_h}; value {@code (d·(scale − 32))·level}.
     */
    static void decodeIq4Xs(MemorySegment seg, long block, float[] dst, int o) {
        long base = block * 136;
        float d = f16(seg, base);
        int high = seg.get(I16_LE, base + 2) & 0xFFFF;
        for (int g = 0; g < 8; g++) {
            int ls = (u8(seg, base + 4 + g / 2) >> (4 * (g % 2)) & 0xF) | ((high >> (2 * g)) & 3) << 4;
            iq4Group(seg, base + 8 + 16 * g, d * (ls - 32), dst, o + 32 * g);
        }
    }

    /** 32 weights from the 16 bytes at {@code qs} (low nibbles first), each {@code dl·level}. */
    private static void iq4Group(MemorySegment seg, long qs, float dl, float[] dst, int o) {
        if (VECTOR) {
            ByteVector levels = ByteVector.fromArray(B16, IQ4_LEVELS, 0), q = sixteen(seg, qs);
            ByteVector lo = levels.rearrange(q.and((byte) 0xF).toShuffle());
            ByteVector hi = levels.rearrange(q.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).toShuffle());
            for (int p = 0; p < PARTS; p++) {
                widen(lo, p).mul(dl).intoArray(dst, o + p * L);
                widen(hi, p).mul(dl).intoArray(dst, o + 16 + p * L);
            }
            return;
        }
        for (int j = 0; j < 16; j++) {
            int q = u8(seg, qs + j);
            dst[o + j] = dl * IQ4_LEVELS[q & 0xF];
            dst[o + 16 + j] = dl * IQ4_LEVELS[q >> 4];
        }
    }

    // ---- dot products through a decoded block ----

    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[256]);

    /**
     * Weights [off, off+n) of a format with blocks of {@code blockSize} dotted with {@code x[xo..]}: each block decoded
     * into a thread's buffer (at most 1 KB, in L1) and dotted there.
     */
    static float dotDecoded(MemorySegment seg, long off, float[] x, int xo, int n, int blockSize, Blocks.SuperBlock format) {
        float[] buf = BLOCK.get();
        if (!VECTOR) {
            float s = 0;
            for (int b = 0; b < n / blockSize; b++) {
                format.decode(seg, off / blockSize + b, buf, 0);
                for (int j = 0; j < blockSize; j++) s += buf[j] * x[xo + b * blockSize + j];
            }
            return s;
        }
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;   // two chains: one FMA's latency would bound a single one
        for (int b = 0; b < n / blockSize; b++) {
            format.decode(seg, off / blockSize + b, buf, 0);
            int xb = xo + b * blockSize;
            for (int j = 0; j < blockSize; j += 2 * L) {
                acc0 = FloatVector.fromArray(F, buf, j).fma(FloatVector.fromArray(F, x, xb + j), acc0);
                acc1 = FloatVector.fromArray(F, buf, j + L).fma(FloatVector.fromArray(F, x, xb + j + L), acc1);
            }
        }
        return Simd.sum(acc0.add(acc1));
    }
}
