package org.unmask.model.tensor;

import org.unmask.compute.Simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Decoding of ggml's block formats (layouts as in ggml-common.h): Q8_0 {@code {f16 d; int8 q[32]}} with value
 * {@code d·q}; Q4_0 {@code {f16 d; uint8 qs[16]}} with element j in the low nibble of {@code qs[j]} and element
 * 16+j in its high nibble, value {@code d·(nibble − 8)}; and the K-quants Q4_K, Q5_K and Q6_K, super-blocks of 256
 * weights whose sub-blocks carry their own quantized scales (each decoder below gives its layout). Every product is
 * evaluated in the order of ggml's reference dequantizers, so decoded values are bit for bit theirs. All offsets here
 * are element indices on block boundaries.
 */
final class Blocks {
    private Blocks() {}

    private static final ValueLayout.OfShort I16_LE = Weights.I16_LE;
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = F.length();
    /** Bytes with as many lanes as {@link #F}: one load converts to exactly one float vector. */
    private static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** The vector paths need whole byte vectors of at least 64 bits and at most 16 lanes (half a Q4_0 block). */
    static final boolean VECTOR = L >= 8 && L <= 16;

    static float scale(MemorySegment seg, long byteOffset) {
        return Float.float16ToFloat(seg.get(I16_LE, byteOffset));
    }

    // ---- Q8_0 ----

    static float getQ8(MemorySegment seg, long i) {
        long base = (i / 32) * 34;
        return scale(seg, base) * seg.get(ValueLayout.JAVA_BYTE, base + 2 + i % 32);
    }

