package org.unmask.model;

/**
 * The feed-forward half of a transformer block, replaceable per layer: a dense SwiGLU ({@link DenseFeedForward})
 * today, a routed mixture of experts for the families that have one ({@link ModelFamily#feedForward} supplies it).
 */
public interface FeedForward {

    /**
     * Writes {@code out[rows × d_model] = FFN(x)} for the normalised residual stream {@code x[rows × d_model]}. Working
     * memory comes from {@code scratch}, which is the layer's own during training (what the backward pass reads) and
     * shared by all layers during inference.
     */
    void forward(float[] out, float[] x, int rows, LayerScratch scratch);
}
