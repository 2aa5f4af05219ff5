package org.unmask.model.moe;

import org.unmask.compute.Parallel;
import org.unmask.model.kernels.MatMul;
import org.unmask.model.kernels.SwiGlu;
import org.unmask.model.tensor.Weights;

import java.util.Arrays;
import java.util.List;

/**
 * A mixture-of-experts feed-forward layer for inference: {@code out[t] = Σ_j w_tj · E_{e_tj}(x[t]) + Σ_s S_s(x[t])}
 * over the router's chosen experts {@code e_tj} with weights {@code w_tj}, plus every shared expert {@code S_s}
 * unweighted. Input and output are row-major {@code [tokens, hidden]}.
 *
 * <p>Only chosen experts run, each once per call as a matrix product over the tokens routed to it (gathered into one
 * block). Both halves of the experts are split between the {@link Parallel} workers by output column, and each worker
 * walks every chosen expert over its own columns:
 * <ol>
 *   <li>columns {@code [i0, i1)} of the expert width: {@code gate} and {@code up} rows {@code i0..i1} against the
 *       expert's gathered tokens, SwiGLU, into that expert's block of one activation buffer;</li>
 *   <li>columns {@code [c0, c1)} of the output: {@code down} rows {@code c0..c1} against the activations, scatter-added
 *       with the token's weight, experts in ascending index order and then the shared experts.</li>
 * </ol>
 * So a layer has two synchronisation points whatever the number of experts, every worker streams an equal share of
 * every chosen expert's weights, the scatter-add needs no locks and no {@code [tokens·topK, hidden]} buffer, and each
 * output element is summed in one fixed order: the result is the same bits for any number of threads.
 */
public final class MoeFeedForward {
    /**
     * Columns per unit of work: a multiple of the 4-row weight tile of {@link MatMul} (so tiles sit at the same
     * columns however the units are grouped), small enough to share a 512-wide expert among many threads.
     */
    private static final int COLUMN_UNIT = 16;

    private final Weights routerWeight;
    private final Router router;
    private final ExpertWeights[] experts;
    private final ExpertWeights[] shared;
    private final int hidden;
    private final boolean parallel;

    /**
     * A layer over router weight {@code [experts, hidden]} ({@code mlp.gate.weight}), its router, the routed experts
     * in index order and the shared experts (possibly none).
     */
    public MoeFeedForward(Weights routerWeight, Router router, List<ExpertWeights> experts, List<ExpertWeights> shared) {
        if (experts.isEmpty()) throw new IllegalArgumentException("an MoE layer needs at least one routed expert");
        if (experts.size() != router.experts())
            throw new IllegalArgumentException("the router chooses among " + router.experts() + " experts but "
                    + experts.size() + " are given");
        this.hidden = experts.getFirst().hidden();
        for (int e = 0; e < experts.size(); e++)
            if (experts.get(e).hidden() != hidden)
                throw new IllegalArgumentException("expert " + e + " has hidden size " + experts.get(e).hidden()
                        + ", expert 0 has " + hidden);
        for (int s = 0; s < shared.size(); s++)
            if (shared.get(s).hidden() != hidden)
                throw new IllegalArgumentException("shared expert " + s + " has hidden size " + shared.get(s).hidden()
                        + ", the routed experts " + hidden);
        if (routerWeight.size() != (long) router.experts() * hidden)
            throw new IllegalArgumentException("router weight (mlp.gate.weight) should be [" + router.experts() + ", "
                    + hidden + "] = " + (long) router.experts() * hidden + " elements, has " + routerWeight.size());
        this.routerWeight = routerWeight;
        this.router = router;
        this.experts = experts.toArray(ExpertWeights[]::new);
        this.shared = shared.toArray(ExpertWeights[]::new);
        boolean readable = WorkerAccess.readableByWorkers(routerWeight);
        for (ExpertWeights w : this.experts) readable &= readableByWorkers(w);
        for (ExpertWeights w : this.shared) readable &= readableByWorkers(w);
        this.parallel = readable;
    }

