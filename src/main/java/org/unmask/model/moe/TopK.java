package org.unmask.model.moe;

/**
 * The {@code k} best of a stream of (index, value) offers, kept sorted best first. "Best" is the larger value; equal
 * values rank the lower index first, so selections do not depend on the order of offers or on the thread that makes
 * them; NaN ranks below every number (a NaN score is never preferred to a real one). One instance serves one token
 * at a time ({@link #reset}), so a router allocates nothing per token.
 */
final class TopK {
    private final int k;
    private final int[] index;
    private final float[] value;
    private int size;

    TopK(int k) {
        if (k < 1) throw new IllegalArgumentException("top-k needs k ≥ 1, got " + k);
        this.k = k;
        this.index = new int[k];
        this.value = new float[k];
    }

    /** Forgets every offer. */
    void reset() { size = 0; }

    /** Number of entries kept (at most k). */
    int size() { return size; }

    /** Index of the {@code j}-th best entry. */
    int index(int j) { return index[j]; }

    /** Value of the {@code j}-th best entry. */
    float value(int j) { return value[j]; }

    /** Considers {@code (i, v)}; keeps it when it ranks among the k best so far. */
    void offer(int i, float v) {
        if (size == k && !ranksAbove(v, i, value[k - 1], index[k - 1])) return;
        int j = size < k ? size++ : k - 1;
        // insertion sort step: shift worse entries one place down
        while (j > 0 && ranksAbove(v, i, value[j - 1], index[j - 1])) {
            index[j] = index[j - 1];
            value[j] = value[j - 1];
            j--;
        }
        index[j] = i;
        value[j] = v;
    }

    /** Whether (i, v) ranks strictly above (j, w): larger value, NaN lowest, ties to the lower index. */
    static boolean ranksAbove(float v, int i, float w, int j) {
        boolean vNaN = Float.isNaN(v), wNaN = Float.isNaN(w);
        if (vNaN || wNaN) return vNaN == wNaN ? i < j : wNaN;
        if (v != w) return v > w;
        return i < j;
    }
}
