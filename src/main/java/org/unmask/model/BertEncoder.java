package org.unmask.model;

import org.unmask.compute.Parallel;
import org.unmask.model.kernels.Attention;
import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.kernels.CrossEntropy;
import org.unmask.model.kernels.Embedding;
import org.unmask.model.kernels.Gelu;
import org.unmask.model.kernels.LayerNorm;
import org.unmask.model.kernels.MatMul;
import org.unmask.model.tensor.Weights;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The forward and backward pass of a BERT-family encoder ({@link BertFamily}): Hugging Face's {@code BertForMaskedLM}
 * / {@code DistilBertForMaskedLM} forward with token types 0 and positions from 0 in every sequence,
 * <pre>
 *   h = LN_emb(word[id] + pos[t] + type[0])
 *   per layer: h1 = LN_attn(h + O·attention(Q·h, K·h, V·h)),  h = LN_out(h1 + W2·gelu(W1·h1))   (every linear with bias)
 *   logits = E · LN_head(gelu(D·h)) + bias   (the MLM head; E the decoder or the tied word embeddings)
 * </pre>
 * with bidirectional attention under a key-padding mask. A model without the MLM head ({@code BertModel}) scores
 * {@code E · h}. The matrix products, attention and cross-entropy kernels are the engine's; LayerNorm and GELU are
 * BERT's own ({@link LayerNorm}, {@link Gelu}).
 *
 * <p>Like {@link Transformer}: a trainable model keeps every tensor in one {@link Parameters} buffer and has a full
 * backward pass; an inference model reads the checkpoint's tensors in place. {@code logits} and {@code loss} may run
 * concurrently; {@code forwardBackward} is serialised on the model.
 */
public final class BertEncoder implements TrainableModel {

    /** A bias or LayerNorm vector: a slice of the live parameter buffer, or a small float copy. */
    private record Vec(float[] a, int off) {}

    private record Linear(Weights w, Vec b, int out, int in) {}

    private record Norm(Vec w, Vec b) {}

    private record Layer(Linear q, Linear k, Linear v, Linear o, Norm attnNorm, Linear up, Linear down, Norm outNorm) {}

    private final ModelConfig config;
    private final BertFamily family;
    private final Parameters params;   // null for an inference model
    private final Map<String, Weights> tensors;
    private final Weights words, positions, types, decoder;
    private final Norm embNorm, headNorm;
    private final Linear headDense;    // null without the MLM head
    private final Vec decoderBias;     // null without the MLM head
    private final Layer[] layers;
    private Acts trainActs;

    private BertEncoder(ModelConfig config, Parameters params, Map<String, Weights> tensors) {
        this.config = config;
        this.family = (BertFamily) config.family();
        this.params = params;
        this.tensors = Collections.unmodifiableMap(tensors);
        BertFamily f = family;
        int d = config.dModel(), ff = config.mlpHiddenSize();
        words = tensors.get(f.embedding());
        positions = tensors.get(f.positions());
        types = f.layout() == BertFamily.Layout.BERT ? tensors.get(f.tokenTypes()) : null;
        embNorm = norm(f.embeddingNorm());
        layers = new Layer[config.nLayers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new Layer(linear(f.tensor(l, BertFamily.Part.Q), d, d), linear(f.tensor(l, BertFamily.Part.K), d, d),
                    linear(f.tensor(l, BertFamily.Part.V), d, d), linear(f.tensor(l, BertFamily.Part.O), d, d),
                    norm(f.tensor(l, BertFamily.Part.ATTN_LN)), linear(f.tensor(l, BertFamily.Part.UP), ff, d),
                    linear(f.tensor(l, BertFamily.Part.DOWN), d, ff), norm(f.tensor(l, BertFamily.Part.OUT_LN)));
        }
        if (f.mlmHead()) {
            headDense = linear(f.headDense(), d, d);
            headNorm = norm(f.headNorm());
            decoderBias = vec(f.headBias());
        } else {
            headDense = null;
            headNorm = null;
            decoderBias = null;
        }
        decoder = config.weightTying() || !f.mlmHead() ? words : tensors.get(f.lmHead());
    }

