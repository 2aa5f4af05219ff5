package org.unmask.model.io;

import org.unmask.model.tensor.DType;

import java.util.Locale;

/**
 * The kinds of GGUF file {@code unmask quantize} writes, named and numbered as llama.cpp's file types (enum
 * llama_ftype, stored as {@code general.file_type}): the type most matrices get; {@link GgufExport#storage} gives the
 * exceptions (vectors in F32, the LM head in Q6_K, and the K-quant mixes' choices for attn_v, ffn_down and
 * attn_output).
 */
public enum GgufFileType {
    F32(0, DType.F32), F16(1, DType.F16), BF16(32, DType.BF16), Q8_0(7, DType.Q8_0), Q4_0(2, DType.Q4_0),
    Q4_1(3, DType.Q4_1), Q5_0(8, DType.Q5_0), Q5_1(9, DType.Q5_1), Q2_K(10, DType.Q2_K), Q3_K_S(11, DType.Q3_K),
    Q3_K_M(12, DType.Q3_K), Q3_K_L(13, DType.Q3_K), Q4_K_S(14, DType.Q4_K), Q4_K_M(15, DType.Q4_K), Q5_K_S(16, DType.Q5_K),
    Q5_K_M(17, DType.Q5_K), Q6_K(18, DType.Q6_K), IQ4_NL(25, DType.IQ4_NL), IQ4_XS(30, DType.IQ4_XS);

    /** llama.cpp's {@code general.file_type} number. */
    public final int llamaFtype;
    /** The storage type of the matrices without an exception. */
    public final DType base;

    GgufFileType(int llamaFtype, DType base) {
        this.llamaFtype = llamaFtype;
        this.base = base;
    }

    /** The file type for a name as llama-quantize spells it, any case ("q4_k_m", "Q8_0", "bf16"). */
    public static GgufFileType parse(String s) {
        String n = s.trim().toUpperCase(Locale.ROOT);
        for (GgufFileType t : values()) if (t.name().equals(n)) return t;
        throw new IllegalArgumentException("unknown GGUF type '" + s + "' (expected one of " + names() + ")");
    }

    /** The names {@link #parse} accepts, lower case, comma separated. */
    public static String names() {
        StringBuilder b = new StringBuilder();
        for (GgufFileType t : values()) b.append(b.isEmpty() ? "" : ", ").append(t.name().toLowerCase(Locale.ROOT));
        return b.toString();
    }
}
