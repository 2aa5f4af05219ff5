package org.unmask.model.io;

/**
 * Round-to-nearest-even for the 16-bit formats, computed independently of the production code: the two
 * representable neighbours of a value are found from the bit patterns, their distances compared in double precision,
 * and a tie goes to the neighbour with an even last bit. An overflowing neighbour counts as the next power of two,
 * as IEEE 754 prescribes.
 */
final class ReferenceRounding {
    private ReferenceRounding() {}

    /** Expected bfloat16 bits of {@code f}; NaN maps to -1 (any NaN is accepted). */
    static int bf16(float f) {
        if (Float.isNaN(f)) return -1;
        int bits = Float.floatToRawIntBits(f);
        int sign = bits & 0x80000000;
        int mag = bits & 0x7fffffff;
        if (mag == 0x7f800000) return (sign | mag) >>> 16;
        int down = mag & 0xffff0000;          // neighbour towards zero
        int up = down + 0x10000;              // neighbour away from zero (may be the infinity pattern)
        double x = Math.abs((double) f);
        double lo = Float.intBitsToFloat(down);
        double hi = up == 0x7f800000 ? Math.scalb(1.0, 128) : Float.intBitsToFloat(up);
        int pick;
        if (x - lo < hi - x) pick = down;
        else if (x - lo > hi - x) pick = up;
        else pick = ((down >>> 16) & 1) == 0 ? down : up;
        return (sign | pick) >>> 16;
    }

    /** Expected binary16 bits of {@code f}; NaN maps to -1. */
    static int f16(float f) {
        if (Float.isNaN(f)) return -1;
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        double x = Math.abs((double) f);
        if (Double.isInfinite(x)) return sign | 0x7c00;
        // largest finite-or-infinite magnitude pattern whose value is <= x, by binary search over the ordered patterns
        int lo = 0, hi = 0x7c00;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (value16(mid) <= x) lo = mid; else hi = mid - 1;
        }
        if (lo == 0x7c00) return sign | 0x7c00;
        int down = lo, up = lo + 1;
        double dLo = x - value16(down), dHi = value16(up) - x;
        int pick = dLo < dHi ? down : dLo > dHi ? up : ((down & 1) == 0 ? down : up);
        return sign | pick;
    }

    private static double value16(int bits) {
        return bits == 0x7c00 ? 65536.0 : Float.float16ToFloat((short) bits);
    }

    /** Values that exercise rounding: ties both ways, carries into the exponent, subnormals, overflow, specials. */
    static float[] trickyValues(long seed, int randomCount) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] fixed = {0f, -0f, 1f, -1f, 0.02f, -0.02f, 1e-40f, -1e-45f, 6.1e-5f, 5.96e-8f, 2.98e-8f, 3e-8f,
                65504f, 65519.99f, 65520f, 65536f, 1e10f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_NORMAL,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                Float.intBitsToFloat(0x3f808000),   // bf16 tie, even below: rounds down
                Float.intBitsToFloat(0x3f818000),   // bf16 tie, odd below: rounds up
                Float.intBitsToFloat(0x3f80ffff), Float.intBitsToFloat(0x3fffffff), Float.intBitsToFloat(0x7f7f8000),
                Float.intBitsToFloat(0x3f801000),   // f16 tie (13 dropped bits exactly half), even: down
                Float.intBitsToFloat(0x3f803000),   // f16 tie, odd: up
                1.00048828125f, 1.000732421875f, 2049f, 2051f};
        float[] out = new float[fixed.length + randomCount];
        System.arraycopy(fixed, 0, out, 0, fixed.length);
        for (int i = 0; i < randomCount; i++) {
            out[fixed.length + i] = switch (i % 3) {
                case 0 -> (float) (r.nextGaussian() * 0.02);
                case 1 -> Float.intBitsToFloat(r.nextInt());     // any bit pattern, NaNs included
                default -> (float) ((r.nextDouble() - 0.5) * 140000);
            };
        }
        return out;
    }
}
