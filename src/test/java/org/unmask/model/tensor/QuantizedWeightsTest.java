package org.unmask.model.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** The block formats against plain decoders written from ggml's block layouts, and the quantizer's rounding. */
public class QuantizedWeightsTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Random blocks of {@code type} whose f16 scales are small finite numbers (the rest of each block is any bytes). */
    public static MemorySegment randomBlocks(Arena arena, DType type, int blocks, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        MemorySegment seg = arena.allocate((long) blocks * type.blockBytes);
        for (long i = 0; i < seg.byteSize(); i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
        long scaleAt = switch (type) {
            case Q6_K -> 208;
            case Q2_K -> 80;
            case Q3_K -> 108;
            default -> 0;
        };
        // the second f16 (a min or dmin), where the format has one
        long minAt = switch (type) {
            case Q4_K, Q5_K, Q4_1, Q5_1 -> 2;
            case Q2_K -> 82;
            default -> -1;
        };
        for (int b = 0; b < blocks; b++) {
            seg.set(I16, (long) b * type.blockBytes + scaleAt, Float.floatToFloat16((float) (rnd.nextDouble() * 0.02 - 0.01)));
            if (minAt >= 0)
                seg.set(I16, (long) b * type.blockBytes + minAt, Float.floatToFloat16((float) (rnd.nextDouble() * 0.02 - 0.01)));
        }
        return seg;
    }

    /** Element i decoded straight from the layout in ggml-common.h, one element at a time. */
    static float plain(MemorySegment s, DType type, long i) {
        long blk = i / type.blockSize;
        int j = (int) (i % type.blockSize);
        long base = blk * type.blockBytes;
        return switch (type) {
            case Q8_0 -> Float.float16ToFloat(s.get(I16, base)) * s.get(ValueLayout.JAVA_BYTE, base + 2 + j);
            case Q4_0 -> {
                int q = s.get(ValueLayout.JAVA_BYTE, base + 2 + j % 16) & 0xFF;
                yield Float.float16ToFloat(s.get(I16, base)) * ((j < 16 ? q & 15 : q >> 4) - 8);
            }
            case Q6_K -> {
                // element j = 128·h + 32·g + l: low 4 bits from ql[64h + l + 32·(g odd)] (high nibble for g ≥ 2),
                // 2 high bits from qh[32h + l] at bit 2g, scale scales[8h + 2g + l/16]
                int h = j / 128, g = (j % 128) / 32, l = j % 32;
                int ql = s.get(ValueLayout.JAVA_BYTE, base + 64 * h + l + 32 * (g & 1)) & 0xFF;
                int lo = g >= 2 ? ql >> 4 : ql & 15;
                int hi = ((s.get(ValueLayout.JAVA_BYTE, base + 128 + 32 * h + l) & 0xFF) >> (2 * g)) & 3;
                int sc = s.get(ValueLayout.JAVA_BYTE, base + 192 + 8 * h + 2 * g + l / 16);
                float d = Float.float16ToFloat(s.get(I16, base + 208));
                yield d * sc * ((lo | hi << 4) - 32);
            }
            case Q4_K, Q5_K -> {
                // element j = 64·p + 32·hi + l: sub-block 2p + hi, 4 bits from the low (hi = 0) or high nibble of
                // qs[32p + l]; Q5_K adds bit 2p + hi of qh[l] as 16
                int p = j / 64, hi = (j % 64) / 32, l = j % 32, sub = 2 * p + hi;
                boolean five = type == DType.Q5_K;
                int q = s.get(ValueLayout.JAVA_BYTE, base + (five ? 48 : 16) + 32 * p + l) & 0xFF;
                q = hi == 1 ? q >> 4 : q & 15;
                if (five) q += (((s.get(ValueLayout.JAVA_BYTE, base + 16 + l) & 0xFF) >> sub) & 1) * 16;
                int[] packed = new int[12];
                for (int k = 0; k < 12; k++) packed[k] = s.get(ValueLayout.JAVA_BYTE, base + 4 + k) & 0xFF;
                // 6-bit scale and min: sub-blocks 0-3 in bytes sub and sub+4; 4-7 split into nibbles of byte sub+4
                // and the top bits of bytes sub-4 (scale) and sub (min)
                int sc = sub < 4 ? packed[sub] & 63 : (packed[sub + 4] & 15) | (packed[sub - 4] >> 6) << 4;
                int m = sub < 4 ? packed[sub + 4] & 63 : (packed[sub + 4] >> 4) | (packed[sub] >> 6) << 4;
                float d = Float.float16ToFloat(s.get(I16, base)), dmin = Float.float16ToFloat(s.get(I16, base + 2));
                yield (d * sc) * q - dmin * m;
            }
            case Q4_1 -> {
                int q = s.get(ValueLayout.JAVA_BYTE, base + 4 + j % 16) & 0xFF;
                yield (j < 16 ? q & 15 : q >> 4) * Float.float16ToFloat(s.get(I16, base)) + Float.float16ToFloat(s.get(I16, base + 2));
            }
            case Q5_0, Q5_1 -> {
                // the fifth bit of weight j is bit j of the little-endian word before the nibbles
                boolean withMin = type == DType.Q5_1;
                long qh = base + (withMin ? 4 : 2);
                int q = s.get(ValueLayout.JAVA_BYTE, qh + 4 + j % 16) & 0xFF;
                int bit = ((s.get(ValueLayout.JAVA_BYTE, qh + j / 8) & 0xFF) >> (j % 8)) & 1;
                int level = (j < 16 ? q & 15 : q >> 4) | bit << 4;
                float d = Float.float16ToFloat(s.get(I16, base));
                yield withMin ? level * d + Float.float16ToFloat(s.get(I16, base + 2)) : (level - 16) * d;
            }
            case Q2_K, Q3_K -> {
                // element j = 128·h + 32·k + 16·u + l: 2 bits at bit 2k of qs[32h + 16u + l], group 8h + 2k + u
                int h = j / 128, k = (j % 128) / 32, u = (j % 32) / 16, l = j % 16, g = 8 * h + 2 * k + u;
                boolean q2 = type == DType.Q2_K;
                long qs = base + (q2 ? 16 : 32);
                int q = ((s.get(ValueLayout.JAVA_BYTE, qs + 32 * h + 16 * u + l) & 0xFF) >> (2 * k)) & 3;
                if (q2) {
                    int sc = s.get(ValueLayout.JAVA_BYTE, base + g) & 0xFF;
                    float d = Float.float16ToFloat(s.get(I16, base + 80)), dmin = Float.float16ToFloat(s.get(I16, base + 82));
                    yield (d * (sc & 15)) * q - dmin * (sc >> 4);
                }
                // the third bit: bit 4h + k of hmask[16u + l]; clear means −4
                int third = ((s.get(ValueLayout.JAVA_BYTE, base + 16 * u + l) & 0xFF) >> (4 * h + k)) & 1;
                int lowBits = ((s.get(ValueLayout.JAVA_BYTE, base + 96 + g % 8) & 0xFF) >> (g < 8 ? 0 : 4)) & 15;
                int topBits = ((s.get(ValueLayout.JAVA_BYTE, base + 104 + g % 4) & 0xFF) >> (2 * (g / 4))) & 3;
                float d = Float.float16ToFloat(s.get(I16, base + 108));
                yield (d * ((lowBits | topBits << 4) - 32)) * (q - (third == 1 ? 0 : 4));
            }
            case IQ4_NL, IQ4_XS -> {
                int[] levels = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
                boolean xs = type == DType.IQ4_XS;
                int g = j / 32, w = j % 32;
                int q = s.get(ValueLayout.JAVA_BYTE, base + (xs ? 8 + 16 * g : 2) + w % 16) & 0xFF;
                int level = levels[w < 16 ? q & 15 : q >> 4];
                float d = Float.float16ToFloat(s.get(I16, base));
                if (!xs) yield d * level;
                int lo = ((s.get(ValueLayout.JAVA_BYTE, base + 4 + g / 2) & 0xFF) >> (4 * (g % 2))) & 15;
                int hi = ((s.get(I16, base + 2) & 0xFFFF) >> (2 * g)) & 3;
                yield (d * ((lo | hi << 4) - 32)) * level;
            }
            default -> throw new AssertionError(type);
        };
    }

    @Test
    void everyBlockFormatDecodesLikeThePlainLayout() {
        for (DType type : DType.values()) {
            if (!type.blocked()) continue;
            try (Arena arena = Arena.ofConfined()) {
                int blocks = type.blockSize == 256 ? 5 : 37;
                MemorySegment seg = randomBlocks(arena, type, blocks, type.ordinal());
                Weights w = Weights.mapped(seg, type);
                int n = blocks * type.blockSize;
                assertThat(w.size()).isEqualTo(n);
                assertThat(w.dtype()).isEqualTo(type);
                float[] all = new float[n + 3];
                w.toFloat(0, all, 3, n);
                SplittableRandom rnd = new SplittableRandom(3);
                float[] x = new float[n + 5];
                for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
                double ref = 0;
                for (int i = 0; i < n; i++) {
                    float e = plain(seg, type, i);
                    assertThat(w.get(i)).as("%s get(%d)", type, i).isEqualTo(e);
                    assertThat(all[3 + i]).as("%s toFloat[%d]", type, i).isEqualTo(e);
                    ref += (double) e * x[5 + i];
                }
                assertThat((double) w.dot(0, x, 5, n)).as("%s dot", type).isCloseTo(ref, offset(1e-4 * (1 + Math.abs(ref))));
                // a slice on block boundaries reads the same elements
                int b = type.blockSize;
                Weights s = w.slice(2L * b, 2L * b);
                assertThat(s.size()).isEqualTo(2L * b);
                for (int i = 0; i < 2 * b; i++) assertThat(s.get(i)).isEqualTo(w.get(2L * b + i));
            }
        }
    }

    @Test
    void offsetsOffTheBlocksAreRefusedWithTheBlockSize() {
        try (Arena arena = Arena.ofConfined()) {
            Weights q4 = Weights.mapped(randomBlocks(arena, DType.Q4_0, 4, 1), DType.Q4_0);
            assertThatThrownBy(() -> q4.slice(16, 32)).hasMessageContaining("blocks of 32");
            assertThatThrownBy(() -> q4.dot(0, new float[64], 0, 48)).hasMessageContaining("blocks of 32");
            Weights q6 = Weights.mapped(randomBlocks(arena, DType.Q6_K, 2, 1), DType.Q6_K);
            assertThatThrownBy(() -> q6.toFloat(32, new float[256], 0, 256)).hasMessageContaining("blocks of 256");
            assertThatThrownBy(() -> Weights.mapped(arena.allocate(35), DType.Q8_0)).hasMessageContaining("34 bytes");
        }
    }

    @Test
    void roundfRoundsHalvesAwayFromZeroLikeC() {
        assertThat(Quantizer.roundf(2.5f)).isEqualTo(3);
        assertThat(Quantizer.roundf(-2.5f)).isEqualTo(-3);
        assertThat(Quantizer.roundf(0.49999997f)).isEqualTo(0);
        assertThat(Quantizer.roundf(-0.5f)).isEqualTo(-1);
        assertThat(Quantizer.roundf(126.49999f)).isEqualTo(126);
    }

    @Test
    void quantizedValuesLieWithinHalfAStepOfTheInput() {
        SplittableRandom rnd = new SplittableRandom(11);
        int n = 32 * 50;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(5) - 3));
        for (int b = 0; b < 32; b++) v[32 * 7 + b] = 0f;   // an all-zero block: scale 0, every value 0
        try (Arena arena = Arena.ofConfined()) {
            for (DType type : new DType[]{DType.Q8_0, DType.Q4_0}) {
                MemorySegment seg = arena.allocate(type.byteSize(n));
                Quantizer.quantize(type, v, 0, n, seg, 0);
                Weights w = Weights.mapped(seg, type);
                for (int blk = 0; blk < n / 32; blk++) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(v[32 * blk + j]));
                    // the step is the f16 scale; the f32 scale used for rounding differs from it by at most 2^-11
                    float step = type == DType.Q8_0 ? amax / 127 : amax / 8;
                    for (int j = 0; j < 32; j++) {
                        int i = 32 * blk + j;
                        double tol = step * (type == DType.Q8_0 ? 0.5 : 1.0) + amax * 2e-3 + 1e-30;
                        assertThat((double) w.get(i)).as("%s element %d", type, i).isCloseTo(v[i], offset(tol));
                    }
                }
                for (int j = 0; j < 32; j++) assertThat(w.get(32 * 7 + j)).isZero();
            }
            // Q4_0 maps the signed value of largest magnitude to nibble 0 exactly: d = max/−8
            float[] one = new float[32];
            for (int j = 0; j < 32; j++) one[j] = j - 16;   // max magnitude −16 at j = 0 → d = 2
            MemorySegment seg = arena.allocate(18);
            Quantizer.quantize(DType.Q4_0, one, 0, 32, seg, 0);
            assertThat(Float.float16ToFloat(seg.get(I16, 0))).isEqualTo(2f);
            assertThat(seg.get(ValueLayout.JAVA_BYTE, 2) & 15).isEqualTo(0);
            // element 31 = 15 → 15/2 + 8.5 = 16 → clamped to 15
            assertThat((seg.get(ValueLayout.JAVA_BYTE, 2 + 15) & 0xFF) >> 4).isEqualTo(15);
        }
    }

    /** The K-quants' searched scales and mins: on Gaussian rows each has less error than the format below it. */
    @Test
    void kQuantsOrderByErrorAndKeepZeroSuperBlocksZero() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 256 * 64;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * 0.02);
        for (int i = 0; i < 256; i++) v[256 * 9 + i] = 0f;
        double energy = 0;
        for (float f : v) energy += (double) f * f;
        double previous = Double.MAX_VALUE;
        try (Arena arena = Arena.ofConfined()) {
            DType[] types = {DType.Q2_K, DType.Q3_K, DType.Q4_0, DType.Q4_K, DType.Q5_K, DType.Q6_K, DType.Q8_0};
            double[] bound = {0.45, 0.25, 0.12, 0.12, 0.12, 0.12, 0.12};
            for (int t = 0; t < types.length; t++) {
                DType type = types[t];
                MemorySegment seg = arena.allocate(type.byteSize(n));
                Quantizer.quantize(type, v, 0, n, seg, 0);
                float[] back = new float[n];
                Weights.mapped(seg, type).toFloat(0, back, 0, n);
                double err = 0;
                for (int i = 0; i < n; i++) err += (double) (back[i] - v[i]) * (back[i] - v[i]);
                double relative = Math.sqrt(err / energy);
                assertThat(relative).as("%s relative RMS error", type).isLessThan(previous).isLessThan(bound[t]);
                previous = relative;
                for (int i = 0; i < 256; i++) assertThat(back[256 * 9 + i]).as("%s zero super-block", type).isZero();
            }
        }
    }
}
