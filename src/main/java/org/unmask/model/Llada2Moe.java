package org.unmask.model;

import org.unmask.model.moe.SigmoidRouterConfig;

/**
 * The mixture-of-experts settings of a LLaDA 2.x model (config.json of {@code LLaDA2MoeModelLM}): which layers are
 * dense, the experts' width and count, and the sigmoid group-limited router.
 *
 * @param router          {@code num_experts}, {@code num_experts_per_tok}, {@code n_group}, {@code topk_group},
 *                        {@code norm_topk_prob}, {@code routed_scaling_factor}
 * @param expertWidth     {@code moe_intermediate_size}: width of each routed expert
 * @param sharedExperts   {@code num_shared_experts}: the shared expert is one SwiGLU this many times as wide
 * @param firstDense      {@code first_k_dense_replace}: layers {@code 0..firstDense-1} are dense SwiGLU
 */
public record Llada2Moe(SigmoidRouterConfig router, int expertWidth, int sharedExperts, int firstDense) {
    public Llada2Moe {
        if (expertWidth < 1) throw new IllegalArgumentException("moe_intermediate_size must be positive, got " + expertWidth);
        if (sharedExperts < 0) throw new IllegalArgumentException("num_shared_experts must be ≥ 0, got " + sharedExperts);
        if (firstDense < 0) throw new IllegalArgumentException("first_k_dense_replace must be ≥ 0, got " + firstDense);
    }

    /** LLaDA2.0/2.1-mini: 256 experts of 512, top-8 of 4 of 8 groups, ×2.5, one shared expert, layer 0 dense. */
    public static Llada2Moe mini() { return new Llada2Moe(SigmoidRouterConfig.lladaMini(), 512, 1, 1); }

    /** Whether {@code layer} has experts (the layers from {@code first_k_dense_replace} on). */
    public boolean moeLayer(int layer) { return layer >= firstDense; }
}