    static float dotQ8(MemorySegment seg, long off, float[] x, int xo, int n) {
        long b0 = off / 32;
        int nb = n / 32;
        if (!VECTOR) {
            float s = 0;
            for (int b = 0; b < nb; b++) {
                long base = (b0 + b) * 34;
                float d = scale(seg, base), blk = 0;
                for (int j = 0; j < 32; j++) blk += seg.get(ValueLayout.JAVA_BYTE, base + 2 + j) * x[xo + b * 32 + j];
                s += d * blk;
            }
            return s;
        }
        // two accumulators (even and odd blocks): the per-block scale FMA is a dependency chain otherwise
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            acc0 = blockQ8(seg, (b0 + b) * 34, x, xo + b * 32).fma(FloatVector.broadcast(F, scale(seg, (b0 + b) * 34)), acc0);
            acc1 = blockQ8(seg, (b0 + b + 1) * 34, x, xo + b * 32 + 32).fma(FloatVector.broadcast(F, scale(seg, (b0 + b + 1) * 34)), acc1);
        }
        if (b < nb) acc0 = blockQ8(seg, (b0 + b) * 34, x, xo + b * 32).fma(FloatVector.broadcast(F, scale(seg, (b0 + b) * 34)), acc0);
        return Simd.sum(acc0.add(acc1));
    }

    /** The products of one Q8_0 block's weights (unscaled) with {@code x[xb..xb+32)}, summed lane-wise. */
    private static FloatVector blockQ8(MemorySegment seg, long blockByte, float[] x, int xb) {
        FloatVector blk = bytes(seg, blockByte + 2).mul(FloatVector.fromArray(F, x, xb));
        for (int j = L; j < 32; j += L) blk = bytes(seg, blockByte + 2 + j).fma(FloatVector.fromArray(F, x, xb + j), blk);
        return blk;
    }

    static void toFloatQ8(MemorySegment seg, long off, float[] dst, int dOff, int n) {
        long b0 = off / 32;
        int nb = n / 32;
        for (int b = 0; b < nb; b++) {
            long base = (b0 + b) * 34;
            float d = scale(seg, base);
            int o = dOff + b * 32;
            if (VECTOR) {
                FloatVector dv = FloatVector.broadcast(F, d);
                for (int j = 0; j < 32; j += L) bytes(seg, base + 2 + j).mul(dv).intoArray(dst, o + j);
            } else {
                for (int j = 0; j < 32; j++) dst[o + j] = d * seg.get(ValueLayout.JAVA_BYTE, base + 2 + j);
            }
        }
    }

    /** {@code L} signed bytes from {@code byteOffset} as floats. */
    private static FloatVector bytes(MemorySegment seg, long byteOffset) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, byteOffset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2F, F, 0);
    }

    // ---- Q4_0 ----

    static float getQ4(MemorySegment seg, long i) {
        long base = (i / 32) * 18;
        int j = (int) (i % 32);
        int q = seg.get(ValueLayout.JAVA_BYTE, base + 2 + (j & 15)) & 0xFF;
        return scale(seg, base) * ((j < 16 ? q & 0xF : q >>> 4) - 8);
    }

    static float dotQ4(MemorySegment seg, long off, float[] x, int xo, int n) {
        long b0 = off / 32;
        int nb = n / 32;
        if (!VECTOR) {
            float s = 0;
            for (int b = 0; b < nb; b++) {
                long base = (b0 + b) * 18;
                float blk = 0;
                for (int j = 0; j < 16; j++) {
                    int q = seg.get(ValueLayout.JAVA_BYTE, base + 2 + j) & 0xFF;
                    blk += ((q & 0xF) - 8) * x[xo + b * 32 + j] + ((q >>> 4) - 8) * x[xo + b * 32 + 16 + j];
                }
                s += scale(seg, base) * blk;
            }
            return s;
        }
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            acc0 = blockQ4(seg, (b0 + b) * 18, x, xo + b * 32).fma(FloatVector.broadcast(F, scale(seg, (b0 + b) * 18)), acc0);
            acc1 = blockQ4(seg, (b0 + b + 1) * 18, x, xo + b * 32 + 32).fma(FloatVector.broadcast(F, scale(seg, (b0 + b + 1) * 18)), acc1);
        }
        if (b < nb) acc0 = blockQ4(seg, (b0 + b) * 18, x, xo + b * 32).fma(FloatVector.broadcast(F, scale(seg, (b0 + b) * 18)), acc0);
        return Simd.sum(acc0.add(acc1));
    }

    /** The products of one Q4_0 block's weights (unscaled, offset removed) with {@code x[xb..xb+32)}, summed lane-wise. */
    private static FloatVector blockQ4(MemorySegment seg, long blockByte, float[] x, int xb) {
        FloatVector blk = FloatVector.zero(F);
        for (int j = 0; j < 16; j += L) {
            ByteVector q = ByteVector.fromMemorySegment(B, seg, blockByte + 2 + j, ByteOrder.LITTLE_ENDIAN);
            blk = low(q).fma(FloatVector.fromArray(F, x, xb + j), blk);
            blk = high(q).fma(FloatVector.fromArray(F, x, xb + 16 + j), blk);
        }
        return blk;
    }

    static void toFloatQ4(MemorySegment seg, long off, float[] dst, int dOff, int n) {
        long b0 = off / 32;
        int nb = n / 32;
        for (int b = 0; b < nb; b++) {
            long base = (b0 + b) * 18;
            float d = scale(seg, base);
            int o = dOff + b * 32;
            if (VECTOR) {
                FloatVector dv = FloatVector.broadcast(F, d);
                for (int j = 0; j < 16; j += L) {
                    ByteVector q = ByteVector.fromMemorySegment(B, seg, base + 2 + j, ByteOrder.LITTLE_ENDIAN);
                    low(q).mul(dv).intoArray(dst, o + j);
                    high(q).mul(dv).intoArray(dst, o + 16 + j);
                }
            } else {
                for (int j = 0; j < 16; j++) {
                    int q = seg.get(ValueLayout.JAVA_BYTE, base + 2 + j) & 0xFF;
                    dst[o + j] = d * ((q & 0xF) - 8);
                    dst[o + 16 + j] = d * ((q >>> 4) - 8);
                }
            }
        }
    }

    private static FloatVector low(ByteVector q) {
        return (FloatVector) q.and((byte) 0xF).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector high(ByteVector q) {
        return (FloatVector) q.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).sub((byte) 8)
                .convertShape(VectorOperators.B2F, F, 0);
    }

    // ---- K-quants: super-blocks of 256 weights ----
    //
    // Each format has a decoder (decodeQ4K/Q5K/Q6K: the GEMM tiles' input) and a fused dot (dotQ4K/Q5K/Q6K: the
    // matrix-vector products, bound by weight bandwidth, which a round trip through a buffer would cut by four). The
    // two share the per-chunk level functions; their loops are kept separate and small so that C2 inlines every
    // vector operation (a vector that crosses a call it does not inline is boxed, a hundredfold slowdown).

    /** Decodes one (super-)block of a format into {@code dst[o .. o + block size)}. */
    @FunctionalInterface
    interface SuperBlock {
        void decode(MemorySegment seg, long block, float[] dst, int o);
    }

    /** Element {@code i} of a format read through a block decoder (decodes its whole block). */
    static float getDecoded(MemorySegment seg, long i, int blockSize, SuperBlock format) {
        float[] one = new float[blockSize];
        format.decode(seg, i / blockSize, one, 0);
        return one[(int) (i % blockSize)];
    }

    static void toFloatDecoded(MemorySegment seg, long off, float[] dst, int dOff, int n, int blockSize, SuperBlock format) {
        for (int b = 0; b < n / blockSize; b++) format.decode(seg, off / blockSize + b, dst, dOff + b * blockSize);
    }

    /** The scalar path's dot: each super-block decoded into a thread's buffer and dotted there. */
    private static float dotDecoded(MemorySegment seg, long off, float[] x, int xo, int n, SuperBlock format) {
        return BlockDecoders.dotDecoded(seg, off, x, xo, n, 256, format);
    }

    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The 6-bit scales and mins of Q4_K/Q5_K's 8 sub-blocks from their 12 packed bytes at {@code at}, as
     * {@code scale | min << 8} per sub-block j in byte pairs of the result (ggml's get_scale_min_k4): sub-blocks 0-3
     * keep theirs in the low 6 bits of bytes j and j+4; 4-7 in the nibbles of byte j+4 with their top two bits in
     * the high bits of bytes j-4 (scale) and j (min). Two loads, the rest in registers.
     */
    private static long[] scalesK4(MemorySegment seg, long at, long[] out) {
        long lo = seg.get(I64_LE, at);
        int hi = seg.get(I32_LE, at + 8);
        for (int j = 0; j < 8; j++) out[j] = scaleMinK4(lo, hi, j);
        return out;
    }

    /** Sub-block j's {@code scale | min << 8} from the 12 scale bytes read as a little-endian long and int. */
    private static int scaleMinK4(long lo, int hi, int j) {
        int sc, m;
        if (j < 4) {
            sc = (int) (lo >>> (8 * j)) & 63;
            m = (int) (lo >>> (8 * (j + 4))) & 63;
        } else {
            int b = (hi >>> (8 * (j - 4))) & 0xFF;
            sc = (b & 0xF) | ((int) (lo >>> (8 * (j - 4) + 6)) & 3) << 4;
            m = (b >>> 4) | ((int) (lo >>> (8 * j + 6)) & 3) << 4;
        }
        return sc | m << 8;
    }

    private static int u8(MemorySegment seg, long at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static ByteVector byteChunk(MemorySegment seg, long at) {
        return ByteVector.fromMemorySegment(B, seg, at, ByteOrder.LITTLE_ENDIAN);
    }

    /** Q6_K levels −32..31: 4 low bits with the 2 bits of {@code h} at {@code shift} on top, minus 32. */
    private static FloatVector sixBits(ByteVector low, ByteVector h, int shift) {
        ByteVector high = h.lanewise(VectorOperators.LSHR, shift).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        return (FloatVector) low.or(high).sub((byte) 32).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Q4_K {@code {f16 d; f16 dmin; uint8 scales[12]; uint8 qs[128]}} (144 bytes): sub-blocks of 32 with 6-bit scale
     * sc and min m; in each 64 weights, byte l of their 32 holds weight l in its low and weight 32+l in its high nibble;
     * value {@code (d·sc)·q − dmin·m}, as ggml's dequantize_row_q4_K computes it.
     */
    static void decodeQ4K(MemorySegment seg, long block, float[] dst, int o) {
        decodeQ45K(seg, block * 144, false, dst, o);
    }

    /**
     * Q5_K {@code {f16 d; f16 dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]}} (176 bytes): Q4_K's layout plus a
     * fifth bit per weight, bit 2p (low nibbles) or 2p+1 (high nibbles) of {@code qh[l]} for the p-th 64 weights.
     */
    static void decodeQ5K(MemorySegment seg, long block, float[] dst, int o) {
        decodeQ45K(seg, block * 176, true, dst, o);
    }

    static float dotQ4K(MemorySegment seg, long off, float[] x, int xo, int n) {
        return VECTOR ? dotQ45K(seg, off, false, x, xo, n) : dotDecoded(seg, off, x, xo, n, Blocks::decodeQ4K);
    }

    static float dotQ5K(MemorySegment seg, long off, float[] x, int xo, int n) {
        return VECTOR ? dotQ45K(seg, off, true, x, xo, n) : dotDecoded(seg, off, x, xo, n, Blocks::decodeQ5K);
    }

    /** The Q4_K or ({@code five}) Q5_K super-block at byte {@code base} into {@code dst[o .. o+256)}. */
    private static void decodeQ45K(MemorySegment seg, long base, boolean five, float[] dst, int o) {
        long qh = base + 16;
        float d = scale(seg, base), dmin = scale(seg, base + 2);
        long[] sm = scalesK4(seg, base + 4, new long[8]);
        for (int pair = 0; pair < 4; pair++) {
            long qs = base + (five ? 48 : 16) + pair * 32;
            int y = o + pair * 64;
            float d1 = d * (sm[2 * pair] & 63), m1 = dmin * (sm[2 * pair] >> 8);
            float d2 = d * (sm[2 * pair + 1] & 63), m2 = dmin * (sm[2 * pair + 1] >> 8);
            if (VECTOR) {
                for (int l = 0; l < 32; l += L) {
                    ByteVector q = byteChunk(seg, qs + l);
                    ByteVector lo = q.and((byte) 0xF), hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF);
                    if (five) {
                        ByteVector h = byteChunk(seg, qh + l);
                        lo = lo.or(fifthBit(h, 2 * pair));
                        hi = hi.or(fifthBit(h, 2 * pair + 1));
                    }
                    levels(lo).mul(d1).sub(m1).intoArray(dst, y + l);
                    levels(hi).mul(d2).sub(m2).intoArray(dst, y + 32 + l);
                }
            } else {
                for (int l = 0; l < 32; l++) {
                    int q = u8(seg, qs + l), h = five ? u8(seg, qh + l) : 0;
                    dst[y + l] = d1 * ((q & 0xF) + ((h >> (2 * pair)) & 1) * 16) - m1;
                    dst[y + 32 + l] = d2 * ((q >> 4) + ((h >> (2 * pair + 1)) & 1) * 16) - m2;
                }
            }
        }
    }

    /**
     * Q4_K or ({@code five}) Q5_K weights [off, off+n) dotted with {@code x[xo..]}: one method with both chains, so
     * that no vector crosses a call C2 might not inline.
     */
    private static float dotQ45K(MemorySegment seg, long off, boolean five, float[] x, int xo, int n) {
        FloatVector low = FloatVector.zero(F), high = low;   // two chains: one FMA's latency would bound a single one
        int bytes = five ? 176 : 144;
        for (int b = 0; b < n / 256; b++) {
            long base = (off / 256 + b) * bytes, qh = base + 16;
            float d = scale(seg, base), dmin = scale(seg, base + 2);
            long packedLo = seg.get(I64_LE, base + 4);
            int packedHi = seg.get(I32_LE, base + 12);
            for (int pair = 0; pair < 4; pair++) {
                long qs = base + (five ? 48 : 16) + pair * 32;
                int xp = xo + b * 256 + pair * 64;
                int sm1 = scaleMinK4(packedLo, packedHi, 2 * pair), sm2 = scaleMinK4(packedLo, packedHi, 2 * pair + 1);
                // (d·sc)·q − dmin·m as one FMA per lane: the products round once rather than twice
                FloatVector d1 = FloatVector.broadcast(F, d * (sm1 & 63)), m1 = FloatVector.broadcast(F, -dmin * (sm1 >> 8));
                FloatVector d2 = FloatVector.broadcast(F, d * (sm2 & 63)), m2 = FloatVector.broadcast(F, -dmin * (sm2 >> 8));
                for (int l = 0; l < 32; l += L) {
                    ByteVector q = byteChunk(seg, qs + l);
                    ByteVector lo = q.and((byte) 0xF), hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF);
                    if (five) {
                        ByteVector h = byteChunk(seg, qh + l);
                        lo = lo.or(fifthBit(h, 2 * pair));
                        hi = hi.or(fifthBit(h, 2 * pair + 1));
                    }
                    low = levels(lo).fma(d1, m1).fma(FloatVector.fromArray(F, x, xp + l), low);
                    high = levels(hi).fma(d2, m2).fma(FloatVector.fromArray(F, x, xp + 32 + l), high);
                }
            }
        }
        return Simd.sum(low.add(high));
    }

    /** 16 in the lanes where bit {@code bit} of {@code h} is set. */
    private static ByteVector fifthBit(ByteVector h, int bit) {
        return h.lanewise(VectorOperators.LSHR, bit).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
    }

    /** Small non-negative byte lanes (0..63) as floats. */
    private static FloatVector levels(ByteVector q) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Q6_K {@code {uint8 ql[128]; uint8 qh[64]; int8 scales[16]; f16 d}} (210 bytes): in each half of 128 weights,
     * weight 32g + l has 4 low bits from {@code ql[l + 32·(g odd)]} (the high nibble for g ≥ 2) and 2 high bits at
     * bit 2g of {@code qh[l]}, scale {@code scales[l/16 + 2g]}; value {@code (d·scale)·(q − 32)}, as ggml's
     * dequantize_row_q6_K computes it.
     */
    static void decodeQ6K(MemorySegment seg, long block, float[] dst, int o) {
        long base = block * 210;
        float d = scale(seg, base + 208);
        for (int half = 0; half < 2; half++) {
            long ql = base + half * 64, qh = base + 128 + half * 32, sc = base + 192 + half * 8;
            int y = o + half * 128;
            if (VECTOR) {
                // quarter g of the half: low bits from ql[l + 32·(g odd)] (high nibble for g ≥ 2), high bits at 2g of qh[l];
                // a loop rather than four copies keeps C2 under its inlining node budget (a call it does not inline
                // boxes every vector: a hundredfold slowdown)
                for (int l = 0; l < 32; l += L) {   // a chunk of L ≤ 16 lanes never straddles the scale change at 16
                    long s = sc + l / 16;
                    ByteVector h = byteChunk(seg, qh + l);
                    for (int g = 0; g < 4; g++) {
                        ByteVector lo = byteChunk(seg, ql + l + 32 * (g & 1));
                        if (g >= 2) lo = lo.lanewise(VectorOperators.LSHR, 4);
                        sixBits(lo.and((byte) 0xF), h, 2 * g).mul(d * seg.get(ValueLayout.JAVA_BYTE, s + 2 * g))
                                .intoArray(dst, y + l + 32 * g);
                    }
                }
                continue;
            }
            for (int l = 0; l < 32; l++) {
                long s = sc + l / 16;
                int lo0 = u8(seg, ql + l), lo1 = u8(seg, ql + l + 32);
                int h = u8(seg, qh + l);
                int q1 = ((lo0 & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((lo1 & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((lo0 >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((lo1 >> 4) | (((h >> 6) & 3) << 4)) - 32;
                dst[y + l] = d * seg.get(ValueLayout.JAVA_BYTE, s) * q1;
                dst[y + l + 32] = d * seg.get(ValueLayout.JAVA_BYTE, s + 2) * q2;
                dst[y + l + 64] = d * seg.get(ValueLayout.JAVA_BYTE, s + 4) * q3;
                dst[y + l + 96] = d * seg.get(ValueLayout.JAVA_BYTE, s + 6) * q4;
            }
        }
    }

    static float dotQ6K(MemorySegment seg, long off, float[] x, int xo, int n) {
        if (!VECTOR) return dotDecoded(seg, off, x, xo, n, Blocks::decodeQ6K);
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < n / 256; b++) {
            long base = (off / 256 + b) * 210;
            float d = scale(seg, base + 208);
            for (int half = 0; half < 2; half++) {
                long ql = base + half * 64, qh = base + 128 + half * 32, sc = base + 192 + half * 8;
                int xb = xo + b * 256 + half * 128;
                for (int l = 0; l < 32; l += L) {
                    long s = sc + l / 16;
                    ByteVector h = byteChunk(seg, qh + l);
                    for (int g = 0; g < 2; g++) {   // a loop, as in decodeQ6K; quarters g and g + 2 share their bytes
                        ByteVector q = byteChunk(seg, ql + l + 32 * g);
                        FloatVector w0 = sixBits(q.and((byte) 0xF), h, 2 * g).mul(d * seg.get(ValueLayout.JAVA_BYTE, s + 2 * g));
                        FloatVector w2 = sixBits(q.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF), h, 2 * g + 4)
                                .mul(d * seg.get(ValueLayout.JAVA_BYTE, s + 2 * g + 4));
                        acc0 = w0.fma(FloatVector.fromArray(F, x, xb + l + 32 * g), acc0);
                        acc1 = w2.fma(FloatVector.fromArray(F, x, xb + l + 32 * g + 64), acc1);
                    }
                }
            }
        }
        return Simd.sum(acc0.add(acc1));
    }
}