    private Vec vec(String name) {
        if (params != null) return new Vec(params.values(), params.get(name).offset());
        Weights w = tensors.get(name);
        float[] copy = new float[(int) w.size()];
        w.toFloat(0, copy, 0, copy.length);
        return new Vec(copy, 0);
    }

    private Linear linear(String weight, int out, int in) {
        return new Linear(tensors.get(weight), vec(BertFamily.bias(weight)), out, in);
    }

    private Norm norm(String weight) { return new Norm(vec(weight), vec(BertFamily.bias(weight))); }

    /** A trainable model: F32 parameters, N(0, std²) matrices, LayerNorms 1 and 0, biases 0, deterministic by seed. */
    public static BertEncoder randomInit(ModelConfig config, long seed, double std) {
        Parameters.requireTrainable(config.parameterCount());
        Parameters p = Parameters.initialised(config.family().tensors(config), seed, std);
        return new BertEncoder(config, p, p.views());
    }

    /**
     * The model over checkpoint tensors (any float storage), validated against the family's tensors for
     * {@code config}; copied into an F32 {@link Parameters} buffer when {@code trainable}.
     */
    public static BertEncoder fromWeights(ModelConfig config, Map<String, Weights> tensors, boolean trainable) {
        if (!(config.family() instanceof BertFamily))
            throw new IllegalArgumentException("a " + config.family().name() + " model is not a BERT-family encoder");
        Map<String, long[]> expected = Parameters.check(config.family().tensors(config), tensors);
        if (!trainable) return new BertEncoder(config, null, new LinkedHashMap<>(tensors));
        Parameters.requireTrainable(config.parameterCount());
        Parameters p = Parameters.copied(expected, tensors);
        return new BertEncoder(config, p, p.views());
    }

    /**
     * Starts a freshly added MLM head's transform as the identity (dense = I, biases 0, LayerNorm 1 and 0), so that
     * the tied decoder first scores the encoder's normalised output against the word embeddings instead of noise.
     */
    public void identityHeadTransform() {
        if (headDense == null) throw new IllegalStateException("this model has no MLM head");
        float[] v = parameters().values();
        int d = config.dModel(), w = offset(headDense.w());
        Arrays.fill(v, w, w + d * d, 0f);
        for (int i = 0; i < d; i++) v[w + i * d + i] = 1f;
        Arrays.fill(v, headDense.b().off(), headDense.b().off() + d, 0f);
        Arrays.fill(v, headNorm.w().off(), headNorm.w().off() + d, 1f);
        Arrays.fill(v, headNorm.b().off(), headNorm.b().off() + d, 0f);
        Arrays.fill(v, decoderBias.off(), decoderBias.off() + config.embeddingSize(), 0f);
    }

    @Override public ModelConfig config() { return config; }

    @Override public Parameters parameters() {
        if (params == null) throw new IllegalStateException("this model was loaded for inference only and has no trainable parameters");
        return params;
    }

    @Override public boolean trainable() { return params != null; }

    @Override public Map<String, Weights> tensors() { return tensors; }

    // ---------------------------------------------------------------------------------------------------------
    // activations

    /** One pass's buffers; a training pass keeps every layer's for the backward pass. */
    private static final class Acts {
        final int batch, seqLen, n;
        final boolean training;
        final float[] emb, embMean, embRstd, h;   // summed embeddings, their LayerNorm statistics, the residual stream
        final float[][] x, q, k, v, probs, att, sum1, mean1, rstd1, h1, up, act, sum2, mean2, rstd2;
        // the MLM head over the selected rows, grown on demand
        float[] headIn = new float[0], headUp = new float[0], headAct = new float[0], headMean = new float[0],
                headRstd = new float[0], headOut = new float[0], logits = new float[0];
        // gradients (training only)
        final float[] dh, dsum, dx, dq, dk, dv, datt, dup;

