package org.unmask.train;

import org.unmask.model.Parameters;
import org.unmask.compute.Parallel;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter) over a flat {@link Parameters} buffer: decay only on
 * matrices (rank 2: projections and embeddings), never on norm weights; bias-corrected moments.
 */
public final class AdamW {
    private final Parameters params;
    private final double beta1, beta2, eps, weightDecay;
    private final float[] m, v;
    private final boolean[] decays;    // per tensor, in Parameters.list() order
    private long steps;

    /** An optimiser with zero moments; decay applies only to 2-D weights. */
    public AdamW(Parameters p, double beta1, double beta2, double eps, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("eps must be positive, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be non-negative, got " + weightDecay);
        this.params = p;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new float[p.size()];
        this.v = new float[p.size()];
        this.decays = new boolean[p.list().size()];
        for (int i = 0; i < decays.length; i++) decays[i] = p.list().get(i).rank() == 2;
    }

    /** One update with learning rate {@code lr} from the gradients in {@code parameters().grads()}. */
    public void step(double lr) {
        steps++;
        float[] w = params.values(), g = params.grads();
        float b1 = (float) beta1, b2 = (float) beta2;
        float stepSize = (float) (lr / (1 - Math.pow(beta1, steps)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, steps));
        float e = (float) eps;
        var list = params.list();
        for (int t = 0; t < list.size(); t++) {
            var p = list.get(t);
            float keep = decays[t] ? (float) (1 - lr * weightDecay) : 1f;
            int off = p.offset();
            Parallel.forRange(p.size(), 4096, (i0, i1) -> {
                for (int i = off + i0, end = off + i1; i < end; i++) {
                    float gi = g[i];
                    m[i] = b1 * m[i] + (1 - b1) * gi;
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                    // decoupled decay first (as torch.optim.AdamW), then the bias-corrected Adam step
                    w[i] = w[i] * keep - stepSize * m[i] / ((float) Math.sqrt(v[i]) / bc2Sqrt + e);
                }
            });
        }
    }

    /** First moments (live). */
    public float[] m() { return m; }

    /** Second moments (live). */
    public float[] v() { return v; }

    /** Number of steps taken (for bias correction). */
    public long steps() { return steps; }

    /** Restores the optimiser state saved from {@link #m()}, {@link #v()} and {@link #steps()}. */
    public void restore(float[] m, float[] v, long steps) {
        if (m.length != this.m.length || v.length != this.v.length) {
            throw new IllegalArgumentException("optimiser state has " + m.length + "/" + v.length + " moments, the model has "
                    + this.m.length + " parameters");
        }
        if (steps < 0) throw new IllegalArgumentException("optimiser step count must be non-negative, got " + steps);
        System.arraycopy(m, 0, this.m, 0, m.length);
        System.arraycopy(v, 0, this.v, 0, v.length);
        this.steps = steps;
    }
}
