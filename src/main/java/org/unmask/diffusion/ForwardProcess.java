package org.unmask.diffusion;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The forward (noising) process of masked diffusion, q(x_t | x_0): tokens are replaced by the mask token, never
 * those of a prompt. Training draws each token's fate independently with the masking rate t (LLaDA's pretraining and
 * SFT); likelihood estimates mask exactly l of the L noisable tokens (LLaDA's lower-variance form of the same bound).
 * Every caller that corrupts a sequence goes through here, so the training loss, the validation ELBO, {@code eval}
 * and {@code score} all noise text the same way.
 */
public final class ForwardProcess {
    private final int maskId;

    /** A process that writes {@code maskId} into masked positions. */
    public ForwardProcess(int maskId) {
        if (maskId < 0) throw new IllegalArgumentException("mask id must be non-negative, got " + maskId);
        this.maskId = maskId;
    }

    /** The mask token id. */
    public int maskId() { return maskId; }

    /**
     * Masks, in place, each position of {@code ids[from, to)} independently with probability {@code rate}, drawing
     * one uniform number per position in order; returns the masked positions in ascending order.
     */
    public int[] maskEach(int[] ids, int from, int to, double rate, RandomGenerator rng) {
        checkRange(ids, from, to);
        int[] masked = new int[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            if (rng.nextDouble() < rate) {
                ids[i] = maskId;
                masked[n++] = i;
            }
        }
        return Arrays.copyOf(masked, n);
    }

    /**
     * Masks, in place, exactly {@code count} positions of {@code ids[from, to)} chosen uniformly (the first
     * {@code count} entries of a Fisher–Yates permutation); returns them in ascending order.
     */
    public int[] maskExactly(int[] ids, int from, int to, int count, RandomGenerator rng) {
        checkRange(ids, from, to);
        int len = to - from;
        if (count < 0 || count > len) throw new IllegalArgumentException("cannot mask " + count + " of " + len + " tokens");
        int[] chosen = Arrays.copyOf(permutation(len, rng), count);
        Arrays.sort(chosen);
        for (int i = 0; i < count; i++) {
            chosen[i] += from;
            ids[chosen[i]] = maskId;
        }
        return chosen;
    }

    /** A uniformly random permutation of 0..n−1 (Fisher–Yates from the top). */
    static int[] permutation(int n, RandomGenerator rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    private static void checkRange(int[] ids, int from, int to) {
        if (from < 0 || to > ids.length || from > to)
            throw new IllegalArgumentException("range [" + from + ", " + to + ") is outside a sequence of " + ids.length);
    }
}