        Acts(ModelConfig c, int batch, int seqLen, boolean training) {
            this.batch = batch;
            this.seqLen = seqLen;
            this.n = batch * seqLen;
            this.training = training;
            int d = c.dModel(), ff = c.mlpHiddenSize(), L = training ? c.nLayers() : 1;
            long widest = (long) n * Math.max(d, ff), p = training ? (long) batch * c.nHeads() * seqLen * seqLen : 0;
            if (Math.max(widest, p) > Integer.MAX_VALUE - 16)
                throw new IllegalArgumentException("batch " + batch + " × sequence length " + seqLen
                        + " is too large for one pass of this model; use a smaller batch");
            emb = new float[n * d];
            embMean = new float[n];
            embRstd = new float[n];
            h = new float[n * d];
            x = new float[L][n * d];
            q = new float[L][n * d];
            k = new float[L][n * d];
            v = new float[L][n * d];
            probs = training ? new float[L][(int) p] : new float[L][];
            att = new float[L][n * d];
            sum1 = new float[L][n * d];
            mean1 = new float[L][n];
            rstd1 = new float[L][n];
            h1 = new float[L][n * d];
            up = new float[L][n * ff];
            act = new float[L][n * ff];
            sum2 = new float[L][n * d];
            mean2 = new float[L][n];
            rstd2 = new float[L][n];
            dh = training ? new float[n * d] : null;
            dsum = training ? new float[n * d] : null;
            dx = training ? new float[n * d] : null;
            dq = training ? new float[n * d] : null;
            dk = training ? new float[n * d] : null;
            dv = training ? new float[n * d] : null;
            datt = training ? new float[n * d] : null;
            dup = training ? new float[n * ff] : null;
        }

        int slot(int l) { return training ? l : 0; }

