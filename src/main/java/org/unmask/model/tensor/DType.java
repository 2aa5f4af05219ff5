package org.unmask.model.tensor;

/**
 * Element types of stored tensors: the float and integer types named as in the safetensors header, and ggml's block
 * formats (a fixed number of weights sharing one scale), named as in GGUF.
 */
public enum DType {
    F32(4), BF16(2), F16(2), I32(4), I64(8),
    /** ggml Q8_0: blocks of 32 int8 weights with one f16 scale (34 bytes). */
    Q8_0(32, 34),
    /** ggml Q4_0: blocks of 32 4-bit weights (offset 8) with one f16 scale (18 bytes). */
    Q4_0(32, 18),
    /** ggml Q4_1: blocks of 32 4-bit weights with an f16 scale and an f16 min (20 bytes). */
    Q4_1(32, 20),
    /** ggml Q5_0: blocks of 32 5-bit weights (offset 16) with one f16 scale (22 bytes). */
    Q5_0(32, 22),
    /** ggml Q5_1: blocks of 32 5-bit weights with an f16 scale and an f16 min (24 bytes). */
    Q5_1(32, 24),
    /** ggml IQ4_NL: blocks of 32 weights indexing 16 non-uniform levels, one f16 scale (18 bytes). */
    IQ4_NL(32, 18),
    /** ggml Q2_K: super-blocks of 256 2-bit weights, 16 sub-blocks with 4-bit scales and mins, f16 d and dmin (84 bytes). */
    Q2_K(256, 84),
    /** ggml Q3_K: super-blocks of 256 3-bit weights, 16 sub-blocks with 6-bit scales, one f16 scale (110 bytes). */
    Q3_K(256, 110),
    /** ggml Q4_K: super-blocks of 256 4-bit weights, 8 sub-blocks with 6-bit scales and mins, f16 d and dmin (144 bytes). */
    Q4_K(256, 144),
    /** ggml Q5_K: Q4_K with a fifth bit per weight (176 bytes). */
    Q5_K(256, 176),
    /** ggml Q6_K: super-blocks of 256 6-bit weights, 16 int8 sub-block scales and one f16 scale (210 bytes). */
    Q6_K(256, 210),
    /** ggml IQ4_XS: super-blocks of 256 IQ4_NL levels, 8 sub-blocks with 6-bit scales, one f16 scale (136 bytes). */
    IQ4_XS(256, 136);

    /** Bytes per element; 0 for the block formats, whose size is {@link #blockBytes} per {@link #blockSize} elements. */
    public final int bytes;
    /** Elements per block: 1 for the element types. */
    public final int blockSize;
    /** Bytes per block. */
    public final int blockBytes;

    DType(int bytes) { this.bytes = bytes; this.blockSize = 1; this.blockBytes = bytes; }

    DType(int blockSize, int blockBytes) { this.bytes = 0; this.blockSize = blockSize; this.blockBytes = blockBytes; }

    /** Whether elements are stored in blocks that share a scale (offsets and lengths must fall on block boundaries). */
    public boolean blocked() { return blockSize > 1; }

    /** Bytes that {@code count} elements take ({@code count} a multiple of the block size for block formats). */
    public long byteSize(long count) {
        if (count % blockSize != 0)
            throw new IllegalArgumentException(count + " elements of " + this + " do not fill whole blocks of " + blockSize);
        return Math.multiplyExact(count / blockSize, (long) blockBytes);
    }

    /** The dtype for a safetensors header string, or null when unknown (block formats never occur there). */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) if (!t.blocked() && t.name().equals(name)) return t;
        return null;
    }
}
