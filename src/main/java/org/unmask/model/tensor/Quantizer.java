package org.unmask.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizes floats into ggml's 32-weight blocks (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) with exactly the rounding of ggml's
 * reference quantizers ({@code quantize_row_q8_0_ref} and siblings), into the K-quants through {@link KQuantizer}
 * and into IQ4_NL/IQ4_XS through {@link Iq4Quantizer}, so that a file written here holds the same bytes llama.cpp's
 * tools would write from the same floats. The scale is computed and used in float32 and only stored as f16 (round to
 * nearest even).
 */
public final class Quantizer {
    private Quantizer() {}

    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The block formats {@link #quantize} writes. */
    public static final String WRITTEN = "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS";

    /** Whether {@link #quantize} writes {@code type}. */
    public static boolean writes(DType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> true;
            default -> false;
        };
    }

    /** Writes {@code src[srcOff .. srcOff+n)} as blocks of {@code type} at {@code dst[byteOffset..]}. */
    public static void quantize(DType type, float[] src, int srcOff, int n, MemorySegment dst, long byteOffset) {
        if (!writes(type)) throw new IllegalArgumentException("cannot quantize to " + type + " (supported: " + WRITTEN + ")");
        if (n % type.blockSize != 0)
            throw new IllegalArgumentException(n + " weights are not whole blocks of " + type.blockSize + " for " + type);
        for (int b = 0; b < n / type.blockSize; b++) {
            long at = byteOffset + (long) b * type.blockBytes;
            int from = srcOff + b * type.blockSize;
            switch (type) {
                case Q8_0 -> q8Block(src, from, dst, at);
                case Q4_0 -> q4Block(src, from, dst, at);
                case Q4_1 -> q4_1Block(src, from, dst, at);
                case Q5_0 -> q5Block(src, from, false, dst, at);
                case Q5_1 -> q5Block(src, from, true, dst, at);
                case IQ4_NL -> Iq4Quantizer.iq4Nl(src, from, dst, at);
                case IQ4_XS -> Iq4Quantizer.iq4Xs(src, from, dst, at);
                case Q2_K -> KQuantizer.q2K(src, from, dst, at);
                case Q3_K -> KQuantizer.q3K(src, from, dst, at);
                case Q4_K -> KQuantizer.q4K(src, from, dst, at);
                case Q5_K -> KQuantizer.q5K(src, from, dst, at);
                case Q6_K -> KQuantizer.q6K(src, from, dst, at);
                default -> throw new IllegalStateException(type.name());   // writes() refused it above
            }
        }
    }

    /** d = amax/127; q = roundf(x/d) (halves away from zero). */
    private static void q8Block(float[] x, int o, MemorySegment dst, long at) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[o + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(Weights.I16_LE, at, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) roundf(x[o + j] * id));
    }

    /**
     * d = max/−8 where max is the signed value of largest magnitude (the first one on ties), so that it maps to the
     * nibble 0; q = min(15, trunc(x/d + 8.5)); element j in the low nibble of byte j, element 16+j in its high nibble.
     */
    private static void q4Block(float[] x, int o, MemorySegment dst, long at) {
        float d = KQuantizer.largestMagnitude(x, o, 32) / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(Weights.I16_LE, at, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[o + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[o + 16 + j] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (lo | (hi << 4)));
        }
    }

    /**
     * Q4_1: d = (max − min)/15 over the block, min stored as m; q = min(15, trunc((x − min)/d + 0.5)), nibbles as in
     * Q4_0.
     */
    private static void q4_1Block(float[] x, int o, MemorySegment dst, long at) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {   // C's comparisons, not Math.min: they keep the first of 0 and −0
            if (x[o + j] < min) min = x[o + j];
            if (x[o + j] > max) max = x[o + j];
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(Weights.I16_LE, at, Float.floatToFloat16(d));
        dst.set(Weights.I16_LE, at + 2, Float.floatToFloat16(min));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) ((x[o + j] - min) * id + 0.5f));
            int hi = Math.min(15, (int) ((x[o + 16 + j] - min) * id + 0.5f));
            dst.set(ValueLayout.JAVA_BYTE, at + 4 + j, (byte) (lo | (hi << 4)));
        }
    }

    /**
     * Q5_0 (d = max/−16 with max the signed value of largest magnitude, q = min(31, trunc(x/d + 16.5))) or
     * ({@code withMin}) Q5_1 (d = (max − min)/31, q = trunc((x − min)/d + 0.5)): the low 4 bits as Q4_0's nibbles,
     * the fifth bit of weight j at bit j of the 32-bit word qh.
     */
    private static void q5Block(float[] x, int o, boolean withMin, MemorySegment dst, long at) {
        float d, min = 0;
        if (withMin) {
            float max = -Float.MAX_VALUE;
            min = Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                if (x[o + j] < min) min = x[o + j];
                if (x[o + j] > max) max = x[o + j];
            }
            d = (max - min) / 31;
        } else {
            d = KQuantizer.largestMagnitude(x, o, 32) / -16;
        }
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(Weights.I16_LE, at, Float.floatToFloat16(d));
        if (withMin) dst.set(Weights.I16_LE, at + 2, Float.floatToFloat16(min));
        long qs = at + (withMin ? 8 : 6);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = withMin ? (int) ((x[o + j] - min) * id + 0.5f) : Math.min(31, (int) (x[o + j] * id + 16.5f));
            int q1 = withMin ? (int) ((x[o + 16 + j] - min) * id + 0.5f) : Math.min(31, (int) (x[o + 16 + j] * id + 16.5f));
            dst.set(ValueLayout.JAVA_BYTE, qs + j, (byte) ((q0 & 0xF) | (q1 & 0xF) << 4));
            qh |= (q0 >> 4 & 1) << j | (q1 >> 4 & 1) << (j + 16);
        }
        dst.set(I32_LE, qs - 4, qh);
    }

    /** C's roundf: the nearest integer, halves away from zero (exact in double for every float). */
    static int roundf(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }
}
