package org.unmask.model.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** Vector loads that turn stored weight elements into one float vector of the preferred width. */
final class Lanes {
    private Lanes() {}

    /** The float species every kernel uses (the widest the CPU runs natively). */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Shorts and ints with as many lanes as {@link #F}, so one 16-bit load widens to exactly one float vector. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private static final int F16_INF_AS_F32_BITS = 0x7C00 << 13;

    /** {@code F.length()} float32 elements from element index {@code i}. */
    static FloatVector f32(MemorySegment seg, long i) {
        return FloatVector.fromMemorySegment(F, seg, i * 4, ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code F.length()} bfloat16 elements from element index {@code i}: a bfloat16 is the high half of a float32. */
    static FloatVector bf16(MemorySegment seg, long i) {
        return widen(seg, i).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * {@code F.length()} IEEE half elements from element index {@code i}. Moving the exponent and mantissa bits into
     * float position and scaling by 2^112 re-biases the exponent (15 → 127) and turns half subnormals into the exact
     * float values at once; only infinities and NaNs need their exponent forced to all ones.
     */
    static FloatVector f16(MemorySegment seg, long i) {
        IntVector h = widen(seg, i);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector mag = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector scaled = mag.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> special = mag.compare(VectorOperators.GE, F16_INF_AS_F32_BITS);
        return scaled.blend(mag.or(0x7F800000), special).or(sign).reinterpretAsFloats();
    }

    /** Sign-extended 16-bit elements as ints (callers mask or shift off the extension). */
    private static IntVector widen(MemorySegment seg, long i) {
        ShortVector s = ShortVector.fromMemorySegment(S, seg, i * 2, ByteOrder.LITTLE_ENDIAN);
        return (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
    }
}
