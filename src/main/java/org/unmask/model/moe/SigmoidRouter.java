package org.unmask.model.moe;

import org.unmask.compute.Parallel;

/**
 * The LLaDA 2.x (BailingMoeV2) router. Per token, with logits {@code l} computed in float32:
 * <ol>
 *   <li>scores {@code s_e = sigmoid(l_e)};</li>
 *   <li>selection scores {@code b_e = s_e + expert_bias_e} (the bias steers load balance: it changes which
 *       experts are chosen, never their weights);</li>
 *   <li>group-limited top-k: each of {@code n_group} groups of consecutive experts scores the sum of its two largest
 *       {@code b}; the {@code topk_group} best groups are kept; the {@code num_experts_per_tok} largest {@code b}
 *       among their experts are chosen;</li>
 *   <li>weights: the chosen unbiased scores, {@code w_j = s_j / (Σ s + 1e-20)} when {@code norm_topk_prob} and
 *       {@code k > 1} (otherwise {@code s_j}), times {@code routed_scaling_factor}.</li>
 * </ol>
 * Ties rank the lower group or expert index first (see {@link TopK}); slots are ordered by {@code b}, best first.
 */
public final class SigmoidRouter implements Router {
    /** Keeps the normalisation finite when every chosen score underflows to 0, as the reference does. */
    private static final float NORM_EPS = 1e-20f;

    private final SigmoidRouterConfig config;
    private final float[] expertBias;

    /** A router with the given settings and {@code expert_bias} ({@code [experts]}, or null for none). */
    public SigmoidRouter(SigmoidRouterConfig config, float[] expertBias) {
        this.config = config;
        this.expertBias = Router.checkedBias(expertBias, config.experts());
    }

    /** The settings. */
    public SigmoidRouterConfig config() { return config; }

    @Override public int experts() { return config.experts(); }

    @Override public int topK() { return config.topK(); }

    @Override
    public Routing route(float[] logits, int tokens) {
        int E = config.experts(), k = config.topK();
        Router.checkLogits(logits, tokens, E);
        int[] experts = new int[tokens * k];
        float[] weights = new float[tokens * k];
        Parallel.forRange(tokens, 8, (t0, t1) -> {
            float[] score = new float[E], biased = new float[E];
            boolean[] keep = new boolean[config.groups()];
            TopK pick = new TopK(k), groupPick = new TopK(config.topKGroups()), pair = new TopK(2);
            for (int t = t0; t < t1; t++) routeToken(logits, t * E, score, biased, keep, pick, groupPick, pair,
                    experts, weights, t * k);
        });
        return new Routing(tokens, k, experts, weights);
    }

    private void routeToken(float[] logits, int off, float[] score, float[] biased, boolean[] keep, TopK pick,
                            TopK groupPick, TopK pair, int[] experts, float[] weights, int out) {
        int E = config.experts(), G = config.groups(), per = E / G, k = config.topK();
        for (int e = 0; e < E; e++) {
            score[e] = sigmoid(logits[off + e]);
            biased[e] = expertBias == null ? score[e] : score[e] + expertBias[e];
        }
        if (G == 1) {
            keep[0] = true;
        } else {
            groupPick.reset();
            for (int g = 0; g < G; g++) {
                pair.reset();
                for (int e = g * per; e < (g + 1) * per; e++) pair.offer(e, biased[e]);
                groupPick.offer(g, pair.value(0) + pair.value(1));
            }
            java.util.Arrays.fill(keep, false);
            for (int j = 0; j < groupPick.size(); j++) keep[groupPick.index(j)] = true;
        }
        pick.reset();
        for (int g = 0; g < G; g++) {
            if (!keep[g]) continue;
            for (int e = g * per; e < (g + 1) * per; e++) pick.offer(e, biased[e]);
        }
        float sum = 0;
        for (int j = 0; j < k; j++) sum += score[pick.index(j)];
        boolean normalise = config.normTopKProb() && k > 1;
        for (int j = 0; j < k; j++) {
            int e = pick.index(j);
            float w = normalise ? score[e] / (sum + NORM_EPS) : score[e];
            experts[out + j] = e;
            weights[out + j] = w * config.scalingFactor();
        }
    }

    /** Logistic function in float32 (computed in double and rounded once). */
    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
    }
}
