package org.unmask.model.tensor;

import org.unmask.compute.Simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A read-only weight matrix or vector in one of the storage formats (F32 on the heap, or F32, BF16, F16 in a
 * memory-mapped file, or one of ggml's block formats: see {@link Quantized}). Kernels ask it for rows as floats; the
 * low-precision formats convert in the inner loop so an 8B model never needs a float32 copy.
 */
public sealed interface Weights permits Weights.F32, Weights.MappedF32, Weights.MappedBf16, Weights.MappedF16, Weights.Quantized {

    ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Number of elements. */
    long size();

    /** Storage format. */
    DType dtype();

    /** Element {@code i} as a float. */
    float get(long i);

    /** Dot product of {@code n} elements starting at {@code offset} with {@code x[xOffset..]}. */
    float dot(long offset, float[] x, int xOffset, int n);

    /** Converts {@code n} elements starting at {@code offset} into {@code dst[dstOffset..]}. */
    void toFloat(long offset, float[] dst, int dstOffset, int n);

    /**
     * Elements {@code [from, from + length)} as weights of the same format, without copying (a fused projection's
     * q, k and v rows are read this way).
     */
    default Weights slice(long from, long length) {
        if (from < 0 || length < 0 || from + length > size())
            throw new IllegalArgumentException("slice [" + from + ", " + (from + length) + ") lies outside " + size() + " elements");
        return switch (this) {
            case F32 w -> new F32(w.data(), w.offset() + (int) from, (int) length);
            case MappedF32 w -> new MappedF32(w.segment().asSlice(from * 4, length * 4));
            case MappedBf16 w -> new MappedBf16(w.segment().asSlice(from * 2, length * 2));
            case MappedF16 w -> new MappedF16(w.segment().asSlice(from * 2, length * 2));
            case Quantized w -> {
                w.checkBlocks("slice", from, length);
                DType t = w.dtype();
                yield Weights.mapped(w.segment().asSlice(from / t.blockSize * t.blockBytes, t.byteSize(length)), t);
            }
        };
    }

    /** A heap float32 view {@code data[offset .. offset+size)} (training parameters live here). */
    record F32(float[] data, int offset, int length) implements Weights {
        public F32 {
            if (offset < 0 || length < 0 || (long) offset + length > data.length)
                throw new IllegalArgumentException("F32 view [" + offset + ", " + ((long) offset + length)
                        + ") lies outside an array of " + data.length + " floats");
        }
        public long size() { return length; }
        public DType dtype() { return DType.F32; }
        public float get(long i) { return data[offset + (int) i]; }

        public float dot(long off, float[] x, int xOffset, int n) {
            VectorSpecies<Float> s = Lanes.F;
            int w = offset + (int) off, i = 0;
            // two accumulators hide the FMA latency on long rows
            FloatVector a0 = FloatVector.zero(s), a1 = FloatVector.zero(s);
            for (; i + 2 * s.length() <= n; i += 2 * s.length()) {
                a0 = FloatVector.fromArray(s, data, w + i).fma(FloatVector.fromArray(s, x, xOffset + i), a0);
                a1 = FloatVector.fromArray(s, data, w + i + s.length()).fma(FloatVector.fromArray(s, x, xOffset + i + s.length()), a1);
            }
            if (i + s.length() <= n) {
                a0 = FloatVector.fromArray(s, data, w + i).fma(FloatVector.fromArray(s, x, xOffset + i), a0);
                i += s.length();
            }
            float sum = Simd.sum(a0.add(a1));
            for (; i < n; i++) sum += data[w + i] * x[xOffset + i];
            return sum;
        }

        public void toFloat(long off, float[] dst, int dstOffset, int n) {
            System.arraycopy(data, offset + (int) off, dst, dstOffset, n);
        }
    }

    /** Little-endian float32 in a (mapped) memory segment. */
    record MappedF32(MemorySegment segment) implements Weights {
        public long size() { return segment.byteSize() / 4; }
        public DType dtype() { return DType.F32; }
        public float get(long i) { return segment.get(F32_LE, i * 4); }

        public float dot(long off, float[] x, int xOffset, int n) {
            VectorSpecies<Float> s = Lanes.F;
            // two accumulators: one FMA chain is bound by its latency, not by the memory the row streams from
            FloatVector a0 = FloatVector.zero(s), a1 = a0;
            int i = 0;
            for (; i + 2 * s.length() <= n; i += 2 * s.length()) {
                a0 = Lanes.f32(segment, off + i).fma(FloatVector.fromArray(s, x, xOffset + i), a0);
                a1 = Lanes.f32(segment, off + i + s.length()).fma(FloatVector.fromArray(s, x, xOffset + i + s.length()), a1);
            }
            if (i + s.length() <= n) {
                a0 = Lanes.f32(segment, off + i).fma(FloatVector.fromArray(s, x, xOffset + i), a0);
                i += s.length();
            }
            float sum = Simd.sum(a0.add(a1));
            for (; i < n; i++) sum += get(off + i) * x[xOffset + i];
            return sum;
        }

        public void toFloat(long off, float[] dst, int dstOffset, int n) {
            int i = 0;
            for (; i + Lanes.F.length() <= n; i += Lanes.F.length()) Lanes.f32(segment, off + i).intoArray(dst, dstOffset + i);
            for (; i < n; i++) dst[dstOffset + i] = get(off + i);
        }
    }

    /** Little-endian bfloat16 in a (mapped) memory segment: the top 16 bits of a float32. */
    record MappedBf16(MemorySegment segment) implements Weights {
        public long size() { return segment.byteSize() / 2; }
        public DType dtype() { return DType.BF16; }
        public float get(long i) { return Float.intBitsToFloat(segment.get(I16_LE, i * 2) << 16); }

        public float dot(long off, float[] x, int xOffset, int n) {
            VectorSpecies<Float> s = Lanes.F;
            // two accumulators: one FMA chain is bound by its latency, not by the memory the row streams from
            FloatVector a0 = FloatVector.zero(s), a1 = a0;
            int i = 0;
            for (; i + 2 * s.length() <= n; i += 2 * s.length()) {
                a0 = Lanes.bf16(segment, off + i).fma(FloatVector.fromArray(s, x, xOffset + i), a0);
                a1 = Lanes.bf16(segment, off + i + s.length()).fma(FloatVector.fromArray(s, x, xOffset + i + s.length()), a1);
            }
            if (i + s.length() <= n) {
                a0 = Lanes.bf16(segment, off + i).fma(FloatVector.fromArray(s, x, xOffset + i), a0);
                i += s.length();
            }
            float sum = Simd.sum(a0.add(a1));
            for (; i < n; i++) sum += get(off + i) * x[xOffset + i];
            return sum;
        }

        public void toFloat(long off, float[] dst, int dstOffset, int n) {
            int i = 0;
            for (; i + Lanes.F.length() <= n; i += Lanes.F.length()) Lanes.bf16(segment, off + i).intoArray(dst, dstOffset + i);
            for (; i < n; i++) dst[dstOffset + i] = get(off + i);
        }
    }

    /** Little-endian IEEE half precision in a (mapped) memory segment. */
    record MappedF16(MemorySegment segment) implements Weights {
        public long size() { return segment.byteSize() / 2; }
        public DType dtype() { return DType.F16; }
        public float get(long i) { return Float.float16ToFloat(segment.get(I16_LE, i * 2)); }

        public float dot(long off, float[] x, int xOffset, int n) {
            VectorSpecies<Float> s = Lanes.F;
            // two accumulators: one FMA chain is bound by its latency, not by the memory the row streams from
            FloatVector a0 = FloatVector.zero(s), a1 = a0;
            int i = 0;
            for (; i + 2 * s.length() <= n; i += 2 * s.length()) {
                a0 = Lanes.f16(segment, off + i).fma(FloatVector.fromArray(s, x, xOffset + i), a0);
                a1 = Lanes.f16(segment, off + i + s.length()).fma(FloatVector.fromArray(s, x, xOffset + i + s.length()), a1);
            }
            if (i + s.length() <= n) {
                a0 = Lanes.f16(segment, off + i).fma(FloatVector.fromArray(s, x, xOffset + i), a0);
                i += s.length();
            }
            float sum = Simd.sum(a0.add(a1));
            for (; i < n; i++) sum += get(off + i) * x[xOffset + i];
            return sum;
        }

        public void toFloat(long off, float[] dst, int dstOffset, int n) {
            int i = 0;
            for (; i + Lanes.F.length() <= n; i += Lanes.F.length()) Lanes.f16(segment, off + i).intoArray(dst, dstOffset + i);
            for (; i < n; i++) dst[dstOffset + i] = get(off + i);
        }
    }

    /**
     * Weights in one of ggml's block formats in a (mapped) memory segment: {@link #size()} counts weights, and every
     * offset and length given to {@code dot}, {@code toFloat} and {@code slice} must fall on a block boundary (32
     * weights for Q8_0, Q4_0 and the other 32-weight formats, 256 for the K-quants and IQ4_XS), which a row of a
     * matrix whose row length is a multiple of the block does. Decoding follows ggml's dequantizers ({@link Blocks},
     * {@link BlockDecoders}).
     */
    sealed interface Quantized extends Weights permits MappedQ8_0, MappedQ4_0, MappedBlocks {
        /** The blocks. */
        MemorySegment segment();

        default long size() { return segment().byteSize() / dtype().blockBytes * dtype().blockSize; }

        /** Throws unless [offset, offset + n) starts and ends on block boundaries. */
        default void checkBlocks(String what, long offset, long n) {
            int b = dtype().blockSize;
            if (offset % b != 0 || n % b != 0)
                throw new IllegalArgumentException(what + " of " + dtype() + " weights at element " + offset + " for " + n
                        + " elements does not fall on the format's blocks of " + b + " elements");
        }
    }

    /** ggml Q8_0 blocks in a (mapped) memory segment. */
    record MappedQ8_0(MemorySegment segment) implements Quantized {
        public DType dtype() { return DType.Q8_0; }
        public float get(long i) { return Blocks.getQ8(segment, i); }
        public float dot(long off, float[] x, int xOffset, int n) {
            checkBlocks("dot", off, n);
            return Blocks.dotQ8(segment, off, x, xOffset, n);
        }
        public void toFloat(long off, float[] dst, int dstOffset, int n) {
            checkBlocks("toFloat", off, n);
            Blocks.toFloatQ8(segment, off, dst, dstOffset, n);
        }
    }

    /** ggml Q4_0 blocks in a (mapped) memory segment. */
    record MappedQ4_0(MemorySegment segment) implements Quantized {
        public DType dtype() { return DType.Q4_0; }
        public float get(long i) { return Blocks.getQ4(segment, i); }
        public float dot(long off, float[] x, int xOffset, int n) {
            checkBlocks("dot", off, n);
            return Blocks.dotQ4(segment, off, x, xOffset, n);
        }
        public void toFloat(long off, float[] dst, int dstOffset, int n) {
            checkBlocks("toFloat", off, n);
            Blocks.toFloatQ4(segment, off, dst, dstOffset, n);
        }
    }

    /**
     * ggml's block formats beyond Q8_0 and Q4_0 in a (mapped) memory segment: the K-quants (Q4_K, Q5_K and Q6_K, as
     * llama-quantize writes the Q4_K_M, Q5_K_M and Q6_K files, with fused dot products; Q2_K and Q3_K of the smaller
     * files), the 32-weight Q4_1, Q5_0 and Q5_1, and the non-linear IQ4_NL and IQ4_XS, each read through a decoder of
     * one (super-)block.
     */
    record MappedBlocks(MemorySegment segment, DType dtype) implements Quantized {
        public MappedBlocks {
            if (!dtype.blocked() || dtype == DType.Q8_0 || dtype == DType.Q4_0)
                throw new IllegalArgumentException(dtype + " is not read through a block decoder");
        }

        private Blocks.SuperBlock format() {
            return switch (dtype) {
                case Q4_K -> Blocks::decodeQ4K;
                case Q5_K -> Blocks::decodeQ5K;
                case Q6_K -> Blocks::decodeQ6K;
                case Q4_1 -> BlockDecoders::decodeQ4_1;
                case Q5_0 -> BlockDecoders::decodeQ5_0;
                case Q5_1 -> BlockDecoders::decodeQ5_1;
                case Q2_K -> BlockDecoders::decodeQ2K;
                case Q3_K -> BlockDecoders::decodeQ3K;
                case IQ4_NL -> BlockDecoders::decodeIq4Nl;
                case IQ4_XS -> BlockDecoders::decodeIq4Xs;
                default -> throw new IllegalStateException(dtype.name());
            };
        }

        public float get(long i) { return Blocks.getDecoded(segment, i, dtype.blockSize, format()); }
        public float dot(long off, float[] x, int xOffset, int n) {
            checkBlocks("dot", off, n);
            return switch (dtype) {
                case Q4_K -> Blocks.dotQ4K(segment, off, x, xOffset, n);
                case Q5_K -> Blocks.dotQ5K(segment, off, x, xOffset, n);
                case Q6_K -> Blocks.dotQ6K(segment, off, x, xOffset, n);
                default -> BlockDecoders.dotDecoded(segment, off, x, xOffset, n, dtype.blockSize, format());
            };
        }
        public void toFloat(long off, float[] dst, int dstOffset, int n) {
            checkBlocks("toFloat", off, n);
            Blocks.toFloatDecoded(segment, off, dst, dstOffset, n, dtype.blockSize, format());
        }
    }

    /** Wraps a segment holding {@code dtype} elements (whole blocks for the block formats). */
    static Weights mapped(MemorySegment segment, DType dtype) {
        if (dtype.blocked() && segment.byteSize() % dtype.blockBytes != 0)
            throw new IllegalArgumentException(segment.byteSize() + " bytes are not whole " + dtype + " blocks of "
                    + dtype.blockBytes + " bytes");
        return switch (dtype) {
            case F32 -> new MappedF32(segment);
            case BF16 -> new MappedBf16(segment);
            case F16 -> new MappedF16(segment);
            case Q8_0 -> new MappedQ8_0(segment);
            case Q4_0 -> new MappedQ4_0(segment);
            case Q4_1, Q5_0, Q5_1, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> new MappedBlocks(segment, dtype);
            default -> throw new IllegalArgumentException("dtype " + dtype + " cannot hold weights");
        };
    }
}