    private static boolean readableByWorkers(ExpertWeights w) {
        return WorkerAccess.readableByWorkers(w.gate()) && WorkerAccess.readableByWorkers(w.up())
                && WorkerAccess.readableByWorkers(w.down());
    }

    /** Model width: the length of each row of {@code x} and {@code out}. */
    public int hidden() { return hidden; }

    /** The router. */
    public Router router() { return router; }

    /** Router logits {@code [tokens, experts] = x·Wgateᵀ} in float32 (the weight is widened, never the input narrowed). */
    public float[] routerLogits(float[] x, int tokens) {
        checkRows("x", x, tokens);
        float[] logits = new float[tokens * router.experts()];
        MatMul.forward(logits, 0, x, 0, routerWeight, 0, tokens, hidden, router.experts());
        return logits;
    }

    /** The experts and weights chosen for each of the {@code tokens} rows of {@code x}. */
    public Routing route(float[] x, int tokens) {
        return router.route(routerLogits(x, tokens), tokens);
    }

    /** {@code out[tokens, hidden] = MoE(x[tokens, hidden])}; {@code out} is overwritten and may be {@code x}. */
    public void forward(float[] out, float[] x, int tokens) {
        forward(out, x, tokens, route(x, tokens));
    }

    /** The layer's output for a given routing (from {@link #route}, or any other with valid expert indices). */
    public void forward(float[] out, float[] x, int tokens, Routing routing) {
        checkRows("x", x, tokens);
        checkRows("out", out, tokens);
        if (routing.tokens() != tokens)
            throw new IllegalArgumentException("routing is for " + routing.tokens() + " tokens, the input has " + tokens);
        if (tokens == 0) return;
        ExpertBatches batches = ExpertBatches.of(routing, experts.length);
        Jobs jobs = new Jobs(batches, tokens);
        float[] act = new float[jobs.actSize()];
        run(ceilDiv(jobs.maxWidth, COLUMN_UNIT), 1, (u0, u1) ->
                gateUp(jobs, x, act, u0 * COLUMN_UNIT, Math.min(jobs.maxWidth, u1 * COLUMN_UNIT)));
        run(ceilDiv(hidden, COLUMN_UNIT), 1, (u0, u1) ->
                down(jobs, act, out, tokens, u0 * COLUMN_UNIT, Math.min(hidden, u1 * COLUMN_UNIT)));
    }

    /**
     * The experts to run in one call, routed (ascending) then shared: job {@code j}'s weights, rows, tokens and its
     * block {@code [rows, width]} of the activation buffer.
     */
    private final class Jobs {
        final ExpertBatches batches;
        final int tokens, count, routed, maxRows, maxRoutedRows, maxWidth;
        final int[] actOffset;

        Jobs(ExpertBatches batches, int tokens) {
            this.batches = batches;
            this.tokens = tokens;
            this.routed = batches.active.length;
            this.count = routed + shared.length;
            this.actOffset = new int[count + 1];
            int mostRouted = 0, widest = 0;
            long at = 0;
            for (int j = 0; j < count; j++) {
                actOffset[j] = (int) at;
                at += (long) rows(j) * weights(j).width();
                if (at > Integer.MAX_VALUE - 16)
                    throw new IllegalArgumentException("expert activations of " + tokens + " tokens exceed 2^31 floats;"
                            + " run the layer on fewer tokens at a time");
                if (j < routed) mostRouted = Math.max(mostRouted, rows(j));
                widest = Math.max(widest, weights(j).width());
            }
            actOffset[count] = (int) at;
            this.maxRoutedRows = mostRouted;
            this.maxRows = shared.length > 0 ? Math.max(tokens, mostRouted) : mostRouted;
            this.maxWidth = widest;
        }

        int actSize() { return actOffset[count]; }

        ExpertWeights weights(int j) { return j < routed ? experts[batches.active[j]] : shared[j - routed]; }

