package org.unmask.model;

import org.unmask.model.kernels.SwiGlu;
import org.unmask.model.tensor.Weights;

/**
 * The dense SwiGLU feed-forward {@code down(silu(gate·x) ⊙ up·x)} of LLaDA, Dream and Qwen2 (and the shared expert
 * of a mixture). The gate, up and activation buffers stay in the scratch slots named here for the backward pass.
 *
 * @param gate  [width, d] gate projection
 * @param up    [width, d] up projection
 * @param down  [d, width] down projection
 * @param d     model width
 * @param width hidden width
 */
public record DenseFeedForward(Weights gate, Weights up, Weights down, int d, int width) implements FeedForward {

    /** Scratch slots of the gate and up projections and of the activation silu(gate) ⊙ up. */
    public static final int GATE = 0, UP = 1, ACT = 2;

    @Override public void forward(float[] out, float[] x, int rows, LayerScratch s) {
        int n = rows * width;
        float[] g = s.buffer(GATE, n), u = s.buffer(UP, n), act = s.buffer(ACT, n);
        s.linear(g, x, gate, rows, d, width);
        s.linear(u, x, up, rows, d, width);
        SwiGlu.forward(act, g, u, rows, width);
        s.linear(out, act, down, rows, width, d);
    }
}
