package org.unmask.model.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizes super-blocks of 256 floats into ggml's K-quants Q2_K to Q6_K as ggml's reference quantizers
 * ({@code quantize_row_q4_K_ref} and its siblings, which llama-quantize runs when it has no importance matrix) do:
 * a search for each sub-block's scale (and, for Q4_K/Q5_K, min) that minimises a weighted squared error, the sub-block
 * scales quantized against the super-block's f16 scale, then every weight requantized with the stored scales. Every
 * float operation keeps the reference's order, so the bytes are the ones llama.cpp's tools write from the same floats
 * (checked against ggml's own code in GgufFixturesTest). Block layouts: {@link Blocks}.
 */
final class KQuantizer {
    private KQuantizer() {}

    /** ggml's nearest_int: round half to even through the float addition of 1.5·2²³, for |v| below 2²². */
    static int nearestInt(float v) {
        float shifted = v + 12582912f;
        return (Float.floatToRawIntBits(shifted) & 0x007fffff) - 0x00400000;
    }

    /** One Q4_K super-block of {@code x[o .. o+256)} at {@code dst[at ..]} (144 bytes). */
    static void q4K(float[] x, int o, MemorySegment dst, long at) {
        int[] levels = new int[256];
        byte[] scales = subBlockScalesAndMins(x, o, 15, -1f, 0.1f, 20, levels, dst, at);
        requantizeWithMins(x, o, 15, levels, dst, at, scales);
        for (int pair = 0; pair < 4; pair++)
            for (int l = 0; l < 32; l++)
                dst.set(ValueLayout.JAVA_BYTE, at + 16 + pair * 32 + l, (byte) (levels[pair * 64 + l] | (levels[pair * 64 + 32 + l] << 4)));
    }

    /** One Q5_K super-block (176 bytes): Q4_K's search with 31 levels, the fifth bits in {@code qh}. */
    static void q5K(float[] x, int o, MemorySegment dst, long at) {
        int[] levels = new int[256];
        byte[] scales = subBlockScalesAndMins(x, o, 31, -0.5f, 0.1f, 15, levels, dst, at);
        requantizeWithMins(x, o, 31, levels, dst, at, scales);
        byte[] qh = new byte[32];
        for (int pair = 0; pair < 4; pair++) {
            for (int j = 0; j < 32; j++) {
                int l1 = levels[pair * 64 + j], l2 = levels[pair * 64 + 32 + j];
                if (l1 > 15) {
                    l1 -= 16;
                    qh[j] |= (byte) (1 << (2 * pair));
                }
                if (l2 > 15) {
                    l2 -= 16;
                    qh[j] |= (byte) (1 << (2 * pair + 1));
                }
                dst.set(ValueLayout.JAVA_BYTE, at + 48 + pair * 32 + j, (byte) (l1 | (l2 << 4)));
            }
        }
        for (int j = 0; j < 32; j++) dst.set(ValueLayout.JAVA_BYTE, at + 16 + j, qh[j]);
    }

    /**
     * Searches each sub-block of 32 for a scale and min (weights {@code av + |x|}), stores the 12 packed 6-bit
     * scales/mins and the f16 d and dmin; returns the packed bytes. {@code levels} gets the search's levels.
     */
    private static byte[] subBlockScalesAndMins(float[] x, int o, int nmax, float rmin, float rdelta, int nstep,
                                                int[] levels, MemorySegment dst, long at) {
        float[] scales = new float[8], mins = new float[8], weights = new float[32];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[o + 32 * j + l] * x[o + 32 * j + l];
            float av = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = av + Math.abs(x[o + 32 * j + l]);
            scales[j] = scaleAndMin(x, o + 32 * j, 32, nmax, weights, levels, 32 * j, mins, j, rmin, rdelta, nstep, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f, invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] packed = new byte[12];
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                packed[j] = (byte) ls;
                packed[j + 4] = (byte) lm;
            } else {
                packed[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte) ((ls >> 4) << 6);
                packed[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        dst.set(Weights.I16_LE, at, Float.floatToFloat16(maxScale / 63f));
        dst.set(Weights.I16_LE, at + 2, Float.floatToFloat16(maxMin / 63f));
        for (int j = 0; j < 12; j++) dst.set(ValueLayout.JAVA_BYTE, at + 4 + j, packed[j]);
        return packed;
    }

    /** Requantizes each sub-block whose stored scale is not zero with its stored scale and min. */
    private static void requantizeWithMins(float[] x, int o, int nmax, int[] levels, MemorySegment dst, long at, byte[] packed) {
        float d = Float.float16ToFloat(dst.get(Weights.I16_LE, at)), dmin = Float.float16ToFloat(dst.get(Weights.I16_LE, at + 2));
        for (int j = 0; j < 8; j++) {
            int sc = j < 4 ? packed[j] & 63 : (packed[j + 4] & 0xF) | (((packed[j - 4] & 0xFF) >> 6) << 4);
            int m = j < 4 ? packed[j + 4] & 63 : ((packed[j + 4] & 0xFF) >> 4) | (((packed[j] & 0xFF) >> 6) << 4);
            float ds = d * sc;
            if (ds == 0) continue;
            float dm = dmin * m;
            for (int i = 0; i < 32; i++)
                levels[32 * j + i] = Math.max(0, Math.min(nmax, nearestInt((x[o + 32 * j + i] + dm) / ds)));
        }
    }

    /**
     * ggml's make_qkx2_quants: levels 0..nmax for {@code x[o .. o+n)} under the scale and min of least weighted
     * squared (or, {@code absolute}, absolute) error among {@code nstep + 1} trial scales; returns the scale,
     * {@code mins[mi]} gets the negated min (≥ 0).
     */
    private static float scaleAndMin(float[] x, int o, int n, int nmax, float[] w, int[] levels, int lo, float[] mins, int mi,
                                     float rmin, float rdelta, int nstep, boolean absolute) {
        float min = x[o], max = x[o];
        float sumW = w[0], sumX = sumW * x[o];
        for (int i = 1; i < n; i++) {
            if (x[o + i] < min) min = x[o + i];
            if (x[o + i] > max) max = x[o + i];
            sumW += w[i];
            sumX += w[i] * x[o + i];
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) levels[lo + i] = 0;
            mins[mi] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestErr = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[o + i] - min))));
            levels[lo + i] = l;
            float diff = scale * l + min - x[o + i];
            bestErr += w[i] * (absolute ? Math.abs(diff) : diff * diff);
        }
        int[] trial = new int[n];
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[o + i] - min))));
                trial[i] = l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[o + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float err = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * trial[i] + thisMin - x[o + i];
                    err += w[i] * (absolute ? Math.abs(diff) : diff * diff);
                }
                if (err < bestErr) {
                    System.arraycopy(trial, 0, levels, lo, n);
                    bestErr = err;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[mi] = -min;
        return scale;
    }

    /**
     * One Q2_K super-block (84 bytes): 16 groups of 16 with a scale and min each (make_qkx2_quants, levels 0..3,
     * weights |x|, absolute error), both quantized to 4 bits against the f16 d and dmin, the weights requantized.
     */
    static void q2K(float[] x, int o, MemorySegment dst, long at) {
        int[] levels = new int[256];
        float[] scales = new float[16], mins = new float[16], weights = new float[16];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[o + 16 * j + l]);
            scales[j] = scaleAndMin(x, o + 16 * j, 16, 3, weights, levels, 16 * j, mins, j, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        int[] packed = new int[16];
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int j = 0; j < 16; j++) packed[j] = nearestInt(iscale * scales[j]) & 0xFF;
        }
        dst.set(Weights.I16_LE, at + 80, Float.floatToFloat16(maxScale > 0 ? maxScale / 15f : 0f));
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int j = 0; j < 16; j++) packed[j] = (packed[j] | nearestInt(iscale * mins[j]) << 4) & 0xFF;
        }
        dst.set(Weights.I16_LE, at + 82, Float.floatToFloat16(maxMin > 0 ? maxMin / 15f : 0f));
        float d = Float.float16ToFloat(dst.get(Weights.I16_LE, at + 80)), dmin = Float.float16ToFloat(dst.get(Weights.I16_LE, at + 82));
        for (int j = 0; j < 16; j++) {
            dst.set(ValueLayout.JAVA_BYTE, at + j, (byte) packed[j]);
            float ds = d * (packed[j] & 0xF);
            if (ds == 0) continue;
            float dm = dmin * (packed[j] >> 4);
            for (int i = 0; i < 16; i++)
                levels[16 * j + i] = Math.max(0, Math.min(3, nearestInt((x[o + 16 * j + i] + dm) / ds)));
        }
        packTwoBits(levels, dst, at + 16);
    }

    /**
     * One Q3_K super-block (110 bytes): 16 groups of 16 with a signed scale each (make_q3_quants, levels −4..3),
     * the scales quantized to 6 bits against the f16 d, the weights requantized; the levels' third bit in hmask.
     */
    static void q3K(float[] x, int o, MemorySegment dst, long at) {
        int[] levels = new int[256];
        float[] scales = new float[16];
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = q3Scale(x, o + 16 * j, levels, 16 * j);
            if (Math.abs(scales[j]) > amax) {
                amax = Math.abs(scales[j]);
                maxScale = scales[j];
            }
        }
        byte[] packed = new byte[12];
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = Math.max(-32, Math.min(31, (byte) nearestInt(iscale * scales[j]))) + 32;
                if (j < 8) packed[j] = (byte) (l & 0xF);
                else packed[j - 8] |= (byte) ((l & 0xF) << 4);
                packed[8 + j % 4] |= (byte) ((l >> 4) << (2 * (j / 4)));
            }
            dst.set(Weights.I16_LE, at + 108, Float.floatToFloat16(1 / iscale));
        } else {
            dst.set(Weights.I16_LE, at + 108, Float.floatToFloat16(0f));
        }
        for (int j = 0; j < 12; j++) dst.set(ValueLayout.JAVA_BYTE, at + 96 + j, packed[j]);
        float d = Float.float16ToFloat(dst.get(Weights.I16_LE, at + 108));
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? packed[j] & 0xF : (packed[j - 8] & 0xFF) >> 4;
            int sc = (low | (((packed[8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4) - 32;
            float ds = d * sc;
            if (ds == 0) continue;
            for (int i = 0; i < 16; i++)
                levels[16 * j + i] = Math.max(-4, Math.min(3, nearestInt(x[o + 16 * j + i] / ds))) + 4;
        }
        // the third bit of weight j at bit j / 32 of hmask[j mod 32]
        byte[] hmask = new byte[32];
        for (int j = 0; j < 256; j++) {
            if (levels[j] > 3) {
                hmask[j % 32] |= (byte) (1 << (j / 32));
                levels[j] -= 4;
            }
        }
        for (int j = 0; j < 32; j++) dst.set(ValueLayout.JAVA_BYTE, at + j, hmask[j]);
        packTwoBits(levels, dst, at + 32);
    }

    /** Q2_K/Q3_K's 2-bit layout: in each half of 128, weight 32k + l at bit 2k of byte l. */
    private static void packTwoBits(int[] levels, MemorySegment dst, long at) {
        for (int half = 0; half < 2; half++) {
            int j = 128 * half;
            for (int l = 0; l < 32; l++)
                dst.set(ValueLayout.JAVA_BYTE, at + 32 * half + l, (byte) (levels[j + l] | levels[j + l + 32] << 2
                        | levels[j + l + 64] << 4 | levels[j + l + 96] << 6));
        }
    }

    /**
     * ggml's make_q3_quants with its refinement (do_rmse): levels −4..3 (stored + 4) for {@code x[o .. o+16)}, each
     * moved in turn to the level that raises the weighted (x²) fit, up to five passes; returns the scale.
     */
    private static float q3Scale(float[] x, int o, int[] levels, int lo) {
        int n = 16, nmax = 4;
        float max = largestMagnitude(x, o, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) levels[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0, sumL2 = 0;
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[o + i])));
            float w = x[o + i] * x[o + i];
            sumLX += w * x[o + i] * l[i];
            sumL2 += w * l[i] * l[i];
        }
        for (int pass = 0; pass < 5; pass++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float w = x[o + i] * x[o + i];
                float slx = sumLX - w * x[o + i] * l[i];
                if (slx > 0) {
                    float sl2 = sumL2 - w * l[i] * l[i];
                    int next = Math.max(-nmax, Math.min(nmax - 1, nearestInt(x[o + i] * sl2 / slx)));
                    if (next != l[i]) {
                        slx += w * x[o + i] * next;
                        sl2 += w * next * next;
                        if (sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2) {
                            l[i] = next;
                            sumLX = slx;
                            sumL2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) levels[lo + i] = l[i] + nmax;
        return sumLX / sumL2;
    }

    /** The value of largest magnitude in {@code x[o .. o+n)}, the first one on ties (0 for an all-zero group). */
    static float largestMagnitude(float[] x, int o, int n) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            if (Math.abs(x[o + i]) > amax) {
                amax = Math.abs(x[o + i]);
                max = x[o + i];
            }
        }
        return max;
    }

    /** ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it quantizes to zeros. */
    static final float GROUP_MAX_EPS = 1e-15f;

    /** One Q6_K super-block (210 bytes): 16 sub-blocks of 16 with int8 scales against one f16 d, levels −32..31. */
    static void q6K(float[] x, int o, MemorySegment dst, long at) {
        int[] levels = new int[256];
        float[] scales = new float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            scales[ib] = symmetricScale(x, o + 16 * ib, levels, 16 * ib);
            float abs = Math.abs(scales[ib]);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scales[ib];
            }
        }
        if (maxAbsScale == 0) {
            dst.asSlice(at, 210).fill((byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        dst.set(Weights.I16_LE, at + 208, Float.floatToFloat16(1 / iscale));
        float d = Float.float16ToFloat(dst.get(Weights.I16_LE, at + 208));
        for (int ib = 0; ib < 16; ib++) {
            byte sc = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            dst.set(ValueLayout.JAVA_BYTE, at + 192 + ib, sc);
            float ds = d * sc;
            if (ds == 0) continue;
            for (int i = 0; i < 16; i++)
                levels[16 * ib + i] = Math.max(-32, Math.min(31, nearestInt(x[o + 16 * ib + i] / ds))) + 32;
        }
        for (int half = 0; half < 2; half++) {
            int j = half * 128;
            for (int l = 0; l < 32; l++) {
                int q1 = levels[j + l], q2 = levels[j + l + 32], q3 = levels[j + l + 64], q4 = levels[j + l + 96];
                dst.set(ValueLayout.JAVA_BYTE, at + half * 64 + l, (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, at + half * 64 + l + 32, (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4)));
                dst.set(ValueLayout.JAVA_BYTE, at + 128 + half * 32 + l,
                        (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)));
            }
        }
    }

    /**
     * ggml's make_qx_quants with 32 levels each side and weights x² (rmse_type 1, no importance): levels (offset 32)
     * for {@code x[o .. o+16)} under the best of 19 trial scales; returns the scale (negative when the largest
     * magnitude is positive, so that it maps to level −32).
     */
    private static float symmetricScale(float[] x, int o, int[] levels, int lo) {
        int n = 16, nmax = 32;
        float max = largestMagnitude(x, o, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) levels[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0, sumL2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[o + i])));
            levels[lo + i] = l + nmax;
            float w = x[o + i] * x[o + i];
            sumLX += w * x[o + i] * l;
            sumL2 += w * l * l;
        }
        float scale = sumLX / sumL2;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[o + i])));
                float w = x[o + i] * x[o + i];
                sumLX += w * x[o + i] * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++)
                    levels[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[o + i])));
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
