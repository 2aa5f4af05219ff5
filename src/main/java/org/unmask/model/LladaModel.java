package org.unmask.model;

import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.kernels.Attention;
import org.unmask.model.kernels.CrossEntropy;
import org.unmask.model.kernels.Embedding;
import org.unmask.model.kernels.MatMul;
import org.unmask.compute.Parallel;
import org.unmask.model.kernels.RmsNorm;
import org.unmask.model.kernels.Rope;
import org.unmask.model.kernels.SwiGlu;
import org.unmask.model.tensor.Weights;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The LLaDA transformer ({@code LLaDAModelLM}): pre-norm llama blocks with RMSNorm, rotary grouped-query
 * attention with no causal pattern, and a SwiGLU feed-forward; no biases, no logit shift. A trainable model keeps
 * its parameters in one {@link Parameters} buffer and has a full backward pass; an inference-only model reads
 * checkpoint tensors in place (mapped BF16 included) and only runs forward.
 *
 * <p>{@code logits} and {@code loss} allocate their activations per call and may run concurrently;
 * {@code forwardBackward} reuses one set of training buffers and is serialised on the model.
 */
public final class LladaModel implements Denoiser {

    /** A linear layer's weight matrix and, for a trainable model, its offset in the parameter buffers. */
    private record Linear(Weights w, int offset) {}

    /** A norm's weight vector: the live parameter buffer (trainable) or a small float copy (inference). */
    private record Norm(float[] w, int offset) {}

    private record Block(Norm attnNorm, Linear q, Linear k, Linear v, Linear o,
                         Norm ffNorm, Linear gate, Linear up, Linear down) {}

    private final ModelConfig config;
    private final Parameters params;          // null for an inference-only model
    private final Map<String, Weights> tensors;
    private final Linear embedding, lmHead;   // lmHead is the embedding when weights are tied
    private final Norm finalNorm;
    private final Block[] blocks;
    private volatile Rope rope;
    private Activations trainActs;            // reused by forwardBackward while the shape stays the same
    private final AtomicLong matMulNanos = new AtomicLong();
    private volatile boolean profiling;

    private LladaModel(ModelConfig config, Parameters params, Map<String, Weights> tensors) {
        this.config = config;
        this.params = params;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.embedding = linear(LladaTensors.EMBEDDING);
        this.lmHead = config.weightTying() ? embedding : linear(LladaTensors.LM_HEAD);
        this.finalNorm = norm(LladaTensors.FINAL_NORM);
        this.blocks = new Block[config.nLayers()];
        for (int l = 0; l < blocks.length; l++) {
            blocks[l] = new Block(norm(LladaTensors.block(l, "attn_norm")),
                    linear(LladaTensors.block(l, "q_proj")), linear(LladaTensors.block(l, "k_proj")),
                    linear(LladaTensors.block(l, "v_proj")), linear(LladaTensors.block(l, "attn_out")),
                    norm(LladaTensors.block(l, "ff_norm")),
                    linear(LladaTensors.block(l, "ff_proj")), linear(LladaTensors.block(l, "up_proj")),
                    linear(LladaTensors.block(l, "ff_out")));
        }
    }

    private Linear linear(String name) {
        return new Linear(tensors.get(name), params == null ? -1 : params.get(name).offset());
    }

    private Norm norm(String name) {
        if (params != null) return new Norm(params.values(), params.get(name).offset());
        Weights w = tensors.get(name);
        float[] copy = new float[(int) w.size()];
        w.toFloat(0, copy, 0, copy.length);
        return new Norm(copy, 0);
    }

    /** Trainable model: F32 parameters in one flat buffer, N(0, 0.02) matrices, norms = 1, deterministic by seed. */
    public static LladaModel randomInit(ModelConfig config, long seed) {
        Parameters.requireTrainable(config.parameterCount());   // before a layout proportional to n_layers is built
        Parameters p = new Parameters(LladaTensors.expectedShapes(config));
        Random rnd = new Random(seed);
        float[] v = p.values();
        for (Parameters.Parameter t : p.list()) {
            if (t.rank() == 1) Arrays.fill(v, t.offset(), t.offset() + t.size(), 1f);
            else for (int i = t.offset(), end = t.offset() + t.size(); i < end; i++) v[i] = (float) (0.02 * rnd.nextGaussian());
        }
        return new LladaModel(config, p, views(p));
    }

