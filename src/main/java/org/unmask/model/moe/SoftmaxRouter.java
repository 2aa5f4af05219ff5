package org.unmask.model.moe;

import org.unmask.compute.Parallel;

/**
 * The LLaDA-MoE router. Per token, with logits {@code l}:
 * <ol>
 *   <li>probabilities {@code p = softmax(l)} over all experts, in float32;</li>
 *   <li>{@code q_e = p_e + expert_bias_e} when the checkpoint has an expert bias ({@code moe_router_enable_expert_bias}),
 *       else {@code q = p}: unlike the LLaDA 2.x router the bias enters the weights too;</li>
 *   <li>the {@code num_experts_per_tok} largest {@code q} are chosen, with weights {@code q_j} — divided by
 *       {@code Σ q} only when {@code normTopKProb} (the official code hard-codes no renormalisation).</li>
 * </ol>
 * Ties rank the lower expert index first; slots are ordered by {@code q}, best first. The reference casts the
 * weights to the activation dtype; they stay float32 here.
 */
public final class SoftmaxRouter implements Router {
    private final SoftmaxRouterConfig config;
    private final float[] expertBias;

    /** A router with the given settings and {@code expert_bias} ({@code [experts]}, or null for none). */
    public SoftmaxRouter(SoftmaxRouterConfig config, float[] expertBias) {
        this.config = config;
        this.expertBias = Router.checkedBias(expertBias, config.experts());
    }

    /** The settings. */
    public SoftmaxRouterConfig config() { return config; }

    @Override public int experts() { return config.experts(); }

    @Override public int topK() { return config.topK(); }

    @Override
    public Routing route(float[] logits, int tokens) {
        int E = config.experts(), k = config.topK();
        Router.checkLogits(logits, tokens, E);
        int[] experts = new int[tokens * k];
        float[] weights = new float[tokens * k];
        Parallel.forRange(tokens, 8, (t0, t1) -> {
            float[] q = new float[E];
            TopK pick = new TopK(k);
            for (int t = t0; t < t1; t++) routeToken(logits, t * E, q, pick, experts, weights, t * k);
        });
        return new Routing(tokens, k, experts, weights);
    }

    private void routeToken(float[] logits, int off, float[] q, TopK pick, int[] experts, float[] weights, int out) {
        int E = config.experts(), k = config.topK();
        float max = Float.NEGATIVE_INFINITY;
        for (int e = 0; e < E; e++) max = Math.max(max, logits[off + e]);
        double total = 0;   // the normaliser in double, then each probability rounded once to float
        for (int e = 0; e < E; e++) {
            float p = (float) Math.exp((double) logits[off + e] - max);
            q[e] = p;
            total += p;
        }
        pick.reset();
        for (int e = 0; e < E; e++) {
            q[e] = (float) (q[e] / total);
            if (expertBias != null) q[e] += expertBias[e];
            pick.offer(e, q[e]);
        }
        float sum = 0;
        for (int j = 0; j < k; j++) sum += pick.value(j);
        for (int j = 0; j < k; j++) {
            experts[out + j] = pick.index(j);
            weights[out + j] = config.normTopKProb() ? pick.value(j) / sum : pick.value(j);
        }
    }
}