        void headCapacity(int r, int d, int e) {
            if (headIn.length < r * d) {
                headIn = new float[r * d];
                headUp = new float[r * d];
                headAct = new float[r * d];
                headMean = new float[r];
                headRstd = new float[r];
                headOut = new float[r * d];
            }
            long need = (long) r * e;
            if (need > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too many logit rows at once: " + r + " × " + e);
            if (logits.length < need) logits = new float[(int) need];
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // entry points

    @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
        checkInputs(ids, batch, seqLen, attend);
        int[] r = rows != null ? rows : allRows(batch * seqLen);
        InputChecks.rows(r, batch * seqLen);
        Acts a = new Acts(config, batch, seqLen, false);
        forward(a, ids, attend);
        long size = (long) r.length * config.embeddingSize();
        if (size > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException(r.length + " logit rows × " + config.embeddingSize() + " do not fit one array; ask for fewer rows per call");
        float[] out = new float[(int) size];
        head(a, r, out);
        return out;
    }

    /**
     * The encoder's output, Hugging Face's {@code last_hidden_state}: {@code batch·seqLen × d} floats, row-major
     * ({@code attend} nullable, false for padding keys).
     */
    public float[] hiddenStates(int[] ids, int batch, int seqLen, boolean[] attend) {
        checkInputs(ids, batch, seqLen, attend);
        Acts a = new Acts(config, batch, seqLen, false);
        forward(a, ids, attend);
        return a.h;
    }

    @Override public synchronized double forwardBackward(int[] ids, int batch, int seqLen, boolean[] attend, AttentionPattern pattern,
                                                         int[] rows, int[] targets, float[] weights) {
        Parameters p = parameters();
        bidirectional(pattern);
        checkInputs(ids, batch, seqLen, attend);
        InputChecks.targets(rows, targets, weights, batch * seqLen, config.embeddingSize());
        if (trainActs == null || trainActs.batch != batch || trainActs.seqLen != seqLen) {
            trainActs = null;   // let the old buffers go before the new ones are allocated
            trainActs = new Acts(config, batch, seqLen, true);
        }
        Acts a = trainActs;
        forward(a, ids, attend);
        int e = config.embeddingSize();
        a.headCapacity(rows.length, config.dModel(), e);
        head(a, rows, a.logits);
        double loss = CrossEntropy.forward(a.logits, targets, weights, rows.length, e, true);
        backward(a, ids, rows, p);
        return loss;
    }

    @Override public double loss(int[] ids, int batch, int seqLen, boolean[] attend, AttentionPattern pattern,
                                 int[] rows, int[] targets, float[] weights) {
        bidirectional(pattern);
        checkInputs(ids, batch, seqLen, attend);
        InputChecks.targets(rows, targets, weights, batch * seqLen, config.embeddingSize());
        Acts a = new Acts(config, batch, seqLen, false);
        forward(a, ids, attend);
        float[] logits = new float[rows.length * config.embeddingSize()];
        head(a, rows, logits);
        return CrossEntropy.forward(logits, targets, weights, rows.length, config.embeddingSize(), false);
    }

    /** BERT is an encoder: attention is always bidirectional (the AR objective and attention anneals do not apply). */
    private static void bidirectional(AttentionPattern pattern) {
        if (pattern != null && pattern.kind() != AttentionPattern.Kind.BIDIRECTIONAL)
            throw new UnsupportedOperationException("a BERT-family encoder attends bidirectionally, not " + pattern.kind()
                    + " (the autoregressive objective and attention annealing do not apply to it)");
    }

    // ---------------------------------------------------------------------------------------------------------
    // forward

    private void forward(Acts a, int[] ids, boolean[] attend) {
        int n = a.n, d = config.dModel(), ff = config.mlpHiddenSize(), H = config.nHeads(), hd = config.headDim();
        float eps = (float) config.rmsNormEps();
        embed(a.emb, ids, a.seqLen);
        LayerNorm.forward(a.h, a.embMean, a.embRstd, a.emb, embNorm.w().a(), embNorm.w().off(), embNorm.b().a(), embNorm.b().off(), n, d, eps);
        for (int l = 0; l < layers.length; l++) {
            Layer w = layers[l];
            int s = a.slot(l);
            float[] x = a.x[s];
            System.arraycopy(a.h, 0, x, 0, n * d);
            linear(a.q[s], x, w.q(), n);
            linear(a.k[s], x, w.k(), n);
            linear(a.v[s], x, w.v(), n);
            Attention.forward(a.att[s], a.training ? a.probs[s] : null, a.q[s], a.k[s], a.v[s], attend,
                    AttentionPattern.BIDIRECTIONAL, a.batch, a.seqLen, H, H, hd);
            linear(a.sum1[s], a.att[s], w.o(), n);
            add(a.sum1[s], x, n * d);
            LayerNorm.forward(a.h1[s], a.mean1[s], a.rstd1[s], a.sum1[s], w.attnNorm().w().a(), w.attnNorm().w().off(),
                    w.attnNorm().b().a(), w.attnNorm().b().off(), n, d, eps);
            linear(a.up[s], a.h1[s], w.up(), n);
            Gelu.forward(a.act[s], a.up[s], n * ff);
            linear(a.sum2[s], a.act[s], w.down(), n);
            add(a.sum2[s], a.h1[s], n * d);
            LayerNorm.forward(a.h, a.mean2[s], a.rstd2[s], a.sum2[s], w.outNorm().w().a(), w.outNorm().w().off(),
                    w.outNorm().b().a(), w.outNorm().b().off(), n, d, eps);
        }
    }

    /** {@code out[r] = word[ids[r]] + pos[r mod seqLen] + type[0]} (DistilBERT: no token type). */
    private void embed(float[] out, int[] ids, int seqLen) {
        int d = config.dModel();
        Embedding.forward(out, ids, words, d);
        float[] pos = new float[seqLen * d], type = new float[d];
        positions.toFloat(0, pos, 0, seqLen * d);
        if (types != null) types.toFloat(0, type, 0, d);
        Parallel.forRange(ids.length, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * d, p = (r % seqLen) * d;
                // Hugging Face adds (word + type) first, then the position
                for (int i = 0; i < d; i++) out[o + i] = (out[o + i] + type[i]) + pos[p + i];
            }
        });
    }

