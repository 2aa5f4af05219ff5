package org.unmask.model.moe;

/**
 * A routing regrouped by expert (a counting sort): the assignments of expert {@code e} are
 * {@code [start[e], start[e+1])}, each with its token and weight, tokens ascending. This turns "8 experts per token"
 * into "one row block per expert", so each chosen expert runs as one matrix product over its tokens.
 */
final class ExpertBatches {
    final int[] start;      // [experts + 1]
    final int[] token;      // [tokens·topK], grouped by expert
    final float[] weight;   // [tokens·topK], same order
    final int[] active;     // experts with at least one token, ascending

    private ExpertBatches(int[] start, int[] token, float[] weight, int[] active) {
        this.start = start;
        this.token = token;
        this.weight = weight;
        this.active = active;
    }

    /** Groups {@code routing} by expert; every expert index must lie in {@code [0, experts)}. */
    static ExpertBatches of(Routing routing, int experts) {
        int n = routing.experts().length, k = routing.topK();
        int[] count = new int[experts + 1];
        for (int a = 0; a < n; a++) {
            int e = routing.experts()[a];
            if (e < 0 || e >= experts)
                throw new IllegalArgumentException("routing sends token " + a / k + " to expert " + e + " of " + experts);
            count[e + 1]++;
        }
        int[] start = new int[experts + 1];
        int activeCount = 0;
        for (int e = 0; e < experts; e++) {
            start[e + 1] = start[e] + count[e + 1];
            if (count[e + 1] > 0) activeCount++;
        }
        int[] fill = java.util.Arrays.copyOf(start, experts);
        int[] token = new int[n];
        float[] weight = new float[n];
        // assignments are visited token by token, so each expert's tokens come out ascending
        for (int a = 0; a < n; a++) {
            int e = routing.experts()[a], at = fill[e]++;
            token[at] = a / k;
            weight[at] = routing.weights()[a];
        }
        int[] active = new int[activeCount];
        for (int e = 0, i = 0; e < experts; e++) if (start[e + 1] > start[e]) active[i++] = e;
        return new ExpertBatches(start, token, weight, active);
    }

    /** Number of tokens routed to expert {@code e}. */
    int rows(int e) { return start[e + 1] - start[e]; }
}
