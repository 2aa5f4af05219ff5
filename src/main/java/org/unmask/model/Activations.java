package org.unmask.model;

/**
 * Buffers of one forward (and backward) pass over {@code batch × seqLen} tokens. A training pass keeps every
 * layer's activations for the backward pass and is reused from step to step; an inference pass keeps one layer's
 * worth, reused by every layer, so an 8B forward over a short canvas needs only a few megabytes.
 */
final class Activations {

    /** What one block saves (training) or scratches (inference). */
    static final class Layer {
        final float[] x, mid;              // block input and residual after attention (training only)
        final float[] norm1, rstd1, q, k, v, probs, att, norm2, rstd2;
        final LayerScratch ffn;            // the feed-forward's own buffers (DenseFeedForward: gate, up, act)

        Layer(ModelConfig c, int batch, int seqLen, boolean training, LayerScratch.Clock clock) {
            int n = batch * seqLen, d = c.dModel(), qd = c.qDim(), kv = c.kvDim();
            x = training ? new float[n * d] : null;
            mid = training ? new float[n * d] : null;
            norm1 = new float[n * d];
            rstd1 = new float[n];
            q = new float[n * qd];
            k = new float[n * kv];
            v = new float[n * kv];
            probs = training ? new float[batch * c.nHeads() * seqLen * seqLen] : null;
            att = new float[n * qd];
            norm2 = new float[n * d];
            rstd2 = new float[n];
            ffn = new LayerScratch(clock);
        }
    }

    final int batch, seqLen, rows;
    final boolean training;
    final float[] h, tmp;                 // residual stream and a matmul output before it is added in
    final Layer[] layers;
    // gradients flowing backward, shared by all layers (training only)
    final float[] dh, da, dq, dk, dv, datt, dact, dgate, dup;
    // LM head over the selected rows; grown when a call asks for more rows
    float[] headIn = new float[0], headNorm = new float[0], headRstd = new float[0], logits = new float[0];
    float[] headDNorm = new float[0], headDIn = new float[0];   // their gradients (training only)

    Activations(ModelConfig c, int batch, int seqLen, boolean training, LayerScratch.Clock clock) {
        this.batch = batch;
        this.seqLen = seqLen;
        this.rows = batch * seqLen;   // checked by the caller
        this.training = training;
        int n = rows, d = c.dModel(), qd = c.qDim(), kv = c.kvDim(), m = c.mlpHiddenSize();
        long widest = (long) n * Math.max(Math.max(d, qd), m);
        long probs = training ? (long) batch * c.nHeads() * seqLen * seqLen : 0;
        if (Math.max(widest, probs) > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("batch " + batch + " × sequence length " + seqLen
                    + " is too large for one pass of this model (" + Math.max(widest, probs) + " floats in one buffer); use a smaller batch");
        }
        h = new float[n * d];
        tmp = new float[n * d];
        layers = new Layer[training ? c.nLayers() : 1];
        for (int l = 0; l < layers.length; l++) layers[l] = new Layer(c, batch, seqLen, training, clock);
        dh = training ? new float[n * d] : null;
        da = training ? new float[n * d] : null;
        dq = training ? new float[n * qd] : null;
        dk = training ? new float[n * kv] : null;
        dv = training ? new float[n * kv] : null;
        datt = training ? new float[n * qd] : null;
        dact = training ? new float[n * m] : null;
        dgate = training ? new float[n * m] : null;
        dup = training ? new float[n * m] : null;
    }

    /** The buffers of block {@code l} (the single shared one during inference). */
    Layer layer(int l) { return layers[training ? l : 0]; }

    /** Makes the LM-head buffers hold {@code r} rows of width {@code d} and logits of width {@code e}. */
    void headCapacity(int r, int d, int e) {
        if (headIn.length < r * d) {
            headIn = new float[r * d];
            headNorm = new float[r * d];
            headRstd = new float[r];
            if (training) {
                headDNorm = new float[r * d];
                headDIn = new float[r * d];
            }
        }
        long need = (long) r * e;
        if (need > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too many logit rows at once: " + r + " × " + e);
        if (logits.length < need) logits = new float[(int) need];
    }
}
