package org.unmask.model.kernels;

import org.unmask.compute.Simd;
import org.unmask.compute.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LLaDA's gated feed-forward activation {@code SiLU(gate) ⊙ up}, forward and backward, over rows of a fixed width.
 * Each row is handled whole by one thread (SIMD body, scalar tail at fixed columns), so results do not depend on
 * the thread count.
 */
public final class SwiGlu {
    private SwiGlu() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    /** {@code out = gate·σ(gate)·up}, element-wise over {@code rows×width}. */
    public static void forward(float[] out, float[] gate, float[] up, int rows, int width) {
        Parallel.forRange(rows, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * width, i = 0;
                for (int bound = S.loopBound(width); i < bound; i += S.length()) {
                    FloatVector g = FloatVector.fromArray(S, gate, o + i);
                    FloatVector sig = ONE.div(Simd.exp(g.neg()).add(1f));
                    g.mul(sig).mul(FloatVector.fromArray(S, up, o + i)).intoArray(out, o + i);
                }
                for (; i < width; i++) {
                    float g = gate[o + i];
                    out[o + i] = g * (1f / (1f + (float) Math.exp(-g))) * up[o + i];
                }
            }
        });
    }

    /** Writes {@code dgate} and {@code dup} from {@code dout} and the saved inputs. */
    public static void backward(float[] dgate, float[] dup, float[] dout, float[] gate, float[] up, int rows, int width) {
        Parallel.forRange(rows, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * width, i = 0;
                for (int bound = S.loopBound(width); i < bound; i += S.length()) {
                    FloatVector g = FloatVector.fromArray(S, gate, o + i);
                    FloatVector dy = FloatVector.fromArray(S, dout, o + i);
                    FloatVector sig = ONE.div(Simd.exp(g.neg()).add(1f));
                    dy.mul(g.mul(sig)).intoArray(dup, o + i);
                    // σ'·g + σ = σ·(1 + g·(1 − σ))
                    FloatVector dsilu = sig.mul(g.mul(sig.neg().add(1f)).add(1f));
                    dy.mul(FloatVector.fromArray(S, up, o + i)).mul(dsilu).intoArray(dgate, o + i);
                }
                for (; i < width; i++) {
                    float g = gate[o + i];
                    float sig = 1f / (1f + (float) Math.exp(-g));
                    dup[o + i] = dout[o + i] * (g * sig);
                    dgate[o + i] = dout[o + i] * up[o + i] * (sig * (1f + g * (1f - sig)));
                }
            }
        });
    }
}
