package org.unmask.model;

/**
 * What a per-layer tensor does in the engine, whatever a family calls it; the shape follows from the config. The
 * enum order is the checkpoint order of a layer's tensors.
 */
public enum TensorRole {
    ATTN_NORM, Q, Q_BIAS, K, K_BIAS, V, V_BIAS, Q_NORM, K_NORM, O, FF_NORM, GATE, UP, DOWN;

    /** Whether a model with config {@code c} has this tensor. */
    public boolean present(ModelConfig c) {
        return switch (this) {
            case Q_BIAS, K_BIAS, V_BIAS -> c.qkvBias();
            case Q_NORM, K_NORM -> c.qkNorm();
            default -> true;
        };
    }

    /** The shape ([out, in] for matrices). */
    public long[] shape(ModelConfig c) {
        long d = c.dModel(), q = c.qDim(), kv = c.kvDim(), m = c.mlpHiddenSize();
        return switch (this) {
            case ATTN_NORM, FF_NORM -> new long[]{d};
            case Q -> new long[]{q, d};
            case K, V -> new long[]{kv, d};
            case Q_BIAS -> new long[]{q};
            case K_BIAS, V_BIAS -> new long[]{kv};
            case Q_NORM, K_NORM -> new long[]{c.headDim()};
            case O -> new long[]{d, q};
            case GATE, UP -> new long[]{m, d};
            case DOWN -> new long[]{d, m};
        };
    }

    /** How a random model initialises it: norms to one, biases to zero, matrices from a Gaussian. */
    public TensorSpec.Init init() {
        return switch (this) {
            case ATTN_NORM, FF_NORM, Q_NORM, K_NORM -> TensorSpec.Init.ONES;
            case Q_BIAS, K_BIAS, V_BIAS -> TensorSpec.Init.ZEROS;
            default -> TensorSpec.Init.GAUSSIAN;
        };
    }
}
