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
 * 16+j in its high nibble, value {@code d·(nibble − 8)}; Q6_K {@code {uint8 ql[128]; uint8 qh[64]; int8 scales[16];
 * f16 d}} over 256 elements, value {@code (d·scale)·(q − 32)} in that order of multiplication, as ggml's
 * {@code dequantize_row_q6_K} computes it. All offsets here are element indices on block boundaries.
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

    // ---- Q6_K ----

    static float getQ6K(MemorySegment seg, long i) {
        float[] one = new float[256];
        decodeQ6K(seg, i / 256, one, 0);
        return one[(int) (i % 256)];
    }

    /** Super-block {@code block} into {@code dst[o .. o+256)}, following ggml's dequantize_row_q6_K. */
    static void decodeQ6K(MemorySegment seg, long block, float[] dst, int o) {
        long base = block * 210;
        float d = scale(seg, base + 208);
        for (int half = 0; half < 2; half++) {
            long ql = base + half * 64, qh = base + 128 + half * 32, sc = base + 192 + half * 8;
            int y = o + half * 128;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int lo0 = seg.get(ValueLayout.JAVA_BYTE, ql + l) & 0xFF, lo1 = seg.get(ValueLayout.JAVA_BYTE, ql + l + 32) & 0xFF;
                int h = seg.get(ValueLayout.JAVA_BYTE, qh + l) & 0xFF;
                int q1 = ((lo0 & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((lo1 & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((lo0 >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((lo1 >> 4) | (((h >> 6) & 3) << 4)) - 32;
                dst[y + l] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                dst[y + l + 32] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                dst[y + l + 64] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                dst[y + l + 96] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
        }
    }

    static void toFloatQ6K(MemorySegment seg, long off, float[] dst, int dOff, int n) {
        for (int b = 0; b < n / 256; b++) decodeQ6K(seg, off / 256 + b, dst, dOff + b * 256);
    }

    private static final ThreadLocal<float[]> Q6K_SCRATCH = ThreadLocal.withInitial(() -> new float[256]);

    static float dotQ6K(MemorySegment seg, long off, float[] x, int xo, int n) {
        float[] buf = Q6K_SCRATCH.get();
        FloatVector acc = FloatVector.zero(F);
        float tail = 0;
        for (int b = 0; b < n / 256; b++) {
            decodeQ6K(seg, off / 256 + b, buf, 0);
            int xb = xo + b * 256;
            int j = 0;
            for (; j + L <= 256; j += L) acc = FloatVector.fromArray(F, buf, j).fma(FloatVector.fromArray(F, x, xb + j), acc);
            for (; j < 256; j++) tail += buf[j] * x[xb + j];
        }
        return Simd.sum(acc) + tail;
    }
}
