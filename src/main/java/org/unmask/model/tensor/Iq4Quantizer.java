package org.unmask.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizes floats into ggml's IQ4_NL blocks (32 weights) and IQ4_XS super-blocks (256) as ggml's reference quantizer
 * (quantize_row_iq4_nl_impl without an importance matrix, 7 trial scales each side) does: each group of 32 gets the
 * scale whose nearest non-uniform levels fit it best under weights x², then (IQ4_XS) the group scales are quantized
 * to 6 bits against one f16 and the weights requantized. Float operations in the reference's order, so the bytes are
 * the ones llama.cpp's tools write (GgufFixturesTest). Layouts: {@link BlockDecoders}.
 */
final class Iq4Quantizer {
    private Iq4Quantizer() {}

    /** ggml's kvalues_iq4nl, the same table the decoder uses. */
    private static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final int TRIES = 7;

    /** One IQ4_NL block of {@code x[o .. o+32)} at {@code dst[at ..]} (18 bytes). */
    static void iq4Nl(float[] x, int o, MemorySegment dst, long at) {
        int[] levels = new int[32];
        float scale = groupScale(x, o, levels);
        dst.set(Weights.I16_LE, at, Float.floatToFloat16(scale));
        float id = scale != 0 ? 1 / scale : 0;
        for (int j = 0; j < 32; j++) levels[j] = nearestLevel(id * x[o + j]);
        pack(levels, 0, dst, at + 2);
    }

    /** One IQ4_XS super-block of {@code x[o .. o+256)} (136 bytes): 8 groups under 6-bit scales of one f16 d. */
    static void iq4Xs(float[] x, int o, MemorySegment dst, long at) {
        int[] levels = new int[256];
        float[] scales = new float[8];
        float maxScale = 0, amaxScale = 0;
        for (int g = 0; g < 8; g++) {
            scales[g] = groupScale(x, o + 32 * g, levels);
            if (Math.abs(scales[g]) > amaxScale) {
                amaxScale = Math.abs(scales[g]);
                maxScale = scales[g];
            }
        }
        float d = -maxScale / 32;
        dst.set(Weights.I16_LE, at, Float.floatToFloat16(d));
        float id = d != 0 ? 1 / d : 0f;
        int high = 0;
        byte[] low = new byte[4];
        for (int g = 0; g < 8; g++) {
            int l = Math.max(-32, Math.min(31, KQuantizer.nearestInt(id * scales[g])));
            float dl = d * l, idl = dl != 0 ? 1 / dl : 0f;
            for (int j = 0; j < 32; j++) levels[32 * g + j] = nearestLevel(idl * x[o + 32 * g + j]);
            l += 32;
            low[g / 2] |= (byte) ((l & 0xF) << (4 * (g % 2)));
            high |= (l >> 4) << (2 * g);
        }
        dst.set(Weights.I16_LE, at + 2, (short) high);
        for (int i = 0; i < 4; i++) dst.set(ValueLayout.JAVA_BYTE, at + 4 + i, low[i]);
        for (int g = 0; g < 8; g++) pack(levels, 32 * g, dst, at + 8 + 16 * g);
    }

    /** The scale of least weighted error for the group {@code x[o .. o+32)} among 15 trials around max/127 (0: all zero). */
    private static float groupScale(float[] x, int o, int[] levels) {
        float max = KQuantizer.largestMagnitude(x, o, 32);
        if (Math.abs(max) < KQuantizer.GROUP_MAX_EPS) return 0;
        float d = -max / LEVELS[0], id = 1 / d;
        float sumQX = 0, sumQ2 = 0;
        for (int j = 0; j < 32; j++) {
            float q = LEVELS[nearestLevel(id * x[o + j])], w = x[o + j] * x[o + j];
            sumQX += w * q * x[o + j];
            sumQ2 += w * q * q;
        }
        d = sumQX / sumQ2;
        float best = d * sumQX;
        for (int t = -TRIES; t <= TRIES; t++) {
            id = (t + LEVELS[0]) / max;
            sumQX = 0;
            sumQ2 = 0;
            for (int j = 0; j < 32; j++) {
                float q = LEVELS[nearestLevel(id * x[o + j])], w = x[o + j] * x[o + j];
                sumQX += w * q * x[o + j];
                sumQ2 += w * q * q;
            }
            if (sumQ2 > 0 && sumQX * sumQX > best * sumQ2) {
                d = sumQX / sumQ2;
                best = d * sumQX;
            }
        }
        return d;
    }

    /** ggml's best_index_int8: the index of the level nearest {@code v} (the upper one only when strictly nearer). */
    private static int nearestLevel(float v) {
        if (v <= LEVELS[0]) return 0;
        if (v >= LEVELS[15]) return 15;
        int lo = 0, hi = 15;
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (v < LEVELS[mid]) hi = mid;
            else lo = mid;
        }
        return v - LEVELS[hi - 1] < LEVELS[hi] - v ? hi - 1 : hi;
    }

    /** 32 levels from {@code levels[from..]} as Q4_0's nibble layout: byte j holds weight j (low) and 16+j (high). */
    private static void pack(int[] levels, int from, MemorySegment dst, long at) {
        for (int j = 0; j < 16; j++)
            dst.set(ValueLayout.JAVA_BYTE, at + j, (byte) (levels[from + j] | levels[from + 16 + j] << 4));
    }
}
