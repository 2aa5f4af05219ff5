package org.unmask.model.moe;

/**
 * The router's decision for a batch of tokens: for token {@code t} and slot {@code j < topK}, expert
 * {@code experts[t·topK + j]} with weight {@code weights[t·topK + j]}. Slots are in rank order (best first by the
 * router's selection score); an expert appears at most once per token.
 */
public record Routing(int tokens, int topK, int[] experts, float[] weights) {
    public Routing {
        if (tokens < 0 || topK < 1)
            throw new IllegalArgumentException("routing needs tokens ≥ 0 and topK ≥ 1: tokens=" + tokens + ", topK=" + topK);
        long n = (long) tokens * topK;
        if (experts.length != n || weights.length != n)
            throw new IllegalArgumentException("routing of " + tokens + " tokens × top-" + topK + " needs " + n
                    + " experts and weights, got " + experts.length + " and " + weights.length);
    }

    /** Expert chosen for token {@code t} in slot {@code j}. */
    public int expert(int t, int j) { return experts[t * topK + j]; }

    /** Weight of token {@code t}'s slot {@code j}. */
    public float weight(int t, int j) { return weights[t * topK + j]; }
}
