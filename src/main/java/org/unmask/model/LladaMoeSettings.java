package org.unmask.model;

import org.unmask.model.moe.SoftmaxRouterConfig;

import java.util.List;

/**
 * The mixture-of-experts settings of a LLaDA-MoE model (config.json of {@code lladamoe}).
 *
 * @param router       {@code num_experts}, {@code num_experts_per_tok}; no renormalisation (hard-coded in the official code)
 * @param expertWidth  {@code expert_intermediate_size}
 * @param sharedWidth  {@code shared_expert_intermediate_size}; 0 = no shared expert (the released models: null)
 * @param expertBias   {@code moe_router_enable_expert_bias}: the router adds {@code mlp.gate.expert_bias} to its probabilities
 * @param moeLayerFreq {@code moe_layer_freq}: per layer 1 = experts, 0 = dense SwiGLU of {@code dense_intermediate_size}
 */
public record LladaMoeSettings(SoftmaxRouterConfig router, int expertWidth, int sharedWidth, boolean expertBias,
                               List<Integer> moeLayerFreq) {
    public LladaMoeSettings {
        if (expertWidth < 1) throw new IllegalArgumentException("expert_intermediate_size must be positive, got " + expertWidth);
        if (sharedWidth < 0) throw new IllegalArgumentException("shared_expert_intermediate_size must be ≥ 0, got " + sharedWidth);
        for (int f : moeLayerFreq)
            if (f != 0 && f != 1) throw new IllegalArgumentException("moe_layer_freq entries must be 0 (dense) or 1 (experts), got " + moeLayerFreq);
        moeLayerFreq = List.copyOf(moeLayerFreq);
    }

    /** Whether {@code layer} has experts. */
    public boolean moeLayer(int layer) { return moeLayerFreq.get(layer) == 1; }
}
