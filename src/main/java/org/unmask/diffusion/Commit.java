package org.unmask.diffusion;

import java.util.Arrays;

/**
 * Positions, tokens and confidences one row commits in a step, in decreasing order of rank (positions in canvas
 * coordinates).
 *
 * @param positions   where tokens are committed
 * @param tokens      the tokens committed there
 * @param confidences the confidence each was ranked by (NaN for Dream's origin, which ranks nothing)
 */
record Commit(int[] positions, int[] tokens, double[] confidences) {
    static final Commit EMPTY = new Commit(new int[0], new int[0], new double[0]);

    int size() { return positions.length; }

    /** The first {@code n}. */
    Commit prefix(int n) {
        return new Commit(Arrays.copyOf(positions, n), Arrays.copyOf(tokens, n), Arrays.copyOf(confidences, n));
    }
}
