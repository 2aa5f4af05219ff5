package org.unmask.model;

import org.unmask.model.tensor.Weights;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Real LLaDA transformers (the engine's own forward pass) whose predictions are known in closed form, so likelihood
 * and ELBO estimators can be checked against exact values instead of "the number is positive".
 *
 * <ul>
 *   <li>{@link #uniform}: random weights except an all-zero LM head, so every logit is exactly 0 and every position
 *       predicts the uniform distribution over the {@code embedding_size} logit columns: −log p = ln E for any token,
 *       context, mask pattern, guidance weight or attention pattern.</li>
 *   <li>{@link #constant}: random attention and MLP weights but zero output projections ({@code attn_out},
 *       {@code ff_out}), so the residual stream at each position stays its own token embedding; the mask embedding
 *       is all ones and the final norm weight is 1, so every masked position sees the same final hidden vector
 *       (1/√(1+eps)) and the LM head gives token {@code favoured} the logit {@code margin}/√(1+eps) and every other
 *       token 0. At a masked position: −log p(favoured) = ln(1 + (E−1)·e^{−m}), −log p(other) = ln(e^m + E − 1),
 *       with m = {@link #constantMargin}, whatever the context.</li>
 * </ul>
 */
public final class KnownModels {
    private KnownModels() {}

    /**
     * A small GQA config with {@code embedding_size} (20) larger than {@code vocab_size} (16), so a test can tell which
     * of the two a softmax runs over. Mask 2, EOS = pad 0, BOS 1: the ids of the test CharTokenizers.
     */
    public static ModelConfig config() {
        return new ModelConfig(16, 2, 4, 2, 24, 16, 20, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
    }

    private static Map<String, float[]> randomArrays(ModelConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : LladaTensors.expectedShapes(c).entrySet()) {
            int n = 1;
            for (long s : e.getValue()) n *= (int) s;
            float[] a = new float[n];
            boolean norm = e.getValue().length == 1;
            for (int i = 0; i < n; i++) a[i] = (float) (norm ? 1 + 0.2 * r.nextGaussian() : 0.5 * r.nextGaussian());
            m.put(e.getKey(), a);
        }
        return m;
    }

    private static Transformer build(ModelConfig c, Map<String, float[]> arrays) {
        Map<String, Weights> w = new LinkedHashMap<>();
        arrays.forEach((k, a) -> w.put(k, new Weights.F32(a, 0, a.length)));
        return Transformer.fromWeights(c, w, false);
    }

    /** Random weights (matrices N(0, 0.25), norms around 1): logits far from uniform, nothing known in closed form. */
    public static Transformer random(ModelConfig c, long seed) {
        return build(c, randomArrays(c, seed));
    }

    /** Every logit exactly 0: the uniform distribution over {@code c.embeddingSize()} tokens everywhere. */
    public static Transformer uniform(ModelConfig c, long seed) {
        Map<String, float[]> a = randomArrays(c, seed);
        java.util.Arrays.fill(a.get(c.weightTying() ? LladaTensors.EMBEDDING : LladaTensors.LM_HEAD), 0f);
        return build(c, a);
    }

    /** The logit of {@code favoured} at every masked position of a {@link #constant} model built with {@code margin}. */
    public static double constantMargin(ModelConfig c, double margin) {
        return (float) (margin / c.dModel()) * c.dModel() / Math.sqrt(1 + c.rmsNormEps());
    }

    /** At masked positions: logit {@link #constantMargin} for {@code favoured}, 0 for every other token. */
    public static Transformer constant(ModelConfig c, int favoured, double margin, long seed) {
        if (c.weightTying()) throw new IllegalArgumentException("needs an untied LM head");
        Map<String, float[]> a = randomArrays(c, seed);
        int d = c.dModel();
        for (int l = 0; l < c.nLayers(); l++) {
            java.util.Arrays.fill(a.get(LladaTensors.block(l, "attn_out")), 0f);
            java.util.Arrays.fill(a.get(LladaTensors.block(l, "ff_out")), 0f);
        }
        java.util.Arrays.fill(a.get(LladaTensors.EMBEDDING), c.maskTokenId() * d, (c.maskTokenId() + 1) * d, 1f);
        java.util.Arrays.fill(a.get(LladaTensors.FINAL_NORM), 1f);
        float[] head = a.get(LladaTensors.LM_HEAD);
        java.util.Arrays.fill(head, 0f);
        java.util.Arrays.fill(head, favoured * d, (favoured + 1) * d, (float) (margin / d));
        return build(c, a);
    }

    /** −log p(token) in nats at a masked position of a {@link #constant} model. */
    public static double constantNll(ModelConfig c, double margin, boolean favoured) {
        double m = constantMargin(c, margin), e = c.embeddingSize();
        // log-sum-exp over {m, 0 × (E−1)} minus the token's logit, in a stable form
        double lse = m + Math.log1p((e - 1) * Math.exp(-m));
        return favoured ? lse - m : lse;
    }
}