        /** Tokens this job runs on. */
        int rows(int j) { return j < routed ? batches.rows(batches.active[j]) : tokens; }

        /** First assignment of a routed job in the batches' arrays. */
        int first(int j) { return batches.start[batches.active[j]]; }
    }

    /**
     * First half for expert columns {@code [i0, i1)} of every job: {@code act = SiLU(xs·Gᵀ) ⊙ (xs·Uᵀ)} over the job's
     * gathered token rows {@code xs}, restricted to those columns (rows {@code i0..i1} of gate and up are contiguous).
     */
    private void gateUp(Jobs jobs, float[] x, float[] act, int i0, int i1) {
        int D = hidden, span = i1 - i0;
        float[] xs = new float[jobs.maxRoutedRows * D];
        float[] gate = new float[jobs.maxRows * span], up = new float[jobs.maxRows * span];
        for (int j = 0; j < jobs.count; j++) {
            ExpertWeights w = jobs.weights(j);
            int width = w.width();
            if (i0 >= width) continue;   // a narrower expert than the widest: nothing in these columns
            int n = jobs.rows(j), cw = Math.min(i1, width) - i0;
            float[] in = x;
            if (j < jobs.routed) {
                in = xs;
                int first = jobs.first(j);
                for (int r = 0; r < n; r++) System.arraycopy(x, jobs.batches.token[first + r] * D, xs, r * D, D);
            }
            MatMul.forward(gate, 0, in, 0, w.gate(), (long) i0 * D, n, D, cw);
            MatMul.forward(up, 0, in, 0, w.up(), (long) i0 * D, n, D, cw);
            SwiGlu.forward(gate, gate, up, n, cw);   // element-wise, so the output may overwrite the gate input
            int base = jobs.actOffset[j] + i0;
            for (int r = 0; r < n; r++) System.arraycopy(gate, r * cw, act, base + r * width, cw);
        }
    }

    /** Second half for output columns {@code [c0, c1)}: every job's down product on them, weighted and summed into out. */
    private void down(Jobs jobs, float[] act, float[] out, int tokens, int c0, int c1) {
        int D = hidden, cw = c1 - c0;
        for (int t = 0; t < tokens; t++) Arrays.fill(out, t * D + c0, t * D + c1, 0f);
        float[] y = new float[jobs.maxRows * cw];
        for (int j = 0; j < jobs.count; j++) {
            ExpertWeights w = jobs.weights(j);
            int n = jobs.rows(j), width = w.width();
            // rows c0..c1 of down [hidden, width] are contiguous: the product restricted to this thread's columns
            MatMul.forward(y, 0, act, jobs.actOffset[j], w.down(), (long) c0 * width, n, width, cw);
            if (j < jobs.routed) {
                int first = jobs.first(j);
                for (int r = 0; r < n; r++) {
                    float wt = jobs.batches.weight[first + r];
                    int o = jobs.batches.token[first + r] * D + c0, yo = r * cw;
                    for (int c = 0; c < cw; c++) out[o + c] += wt * y[yo + c];
                }
            } else {
                for (int t = 0; t < n; t++) {
                    int o = t * D + c0, yo = t * cw;
                    for (int c = 0; c < cw; c++) out[o + c] += y[yo + c];
                }
            }
        }
    }

    /** Runs {@code body} over {@code [0, n)}: on the workers, or inline when a weight is confined to this thread. */
    private void run(int n, int minChunk, Parallel.RangeBody body) {
        if (parallel) Parallel.forRange(n, minChunk, body);
        else body.run(0, n);
    }

    private void checkRows(String name, float[] a, int tokens) {
        if (tokens < 0) throw new IllegalArgumentException("token count must not be negative, got " + tokens);
        if (a.length < (long) tokens * hidden)
            throw new IllegalArgumentException("MoE " + name + " needs " + tokens + " × " + hidden + " = "
                    + (long) tokens * hidden + " floats, has " + a.length);
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}
