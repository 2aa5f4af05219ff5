package org.unmask.model.kernels;

/**
 * LLaDA's gated feed-forward activation {@code SiLU(gate) ⊙ up}, forward and backward, over rows of a fixed width
 * (each row is handled whole by one thread so results do not depend on the thread count).
 */
public final class SwiGlu {
    private SwiGlu() {}

    /** {@code out = gate·σ(gate)·up}, element-wise over {@code rows×width}. */
    public static void forward(float[] out, float[] gate, float[] up, int rows, int width) {
        Parallel.forRange(rows, 8, (r0, r1) -> {
            for (int i = r0 * width, end = r1 * width; i < end; i++) {
                float g = gate[i];
                out[i] = g / (1f + (float) Math.exp(-g)) * up[i];
            }
        });
    }

    /** Writes {@code dgate} and {@code dup} from {@code dout} and the saved inputs. */
    public static void backward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int rows, int width) {
        Parallel.forRange(rows, 8, (r0, r1) -> {
            for (int i = r0 * width, end = r1 * width; i < end; i++) {
                float g = gate[i];
                float sig = 1f / (1f + (float) Math.exp(-g));
                float silu = g * sig;
                dup[i] = dout[i] * silu;
                dgate[i] = dout[i] * up[i] * (sig * (1f + g * (1f - sig)));
            }
        });
    }
}
