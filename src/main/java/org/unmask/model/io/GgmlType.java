package org.unmask.model.io;

import org.unmask.model.tensor.DType;

/** ggml's tensor type ids (ggml.h) for the storage formats Unmask reads and writes, and the names of the others. */
final class GgmlType {
    private GgmlType() {}

    static final int F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q2_K = 10, Q3_K = 11, Q4_K = 12,
            Q5_K = 13, Q6_K = 14, IQ4_NL = 20, IQ4_XS = 23, BF16 = 30;

    private static final String[] NAMES = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2 (removed)", "Q4_3 (removed)", "Q5_0", "Q5_1",
            "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL",
            "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16", "Q4_0_4_4 (removed)",
            "Q4_0_4_8 (removed)", "Q4_0_8_8 (removed)", "TQ1_0", "TQ2_0", "IQ4_NL_4_4 (removed)", "IQ4_NL_4_8 (removed)",
            "IQ4_NL_8_8 (removed)", "MXFP4"};

    /** The types {@link #dtype} knows, for messages. */
    static final String READ = "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS";

    /** The storage format of a ggml type id, or null when Unmask does not read it. */
    static DType dtype(int id) {
        return switch (id) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case Q4_0 -> DType.Q4_0;
            case Q4_1 -> DType.Q4_1;
            case Q5_0 -> DType.Q5_0;
            case Q5_1 -> DType.Q5_1;
            case Q8_0 -> DType.Q8_0;
            case Q2_K -> DType.Q2_K;
            case Q3_K -> DType.Q3_K;
            case Q4_K -> DType.Q4_K;
            case Q5_K -> DType.Q5_K;
            case Q6_K -> DType.Q6_K;
            case IQ4_NL -> DType.IQ4_NL;
            case IQ4_XS -> DType.IQ4_XS;
            case BF16 -> DType.BF16;
            default -> null;
        };
    }

    /** The ggml type id of a storage format. */
    static int id(DType t) {
        return switch (t) {
            case F32 -> F32;
            case F16 -> F16;
            case Q4_0 -> Q4_0;
            case Q4_1 -> Q4_1;
            case Q5_0 -> Q5_0;
            case Q5_1 -> Q5_1;
            case Q8_0 -> Q8_0;
            case Q2_K -> Q2_K;
            case Q3_K -> Q3_K;
            case Q4_K -> Q4_K;
            case Q5_K -> Q5_K;
            case Q6_K -> Q6_K;
            case IQ4_NL -> IQ4_NL;
            case IQ4_XS -> IQ4_XS;
            case BF16 -> BF16;
            default -> throw new IllegalArgumentException(t + " has no ggml type");
        };
    }

    /** ggml's name of a type id, e.g. "Q4_K", or "unknown type N". */
    static String name(int id) {
        return id >= 0 && id < NAMES.length ? NAMES[id] + " (ggml type " + id + ")" : "unknown (ggml type " + id + ")";
    }
}
