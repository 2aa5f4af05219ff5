package org.unmask.model.kernels;

import org.unmask.compute.Simd;
import org.unmask.compute.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LLaDA's gated feed-forward activation {@code SiLU(gate) ⊙ up}, forward and backward, over rows of a fixed width.
 * Each row is handled whole by one thread (SIMD body, scalar tail at fixed columns), so results do not depend on
 * the thread count. The vector loops are methods of their own, outside the task bodies (see {@link Simd#expSum}).
 */
public final class SwiGlu {
    private SwiGlu() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** {@code out = gate·σ(gate)·up}, element-wise over {@code rows×width}. */
    public static void forward(float[] out, float[] gate, float[] up, int rows, int width) {
        Parallel.forRange(rows, 8, (r0, r1) -> forwardRows(out, gate, up, r0, r1, width));
    }

    /** Writes {@code dgate} and {@code dup} from {@code dout} and the saved inputs. */
    public static void backward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int rows, int width) {
        Parallel.forRange(rows, 8, (r0, r1) -> backwardRows(dgate, dup, dout, gate, up, r0, r1, width));
    }

    /** Rows [r0, r1) of the forward, each with its scalar tail at the same columns whatever the split. */
    private static void forwardRows(float[] out, float[] gate, float[] up, int r0, int r1, int width) {
        for (int r = r0; r < r1; r++) {
            int o = r * width, i = o;
            for (int bound = o + S.loopBound(width); i < bound; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i);
                g.mul(Simd.sigmoid(g)).mul(FloatVector.fromArray(S, up, i)).intoArray(out, i);
            }
            for (; i < o + width; i++) {
                float g = gate[i];
                out[i] = g * (1f / (1f + (float) Math.exp(-g))) * up[i];
            }
        }
    }

    /** Rows [r0, r1) of the backward, likewise. */
    private static void backwardRows(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int r0, int r1, int width) {
        for (int r = r0; r < r1; r++) {
            int o = r * width, i = o;
            for (int bound = o + S.loopBound(width); i < bound; i += S.length()) {
                FloatVector g = FloatVector.fromArray(S, gate, i);
                FloatVector dy = FloatVector.fromArray(S, dout, i);
                FloatVector sig = Simd.sigmoid(g);
                dy.mul(g.mul(sig)).intoArray(dup, i);
                // σ'·g + σ = σ·(1 + g·(1 − σ))
                FloatVector dsilu = sig.mul(g.mul(sig.neg().add(1f)).add(1f));
                dy.mul(FloatVector.fromArray(S, up, i)).mul(dsilu).intoArray(dgate, i);
            }
            for (; i < o + width; i++) {
                float g = gate[i];
                float sig = 1f / (1f + (float) Math.exp(-g));
                dup[i] = dout[i] * (g * sig);
                dgate[i] = dout[i] * up[i] * (sig * (1f + g * (1f - sig)));
            }
        }
    }
}