    /** The MLM head over the selected rows: {@code out[i] = E·LN(gelu(D·h[rows[i]])) + bias}, or {@code E·h} without it. */
    private void head(Acts a, int[] rows, float[] out) {
        int d = config.dModel(), r = rows.length, e = config.embeddingSize();
        a.headCapacity(r, d, 0);
        for (int i = 0; i < r; i++) System.arraycopy(a.h, rows[i] * d, a.headIn, i * d, d);
        float[] last = a.headIn;
        if (headDense != null) {
            linear(a.headUp, a.headIn, headDense, r);
            Gelu.forward(a.headAct, a.headUp, r * d);
            LayerNorm.forward(a.headOut, a.headMean, a.headRstd, a.headAct, headNorm.w().a(), headNorm.w().off(),
                    headNorm.b().a(), headNorm.b().off(), r, d, (float) config.rmsNormEps());
            last = a.headOut;
        }
        MatMul.forward(out, 0, last, 0, decoder, 0, r, d, e);
        if (decoderBias != null) addBias(out, decoderBias, r, e);
    }

    /** {@code y = x·Wᵀ + b} over {@code rows} rows. */
    private static void linear(float[] y, float[] x, Linear w, int rows) {
        MatMul.forward(y, 0, x, 0, w.w(), 0, rows, w.in(), w.out());
        addBias(y, w.b(), rows, w.out());
    }

