package org.unmask.model.io;

/** float32 to the 16-bit storage formats, rounding to nearest, ties to even. */
final class Precision {
    private Precision() {}

    /** bfloat16 bits of {@code f}: the top half of the float32, rounded to nearest even; NaN stays a quiet NaN. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x0040);
        // adding 0x7fff plus the lowest kept bit carries into the kept half exactly when the dropped half is
        // above one half, or equal to it with an odd kept half
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** IEEE binary16 bits of {@code f} (the JDK rounds to nearest even and saturates to infinity). */
    static short toF16(float f) {
        return Float.floatToFloat16(f);
    }
}
