package org.unmask.model.moe;

/** Chooses, from router logits {@code [tokens, experts]} (the fp32 product {@code x·Wgateᵀ}), each token's experts and weights. */
public sealed interface Router permits SigmoidRouter, SoftmaxRouter {

    /** Number of routed experts (the width of a logits row). */
    int experts();

    /** Experts chosen per token. */
    int topK();

    /** The routing of {@code tokens} rows of {@code logits [tokens, experts()]}. */
    Routing route(float[] logits, int tokens);
}