    /**
     * Model over checkpoint tensors (any Weights dtype: heap F32, mapped F32/BF16/F16); validates names and shapes
     * against {@link LladaTensors#expectedShapes}. Copies a tensor into a heap F32 Parameters buffer only when
     * {@code trainable} is true.
     */
    public static LladaModel fromWeights(ModelConfig config, Map<String, Weights> tensors, boolean trainable) {
        if (trainable) Parameters.requireTrainable(config.parameterCount());
        Map<String, long[]> expected = LladaTensors.expectedShapes(config);
        for (var e : expected.entrySet()) {
            Weights w = tensors.get(e.getKey());
            long n = 1;
            for (long s : e.getValue()) n *= s;
            if (w == null) throw new IllegalArgumentException("missing tensor " + e.getKey() + " " + Arrays.toString(e.getValue()));
            if (w.size() != n) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " has " + w.size() + " elements, expected shape "
                        + Arrays.toString(e.getValue()) + " = " + n);
            }
        }
        for (String name : tensors.keySet()) {
            if (!expected.containsKey(name)) throw new IllegalArgumentException("unexpected tensor " + name + " for this config");
        }
        if (!trainable) return new LladaModel(config, null, new LinkedHashMap<>(tensors));
        Parameters p = new Parameters(expected);
        for (Parameters.Parameter t : p.list()) tensors.get(t.name()).toFloat(0, p.values(), t.offset(), t.size());
        return new LladaModel(config, p, views(p));
    }

    private static Map<String, Weights> views(Parameters p) {
        Map<String, Weights> m = new LinkedHashMap<>();
        for (Parameters.Parameter t : p.list()) m.put(t.name(), new Weights.F32(p.values(), t.offset(), t.size()));
        return m;
    }

    @Override public ModelConfig config() { return config; }

    /** Flat parameters of a trainable model (throws IllegalStateException for an inference-only model). */
    public Parameters parameters() {
        if (params == null) throw new IllegalStateException("this model was loaded for inference only and has no trainable parameters");
        return params;
    }

    /** Whether the model has trainable parameters and a backward pass. */
    public boolean trainable() { return params != null; }

    /** Weights views of every tensor by HF name (for saving a checkpoint). */
    public Map<String, Weights> tensors() { return tensors; }

    /** Starts or stops counting the time spent in matrix products (for benchmarks). */
    public void profileMatMul(boolean on) { profiling = on; }

    /** Nanoseconds spent in matrix products since the last call, while profiling; resets the counter. */
    public long takeMatMulNanos() { return matMulNanos.getAndSet(0); }

    // ---------------------------------------------------------------------------------------------------------
    // public entry points

    @Override
    public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
        return logits(ids, batch, seqLen, attend, rows, AttentionPattern.BIDIRECTIONAL);
    }

    /** Logits of the flat positions {@code rows} (all when null) under an attention {@code pattern}. */
    public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows, AttentionPattern pattern) {
        checkInputs(ids, batch, seqLen, attend);
        int[] r = rows != null ? rows : allRows(batch * seqLen);
        checkRows(r, batch * seqLen);
        Activations a = new Activations(config, batch, seqLen, false);
        forward(a, ids, attend, pattern == null ? AttentionPattern.BIDIRECTIONAL : pattern);
        float[] out = logitBuffer(r.length);
        head(a, r, out);
        return out;
    }

    /**
     * loss = Σ_i weights[i]·CE(logits[rows[i]], targets[i]) (natural log); accumulates dLoss/dθ into
     * parameters().grads(); returns the loss. rows are flat positions b*seqLen+t.
     */
    public synchronized double forwardBackward(int[] ids, int batch, int seqLen, boolean[] attend, AttentionPattern pattern,
                                               int[] rows, int[] targets, float[] weights) {
        Parameters p = parameters();
        checkInputs(ids, batch, seqLen, attend);
        checkTargets(rows, targets, weights, batch * seqLen);
        if (trainActs == null || trainActs.batch != batch || trainActs.seqLen != seqLen) {
            trainActs = null;   // let the old buffers go before the new ones are allocated
            trainActs = new Activations(config, batch, seqLen, true);
        }
        Activations a = trainActs;
        AttentionPattern m = pattern == null ? AttentionPattern.BIDIRECTIONAL : pattern;
        forward(a, ids, attend, m);
        int e = config.embeddingSize();
        a.headCapacity(rows.length, config.dModel(), e);
        head(a, rows, a.logits);
        double loss = CrossEntropy.forward(a.logits, targets, weights, rows.length, e, true);
        backward(a, ids, rows, m, p);
        return loss;
    }

    /** The same loss, no gradients (validation, scoring). */
    public double loss(int[] ids, int batch, int seqLen, boolean[] attend, AttentionPattern pattern,
                       int[] rows, int[] targets, float[] weights) {
        checkInputs(ids, batch, seqLen, attend);
        checkTargets(rows, targets, weights, batch * seqLen);
        Activations a = new Activations(config, batch, seqLen, false);
        forward(a, ids, attend, pattern == null ? AttentionPattern.BIDIRECTIONAL : pattern);
        float[] logits = logitBuffer(rows.length);
        head(a, rows, logits);
        return CrossEntropy.forward(logits, targets, weights, rows.length, config.embeddingSize(), false);
    }

    // ---------------------------------------------------------------------------------------------------------
    // forward

    /** Runs every block; leaves the final residual stream in {@code a.h} (and, when training, every saved input). */
    private void forward(Activations a, int[] ids, boolean[] attend, AttentionPattern pattern) {
        int n = a.rows, d = config.dModel(), kv = config.kvDim(), m = config.mlpHiddenSize();
        int H = config.nHeads(), KVH = config.nKvHeads(), hd = config.headDim();
        float eps = (float) config.rmsNormEps();
        Rope rope = rope(a.seqLen);
        Embedding.forward(a.h, ids, embedding.w(), d);
        for (int l = 0; l < blocks.length; l++) {
            Block w = blocks[l];
            Activations.Layer s = a.layer(l);
            if (a.training) System.arraycopy(a.h, 0, s.x, 0, n * d);
            RmsNorm.forward(s.norm1, s.rstd1, a.h, w.attnNorm().w(), w.attnNorm().offset(), n, d, eps);
            mm(s.q, s.norm1, w.q(), n, d, d);
            mm(s.k, s.norm1, w.k(), n, d, kv);
            mm(s.v, s.norm1, w.v(), n, d, kv);
            rope.forward(s.q, n, a.seqLen, H);
            rope.forward(s.k, n, a.seqLen, KVH);
            Attention.forward(s.att, s.probs, s.q, s.k, s.v, attend, pattern, a.batch, a.seqLen, H, KVH, hd);
            mm(a.tmp, s.att, w.o(), n, d, d);
            addInto(a.h, a.tmp, n * d);
            if (a.training) System.arraycopy(a.h, 0, s.mid, 0, n * d);
            RmsNorm.forward(s.norm2, s.rstd2, a.h, w.ffNorm().w(), w.ffNorm().offset(), n, d, eps);
            mm(s.gate, s.norm2, w.gate(), n, d, m);
            mm(s.up, s.norm2, w.up(), n, d, m);
            SwiGlu.forward(s.act, s.gate, s.up, n, m);
            mm(a.tmp, s.act, w.down(), n, m, d);
            addInto(a.h, a.tmp, n * d);
        }
    }

    /** Final norm and LM head over the selected rows only: {@code out[i] = head(ln_f(h[rows[i]]))}. */
    private void head(Activations a, int[] rows, float[] out) {
        int d = config.dModel(), r = rows.length;
        a.headCapacity(r, d, 0);
        for (int i = 0; i < r; i++) System.arraycopy(a.h, rows[i] * d, a.headIn, i * d, d);
        RmsNorm.forward(a.headNorm, a.headRstd, a.headIn, finalNorm.w(), finalNorm.offset(), r, d, (float) config.rmsNormEps());
        mm(out, a.headNorm, lmHead, r, d, config.embeddingSize());
    }

    // ---------------------------------------------------------------------------------------------------------
    // backward (mirrors forward from the loss back to the embedding; a.logits holds ∂loss/∂logits)

    private void backward(Activations a, int[] ids, int[] rows, AttentionPattern pattern, Parameters p) {
        int n = a.rows, d = config.dModel(), kv = config.kvDim(), m = config.mlpHiddenSize(), e = config.embeddingSize();
        int H = config.nHeads(), KVH = config.nKvHeads(), hd = config.headDim(), r = rows.length;
        float[] g = p.grads(), vals = p.values();
        Rope rope = rope(a.seqLen);

        // LM head and final norm, on the selected rows only
        Arrays.fill(a.headDNorm, 0, r * d, 0f);
        mmBackInput(a.headDNorm, a.logits, lmHead, r, e, d, vals);
        mmBackWeight(g, lmHead, a.logits, a.headNorm, r, e, d);
        Arrays.fill(a.headDIn, 0, r * d, 0f);
        RmsNorm.backward(a.headDIn, g, finalNorm.offset(), a.headDNorm, a.headIn, a.headRstd, finalNorm.w(), finalNorm.offset(), r, d);
        Arrays.fill(a.dh, 0f);
        for (int i = 0; i < r; i++) {   // in row order, so repeated rows add up deterministically
            int dst = rows[i] * d, src = i * d;
            for (int c = 0; c < d; c++) a.dh[dst + c] += a.headDIn[src + c];
        }

        for (int l = blocks.length - 1; l >= 0; l--) {
            Block w = blocks[l];
            Activations.Layer s = a.layer(l);
            // feed-forward: h_out = mid + down(silu(gate(f)) ⊙ up(f)), f = ff_norm(mid)
            Arrays.fill(a.dact, 0f);
            mmBackInput(a.dact, a.dh, w.down(), n, d, m, vals);
            mmBackWeight(g, w.down(), a.dh, s.act, n, d, m);
            SwiGlu.backward(a.dgate, a.dup, a.dact, s.gate, s.up, n, m);
            Arrays.fill(a.da, 0f);
            mmBackInput(a.da, a.dgate, w.gate(), n, m, d, vals);
            mmBackInput(a.da, a.dup, w.up(), n, m, d, vals);
            mmBackWeight(g, w.gate(), a.dgate, s.norm2, n, m, d);
            mmBackWeight(g, w.up(), a.dup, s.norm2, n, m, d);
            RmsNorm.backward(a.dh, g, w.ffNorm().offset(), a.da, s.mid, s.rstd2, w.ffNorm().w(), w.ffNorm().offset(), n, d);
            // attention: mid = x + o(attn(rope(q(a)), rope(k(a)), v(a))), a = attn_norm(x)
            Arrays.fill(a.datt, 0f);
            mmBackInput(a.datt, a.dh, w.o(), n, d, d, vals);
            mmBackWeight(g, w.o(), a.dh, s.att, n, d, d);
            Attention.backward(a.dq, a.dk, a.dv, a.datt, s.probs, s.q, s.k, s.v, pattern, a.batch, a.seqLen, H, KVH, hd);
            rope.backward(a.dq, n, a.seqLen, H);
            rope.backward(a.dk, n, a.seqLen, KVH);
            Arrays.fill(a.da, 0f);
            mmBackInput(a.da, a.dq, w.q(), n, d, d, vals);
            mmBackInput(a.da, a.dk, w.k(), n, kv, d, vals);
            mmBackInput(a.da, a.dv, w.v(), n, kv, d, vals);
            mmBackWeight(g, w.q(), a.dq, s.norm1, n, d, d);
            mmBackWeight(g, w.k(), a.dk, s.norm1, n, kv, d);
            mmBackWeight(g, w.v(), a.dv, s.norm1, n, kv, d);
            RmsNorm.backward(a.dh, g, w.attnNorm().offset(), a.da, s.x, s.rstd1, w.attnNorm().w(), w.attnNorm().offset(), n, d);
        }
        Embedding.backward(g, embedding.offset(), a.dh, ids, d);
    }

    // ---------------------------------------------------------------------------------------------------------
    // helpers

    private void mm(float[] out, float[] x, Linear w, int rows, int in, int outWidth) {
        long t0 = profiling ? System.nanoTime() : 0;
        MatMul.forward(out, 0, x, 0, w.w(), 0, rows, in, outWidth);
        if (profiling) matMulNanos.addAndGet(System.nanoTime() - t0);
    }

    /** {@code dx[rows, in] += dy[rows, out] · W[out, in]}. */
    private void mmBackInput(float[] dx, float[] dy, Linear w, int rows, int out, int in, float[] vals) {
        long t0 = profiling ? System.nanoTime() : 0;
        MatMul.backwardInput(dx, 0, dy, 0, vals, w.offset(), rows, out, in);
        if (profiling) matMulNanos.addAndGet(System.nanoTime() - t0);
    }

    /** {@code dW[out, in] += dy[rows, out]ᵀ · x[rows, in]}. */
    private void mmBackWeight(float[] g, Linear w, float[] dy, float[] x, int rows, int out, int in) {
        long t0 = profiling ? System.nanoTime() : 0;
        MatMul.backwardWeight(g, w.offset(), dy, 0, x, 0, rows, out, in);
        if (profiling) matMulNanos.addAndGet(System.nanoTime() - t0);
    }

    private static void addInto(float[] h, float[] x, int n) {
        Parallel.forRange(n, 4096, (i0, i1) -> {
            for (int i = i0; i < i1; i++) h[i] += x[i];
        });
    }

    private Rope rope(int seqLen) {
        Rope r = rope;
        if (r == null || r.length() < seqLen) {
            synchronized (this) {
                r = rope;
                if (r == null || r.length() < seqLen) {
                    r = new Rope(config.headDim(), config.ropeTheta(), Math.max(seqLen, r == null ? 0 : r.length()));
                    rope = r;
                }
            }
        }
        return r;
    }

    private float[] logitBuffer(int rows) {
        long n = (long) rows * config.embeddingSize();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(rows + " logit rows × " + config.embeddingSize() + " do not fit one array; ask for fewer rows per call");
        }
        return new float[(int) n];
    }

    private static int[] allRows(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    private void checkInputs(int[] ids, int batch, int seqLen, boolean[] attend) {
        if (batch <= 0 || seqLen <= 0) throw new IllegalArgumentException("batch and sequence length must be positive, got " + batch + " × " + seqLen);
        long n = (long) batch * seqLen;
        if (n > Integer.MAX_VALUE / Math.max(config.dModel(), config.mlpHiddenSize())) {
            throw new IllegalArgumentException("batch " + batch + " × sequence length " + seqLen + " is too many tokens for one pass");
        }
        if (ids == null || ids.length != n) {
            throw new IllegalArgumentException("expected " + n + " token ids (batch " + batch + " × length " + seqLen + "), got "
                    + (ids == null ? "null" : ids.length));
        }
        int e = config.embeddingSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= e) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i + " is outside the embedding (size " + e + ")");
            }
        }
        if (attend != null && attend.length != n) {
            throw new IllegalArgumentException("key-padding array attend has " + attend.length + " entries, expected " + n);
        }
    }

    private static void checkRows(int[] rows, int n) {
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= n) throw new IllegalArgumentException("row " + rows[i] + " (index " + i + ") is outside 0.." + (n - 1));
        }
    }

    private void checkTargets(int[] rows, int[] targets, float[] weights, int n) {
        if (rows == null || targets == null) throw new IllegalArgumentException("rows and targets are required");
        if (targets.length != rows.length) throw new IllegalArgumentException(rows.length + " rows but " + targets.length + " targets");
        if (weights != null && weights.length != rows.length) throw new IllegalArgumentException(rows.length + " rows but " + weights.length + " weights");
        checkRows(rows, n);
        int e = config.embeddingSize();
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] < 0 || targets[i] >= e) throw new IllegalArgumentException("target " + targets[i] + " (index " + i + ") is outside the embedding (size " + e + ")");
        }
    }
}