    private static void addBias(float[] y, Vec b, int rows, int width) {
        float[] v = b.a();
        int off = b.off();
        Parallel.forRange(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * width;
                for (int i = 0; i < width; i++) y[o + i] += v[off + i];
            }
        });
    }

    private static void add(float[] y, float[] x, int n) {
        Parallel.forRange(n, 4096, (i0, i1) -> {
            for (int i = i0; i < i1; i++) y[i] += x[i];
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // backward (mirrors forward from the loss to the embeddings; a.logits holds ∂loss/∂logits)

    private void backward(Acts a, int[] ids, int[] rows, Parameters p) {
        int n = a.n, d = config.dModel(), ff = config.mlpHiddenSize(), H = config.nHeads(), hd = config.headDim();
        int e = config.embeddingSize(), r = rows.length;
        float[] g = p.grads(), vals = p.values();

        // the MLM head, on the selected rows only; its input gradient lands in headIn's place (reused as dHeadIn)
        float[] dHead = new float[r * d];
        float[] last = headDense != null ? a.headOut : a.headIn;
        if (decoderBias != null) biasBackward(g, decoderBias.off(), a.logits, r, e);
        MatMul.backwardInput(dHead, 0, a.logits, 0, vals, offset(decoder), r, e, d);
        MatMul.backwardWeight(g, offset(decoder), a.logits, 0, last, 0, r, e, d);
        if (headDense != null) {
            float[] dAct = new float[r * d], dUp = new float[r * d];
            layerNormBackward(dAct, g, headNorm, dHead, a.headAct, a.headMean, a.headRstd, r, d);
            Gelu.backward(dUp, dAct, a.headUp, r * d);
            Arrays.fill(dHead, 0f);
            linearBackward(dHead, g, vals, headDense, dUp, a.headIn, r);
        }
        float[] dh = a.dh;
        Arrays.fill(dh, 0f);
        for (int i = 0; i < r; i++) {   // in row order, so repeated rows add up deterministically
            int dst = rows[i] * d, src = i * d;
            for (int c = 0; c < d; c++) dh[dst + c] += dHead[src + c];
        }

        for (int l = layers.length - 1; l >= 0; l--) {
            Layer w = layers[l];
            // h = LN_out(sum2), sum2 = h1 + down(gelu(up(h1)))
            Arrays.fill(a.dsum, 0f);
            layerNormBackward(a.dsum, g, w.outNorm(), dh, a.sum2[l], a.mean2[l], a.rstd2[l], n, d);
            float[] dh1 = dh;   // dh is consumed: reuse it for ∂/∂h1, which starts as the residual's share
            System.arraycopy(a.dsum, 0, dh1, 0, n * d);
            float[] dact = a.dup;
            Arrays.fill(dact, 0, n * ff, 0f);
            linearBackward(dact, g, vals, w.down(), a.dsum, a.act[l], n);
            Gelu.backward(a.dup, dact, a.up[l], n * ff);   // in place: each element reads dact[i] before writing it
            linearBackward(dh1, g, vals, w.up(), a.dup, a.h1[l], n);
            // h1 = LN_attn(sum1), sum1 = x + o(attention(q(x), k(x), v(x)))
            Arrays.fill(a.dsum, 0f);
            layerNormBackward(a.dsum, g, w.attnNorm(), dh1, a.sum1[l], a.mean1[l], a.rstd1[l], n, d);
            float[] dx = a.dx;
            System.arraycopy(a.dsum, 0, dx, 0, n * d);
            Arrays.fill(a.datt, 0f);
            linearBackward(a.datt, g, vals, w.o(), a.dsum, a.att[l], n);
            Attention.backward(a.dq, a.dk, a.dv, a.datt, a.probs[l], a.q[l], a.k[l], a.v[l], AttentionPattern.BIDIRECTIONAL,
                    a.batch, a.seqLen, H, H, hd);
            linearBackward(dx, g, vals, w.q(), a.dq, a.x[l], n);
            linearBackward(dx, g, vals, w.k(), a.dk, a.x[l], n);
            linearBackward(dx, g, vals, w.v(), a.dv, a.x[l], n);
            System.arraycopy(dx, 0, dh, 0, n * d);
        }
        // h = LN_emb(word + type + pos)
        Arrays.fill(a.dsum, 0f);
        layerNormBackward(a.dsum, g, embNorm, dh, a.emb, a.embMean, a.embRstd, n, d);
        Embedding.backward(g, offset(words), a.dsum, ids, d);
        int posOff = offset(positions), typeOff = types == null ? -1 : offset(types), T = a.seqLen;
        float[] ds = a.dsum;
        Parallel.forRange(d, 8, (c0, c1) -> {   // by columns, each summing its rows in order
            for (int row = 0; row < n; row++) {
                int src = row * d, pos = posOff + (row % T) * d;
                for (int c = c0; c < c1; c++) {
                    g[pos + c] += ds[src + c];
                    if (typeOff >= 0) g[typeOff + c] += ds[src + c];
                }
            }
        });
    }

    /** Given {@code dy = ∂L/∂y} of {@code y = x·Wᵀ + b}: {@code dx += dy·W}, {@code dW += dyᵀ·x}, {@code db += Σ dy}. */
    private static void linearBackward(float[] dx, float[] g, float[] vals, Linear w, float[] dy, float[] x, int rows) {
        MatMul.backwardInput(dx, 0, dy, 0, vals, offset(w.w()), rows, w.out(), w.in());
        MatMul.backwardWeight(g, offset(w.w()), dy, 0, x, 0, rows, w.out(), w.in());
        biasBackward(g, w.b().off(), dy, rows, w.out());
    }

    private static void layerNormBackward(float[] dx, float[] g, Norm norm, float[] dout, float[] x, float[] mean, float[] rstd,
                                          int rows, int d) {
        LayerNorm.backward(dx, g, norm.w().off(), g, norm.b().off(), dout, x, mean, rstd, norm.w().a(), norm.w().off(), rows, d);
    }

    /** {@code g[off + c] += Σ_r dy[r, c]}, split by columns so that each sums its rows in order. */
    private static void biasBackward(float[] g, int off, float[] dy, int rows, int width) {
        Parallel.forRange(width, 8, (c0, c1) -> {
            for (int r = 0; r < rows; r++) {
                int o = r * width;
                for (int c = c0; c < c1; c++) g[off + c] += dy[o + c];
            }
        });
    }

    /** Where a trainable model's tensor starts in the parameter buffers (its weights are views of them). */
    private static int offset(Weights w) { return ((Weights.F32) w).offset(); }

    // ---------------------------------------------------------------------------------------------------------
    // checks

    private static int[] allRows(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    private void checkInputs(int[] ids, int batch, int seqLen, boolean[] attend) {
        if (batch <= 0 || seqLen <= 0) throw new IllegalArgumentException("batch and sequence length must be positive, got " + batch + " × " + seqLen);
        if (seqLen > config.maxSequenceLength())
            throw new IllegalArgumentException("sequence length " + seqLen + " exceeds the model's " + config.maxSequenceLength()
                    + " learned positions (" + config.family().fieldName(ModelConfig.Field.MAX_SEQUENCE_LENGTH) + ")");
        InputChecks.ids(ids, batch, seqLen, attend, config.embeddingSize());
    }
}
