package org.unmask.model.moe;

/**
 * Settings of the LLaDA 2.x (BailingMoeV2) router, named after the config.json fields.
 *
 * @param experts          {@code num_experts}
 * @param topK             {@code num_experts_per_tok}
 * @param groups           {@code n_group}: experts are split into this many equal groups of consecutive indices
 * @param topKGroups       {@code topk_group}: groups kept per token before the expert top-k
 * @param normTopKProb     {@code norm_topk_prob}: normalise the chosen scores to sum 1 (released checkpoints: true)
 * @param scalingFactor    {@code routed_scaling_factor}: multiplies the final weights
 */
public record SigmoidRouterConfig(int experts, int topK, int groups, int topKGroups, boolean normTopKProb,
                                  float scalingFactor) {
    public SigmoidRouterConfig {
        if (experts < 1) throw new IllegalArgumentException("num_experts must be positive, got " + experts);
        if (groups < 1 || experts % groups != 0)
            throw new IllegalArgumentException("n_group must divide num_experts " + experts + ", got " + groups);
        // the group score is the sum of a group's two best experts
        if (groups > 1 && experts / groups < 2)
            throw new IllegalArgumentException("group-limited routing needs at least 2 experts per group; num_experts "
                    + experts + " / n_group " + groups + " = " + experts / groups);
        if (topKGroups < 1 || topKGroups > groups)
            throw new IllegalArgumentException("topk_group must be within 1..n_group (" + groups + "), got " + topKGroups);
        if (topK < 1 || topK > topKGroups * (experts / groups))
            throw new IllegalArgumentException("num_experts_per_tok must be within 1.." + topKGroups * (experts / groups)
                    + " (the experts in topk_group groups), got " + topK);
        if (!Float.isFinite(scalingFactor) || scalingFactor <= 0)
            throw new IllegalArgumentException("routed_scaling_factor must be positive and finite, got " + scalingFactor);
    }

    /** The released LLaDA2.0/2.1-mini router: 256 experts, top-8 of 4 of 8 groups, normalised, ×2.5. */
    public static SigmoidRouterConfig lladaMini() {
        return new SigmoidRouterConfig(256, 8, 8, 4, true, 2.5f);
    }
}
