package org.unmask.train;

import java.util.Arrays;

/**
 * A small seeded generator (xoshiro256**) whose whole state is four longs, so a trainer can save it in its state file
 * and a resumed run draws exactly the numbers an uninterrupted run would have drawn.
 */
public final class Rng implements java.util.random.RandomGenerator {
    private long s0, s1, s2, s3;

    /** A generator seeded from {@code seed} through SplitMix64 (never the all-zero state). */
    public Rng(long seed) {
        long x = seed;
        s0 = splitMix(x += 0x9E3779B97F4A7C15L);
        s1 = splitMix(x += 0x9E3779B97F4A7C15L);
        s2 = splitMix(x += 0x9E3779B97F4A7C15L);
        s3 = splitMix(x + 0x9E3779B97F4A7C15L);
    }

    private Rng(long[] state) {
        if (state.length != 4) throw new IllegalArgumentException("RNG state needs 4 longs, got " + state.length);
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new IllegalArgumentException("RNG state is all zero");
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3];
    }

    /** A generator continuing from a state returned by {@link #state()}. */
    public static Rng fromState(long[] state) { return new Rng(state.clone()); }

    /** The four state words. */
    public long[] state() { return new long[] {s0, s1, s2, s3}; }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64 random bits. */
    @Override public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    @Override public double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }

    /** Uniform in [0, bound) without modulo bias. */
    @Override public long nextLong(long bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        long limit = Long.MAX_VALUE - Long.MAX_VALUE % bound;   // reject the incomplete last stripe
        long r;
        do { r = nextLong() >>> 1; } while (r >= limit);
        return r % bound;
    }

    /** Uniform in [0, bound). */
    @Override public int nextInt(int bound) { return (int) nextLong(bound); }

    /** An independent generator derived from this one's next output. */
    public Rng split() { return new Rng(nextLong()); }

    /** Shuffles {@code a} in place (Fisher–Yates). */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i]; a[i] = a[j]; a[j] = t;
        }
    }

    @Override public String toString() { return "Rng" + Arrays.toString(state()); }
}
