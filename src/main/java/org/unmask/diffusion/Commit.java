package org.unmask.diffusion;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Positions, tokens and confidences one row commits in a step, in decreasing order of rank (positions in canvas
 * coordinates); under LLaDA 2.1's token editing, the replaced tokens follow the revealed ones.
 *
 * @param positions   where tokens are committed
 * @param tokens      the tokens committed there
 * @param confidences the confidence each was ranked by (NaN for Dream's origin, which ranks nothing)
 */
record Commit(int[] positions, int[] tokens, double[] confidences) {
    static final Commit EMPTY = new Commit(new int[0], new int[0], new double[0]);

    int size() { return positions.length; }

    /** {@code a}'s entries followed by {@code b}'s. */
    static Commit concat(Commit a, Commit b) {
        if (b.size() == 0) return a;
        if (a.size() == 0) return b;
        int n = a.size() + b.size();
        Commit c = new Commit(Arrays.copyOf(a.positions, n), Arrays.copyOf(a.tokens, n), Arrays.copyOf(a.confidences, n));
        System.arraycopy(b.positions, 0, c.positions, a.size(), b.size());
        System.arraycopy(b.tokens, 0, c.tokens, a.size(), b.size());
        System.arraycopy(b.confidences, 0, c.confidences, a.size(), b.size());
        return c;
    }

    /** The entries whose index satisfies {@code keep}, in order ({@code this} when all do). */
    Commit select(IntPredicate keep) {
        int n = 0;
        for (int i = 0; i < size(); i++) if (keep.test(i)) n++;
        if (n == size()) return this;
        Commit c = new Commit(new int[n], new int[n], new double[n]);
        n = 0;
        for (int i = 0; i < size(); i++) {
            if (!keep.test(i)) continue;
            c.positions[n] = positions[i];
            c.tokens[n] = tokens[i];
            c.confidences[n++] = confidences[i];
        }
        return c;
    }

    /** The first {@code n}. */
    Commit prefix(int n) {
        return new Commit(Arrays.copyOf(positions, n), Arrays.copyOf(tokens, n), Arrays.copyOf(confidences, n));
    }
}
