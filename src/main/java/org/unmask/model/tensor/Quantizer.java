package org.unmask.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizes floats into ggml's Q8_0 and Q4_0 blocks with exactly the rounding of ggml's reference quantizers
 * ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref}), and into the K-quants through {@link KQuantizer},
 * so that a file written here holds the same bytes
 * llama.cpp's tools would write from the same floats. The scale is computed and used in float32 and only stored as
 * f16 (round to nearest even).
 */
public final class Quantizer {
    private Quantizer() {}

    /** Writes {@code src[srcOff .. srcOff+n)} as blocks of {@code type} at {@code dst[byteOffset..]}. */
    public static void quantize(DType type, float[] src, int srcOff, int n, MemorySegment dst, long byteOffset) {
        if (!type.blocked())
            throw new IllegalArgumentException("cannot quantize to " + type + " (supported: Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        if (n % type.blockSize != 0)
            throw new IllegalArgumentException(n + " weights are not whole blocks of " + type.blockSize + " for " + type);
        for (int b = 0; b < n / type.blockSize; b++) {
            long at = byteOffset + (long) b * type.blockBytes;
            int from = srcOff + b * type.blockSize;
            switch (type) {
                case Q8_0 -> q8Block(src, from, dst, at);
                case Q4_0 -> q4Block(src, from, dst, at);
                case Q4_K -> KQuantizer.q4K(src, from, dst, at);
                case Q5_K -> KQuantizer.q5K(src, from, dst, at);
                case Q6_K -> KQuantizer.q6K(src, from, dst, at);
                default -> throw new IllegalStateException(type.name());
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
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        dst.set(Weights.I16_LE, at, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[o + j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[o + 16 + j] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (lo | (hi << 4)));
        }
    }

    /** C's roundf: the nearest integer, halves away from zero (exact in double for every float). */
    static int roundf(float v) {
        return (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }
}
