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

/** Vectorised get/dot/toFloat of every storage format against scalar decoding. */
class WeightsTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void halfPrecisionDecodesEveryBitPatternLikeTheJdk() {
        // all 65536 halves: zeros, subnormals, normals, infinities and NaNs through the vector path of toFloat
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2 * 65536);
            for (int i = 0; i < 65536; i++) seg.setAtIndex(I16, i, (short) i);
            float[] out = new float[65536];
            new Weights.MappedF16(seg).toFloat(0, out, 0, 65536);
            for (int i = 0; i < 65536; i++) {
                float expected = Float.float16ToFloat((short) i);
                if (Float.isNaN(expected)) assertThat(out[i]).as("half 0x%04x", i).isNaN();
                else assertThat(Float.floatToRawIntBits(out[i])).as("half 0x%04x", i).isEqualTo(Float.floatToRawIntBits(expected));
            }
        }
    }

    @Test
    void bfloat16DecodesEveryBitPatternAsTheHighHalfOfAFloat() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2 * 65536);
            for (int i = 0; i < 65536; i++) seg.setAtIndex(I16, i, (short) i);
            float[] out = new float[65536];
            new Weights.MappedBf16(seg).toFloat(0, out, 0, 65536);
            for (int i = 0; i < 65536; i++)
                assertThat(Float.floatToRawIntBits(out[i])).as("bf16 0x%04x", i).isEqualTo(i << 16);
        }
    }

    @Test
    void dotAndToFloatAgreeWithGetForEveryFormat() {
        SplittableRandom rnd = new SplittableRandom(7);
        try (Arena arena = Arena.ofConfined()) {
            int size = 300;
            float[] v = new float[size];
            for (int i = 0; i < size; i++) v[i] = (float) (rnd.nextDouble() * 4 - 2);
            MemorySegment f32 = arena.allocate(4L * size), bf16 = arena.allocate(2L * size), f16 = arena.allocate(2L * size);
            for (int i = 0; i < size; i++) {
                f32.setAtIndex(F32, i, v[i]);
                bf16.setAtIndex(I16, i, (short) (Float.floatToRawIntBits(v[i]) >>> 16));
                f16.setAtIndex(I16, i, Float.floatToFloat16(v[i]));
            }
            Weights[] all = {new Weights.F32(v, 3, size - 3), Weights.mapped(f32, DType.F32),
                    Weights.mapped(bf16, DType.BF16), Weights.mapped(f16, DType.F16)};
            float[] x = new float[size + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            for (Weights w : all) {
                for (int n : new int[]{0, 1, 7, 15, 16, 17, 31, 33, 64, 129, 250}) {
                    long off = 2 + n % 5;
                    int xOff = n % 3;
                    double ref = 0, mag = 0;
                    float[] conv = new float[n + 4];
                    w.toFloat(off, conv, 4, n);
                    for (int i = 0; i < n; i++) {
                        assertThat(conv[4 + i]).as("%s toFloat element %d", w.dtype(), i).isEqualTo(w.get(off + i));
                        double p = (double) w.get(off + i) * x[xOff + i];
                        ref += p; mag += Math.abs(p);
                    }
                    assertThat((double) w.dot(off, x, xOff, n)).as("%s dot n=%d", w.dtype(), n)
                            .isCloseTo(ref, offset(1e-6 * mag + 1e-7));
                }
            }
        }
    }

    @Test
    void heapViewOutsideItsArrayIsRejected() {
        assertThatThrownBy(() -> new Weights.F32(new float[4], 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside an array of 4");
    }
}
