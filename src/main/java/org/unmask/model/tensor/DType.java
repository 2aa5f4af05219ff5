package org.unmask.model.tensor;

/** Element types of stored tensors, named as in the safetensors header. */
public enum DType {
    F32(4), BF16(2), F16(2), I32(4), I64(8);

    /** Bytes per element. */
    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** The dtype for a safetensors header string, or null when unknown. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) if (t.name().equals(name)) return t;
        return null;
    }
}
