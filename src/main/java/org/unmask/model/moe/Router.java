package org.unmask.model.moe;

/** Chooses, from router logits {@code [tokens, experts]} (the fp32 product {@code x·Wgateᵀ}), each token's experts and weights. */
public sealed interface Router permits SigmoidRouter, SoftmaxRouter {

    /** Number of routed experts (the width of a logits row). */
    int experts();

    /** Experts chosen per token. */
    int topK();

    /** The routing of {@code tokens} rows of {@code logits [tokens, experts()]}. */
    Routing route(float[] logits, int tokens);

    /** A copy of {@code expert_bias} after checking it has one entry per expert (null stays null: no bias). */
    static float[] checkedBias(float[] expertBias, int experts) {
        if (expertBias != null && expertBias.length != experts)
            throw new IllegalArgumentException("expert_bias has " + expertBias.length + " entries for " + experts + " experts");
        return expertBias == null ? null : expertBias.clone();
    }

    /** Checks that {@code logits} holds {@code tokens} rows of {@code experts}. */
    static void checkLogits(float[] logits, int tokens, int experts) {
        if (tokens < 0 || logits.length < (long) tokens * experts)
            throw new IllegalArgumentException("router logits: " + tokens + " tokens × " + experts + " experts need "
                    + (long) tokens * experts + " floats, got " + logits.length);
    }
}
