package org.unmask.model.moe;

/**
 * Settings of the LLaDA-MoE (OLMoE-style) router.
 *
 * @param experts      {@code num_experts}
 * @param topK         {@code num_experts_per_tok}
 * @param normTopKProb renormalise the chosen weights to sum 1; the official LLaDA-MoE code hard-codes false
 */
public record SoftmaxRouterConfig(int experts, int topK, boolean normTopKProb) {
    public SoftmaxRouterConfig {
        if (experts < 1) throw new IllegalArgumentException("num_experts must be positive, got " + experts);
        if (topK < 1 || topK > experts)
            throw new IllegalArgumentException("num_experts_per_tok must be within 1..num_experts (" + experts
                    + "), got " + topK);
    }
}
