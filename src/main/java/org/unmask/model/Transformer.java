package org.unmask.model;

import org.unmask.compute.Parallel;
import org.unmask.model.kernels.Attention;
import org.unmask.model.kernels.AttentionPattern;
import org.unmask.model.kernels.CrossEntropy;
import org.unmask.model.kernels.Embedding;
import org.unmask.model.kernels.MatMul;
import org.unmask.model.kernels.RmsNorm;
import org.unmask.model.kernels.Rope;
import org.unmask.model.kernels.SwiGlu;
import org.unmask.model.tensor.Weights;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one engine every family runs on: pre-norm blocks with RMSNorm, rotary grouped-query attention (optional q/k/v
 * biases, optional per-head QK norm, full or partial rotary) under any {@link AttentionPattern}, and a per-layer
 * {@link FeedForward}; final RMSNorm and an LM head evaluated only on the rows asked for. The family
 * ({@link ModelConfig#family()}) names the tensors. The forward is the Hugging Face forward: no logit shift
 * ({@link LogitShift} applies Dream's for the sampler).
 *
 * <p>A trainable model (LLaDA layout only) keeps its parameters in one {@link Parameters} buffer and has a full
 * backward pass; an inference-only model reads checkpoint tensors in place (mapped BF16 included) and only runs
 * forward. {@code logits} and {@code loss} allocate their activations per call and may run concurrently;
 * {@code forwardBackward} is serialised on the model and runs the batch as {@link #TRAINING_SHARDS} passes at once,
 * each with training buffers it reuses from step to step.
 */
public final class Transformer implements CachingDenoiser, TrainableModel {

    /** A weight vector (a norm's scale, a bias): the live parameter buffer (trainable) or a small float copy (inference). */
    private record Vec(float[] w, int offset) {}

    /** One block's attention projections, with the q/k/v biases and per-head q/k norms of the families that have them. */
    private record SelfAttention(Weights q, Weights k, Weights v, Weights o,
                                 Vec qBias, Vec kBias, Vec vBias, Vec qNorm, Vec kNorm) {}

    private record Block(Vec attnNorm, SelfAttention attention, Vec ffNorm, FeedForward ffn) {}

    private final ModelConfig config;
    private final Parameters params;          // null for an inference-only model
    private final Map<String, Weights> tensors;
    private final Weights embedding, lmHead;  // lmHead is the embedding when weights are tied
    private final Vec finalNorm;
    private final Block[] blocks;
    private volatile Rope rope;
    private final Object ropeLock = new Object();
    private Activations[] trainActs = new Activations[0];   // one per shard, reused while the shapes stay the same
    private float[][] shardGrads = new float[0][];          // the gradients of shards 1.. before they are added in
    private final LayerScratch.Clock clock = new LayerScratch.Clock();

    private Transformer(ModelConfig config, Parameters params, Map<String, Weights> tensors) {
        this.config = config;
        this.params = params;
        this.tensors = Collections.unmodifiableMap(tensors);
        ModelFamily f = config.family();
        this.embedding = tensors.get(f.embedding());
        this.lmHead = config.weightTying() ? embedding : tensors.get(f.lmHead());
        this.finalNorm = vec(f.finalNorm());
        this.blocks = new Block[config.nLayers()];
        for (int l = 0; l < blocks.length; l++) {
            SelfAttention attention = new SelfAttention(
                    projection(l, TensorRole.Q), projection(l, TensorRole.K), projection(l, TensorRole.V), projection(l, TensorRole.O),
                    bias(l, TensorRole.Q_BIAS), bias(l, TensorRole.K_BIAS), bias(l, TensorRole.V_BIAS),
                    config.qkNorm() ? vec(f.layerTensor(l, TensorRole.Q_NORM)) : null,
                    config.qkNorm() ? vec(f.layerTensor(l, TensorRole.K_NORM)) : null);
            blocks[l] = new Block(vec(f.layerTensor(l, TensorRole.ATTN_NORM)), attention,
                    vec(f.layerTensor(l, TensorRole.FF_NORM)), f.feedForward(config, l, this.tensors::get));
            if (params != null && !(blocks[l].ffn() instanceof DenseFeedForward))
                throw new IllegalArgumentException("layer " + l + " has a " + blocks[l].ffn().getClass().getSimpleName()
                        + " feed-forward, which has no backward pass; such a model can only run inference");
        }
    }

    /** An attention projection as the family stores it (a fused q/k/v tensor is sliced by the family). */
    private Weights projection(int l, TensorRole role) {
        return config.family().projection(config, l, role, tensors::get);
    }

    /** A bias, or null when the family has none. */
    private Vec bias(int l, TensorRole role) {
        return role.present(config) ? vec(config.family().layerTensor(l, role)) : null;
    }

    private Vec vec(String name) {
        if (params != null) return new Vec(params.values(), params.get(name).offset());
        Weights w = tensors.get(name);
        float[] copy = new float[(int) w.size()];
        w.toFloat(0, copy, 0, copy.length);
        return new Vec(copy, 0);
    }

    /** Why a model of {@code c} cannot be trained, or null when it can (the backward pass covers the LLaDA layout). */
    private static String untrainable(ModelConfig c) {
        if (c.family().mixtureOfExperts()) return "mixture-of-experts layers";
        if (c.qkNorm()) return "QK norm";
        if (c.rotaryDim() != c.headDim()) return "partial rotary embeddings";
        if (c.qDim() != c.dModel()) return "a query width other than the model width";
        return null;
    }

    private static void requireTrainable(ModelConfig c) {
        String why = untrainable(c);
        if (why != null)
            throw new IllegalArgumentException("cannot train a " + c.family().name() + " model with " + why
                    + ": the backward pass covers the LLaDA layout only; load it for inference");
        Parameters.requireTrainable(c.parameterCount());   // before a layout proportional to n_layers is built
    }

    /** Trainable model: F32 parameters in one flat buffer, N(0, 0.02) matrices, norms = 1, deterministic by seed. */
    public static Transformer randomInit(ModelConfig config, long seed) { return randomInit(config, seed, Parameters.INIT_STD); }

    /** As {@link #randomInit(ModelConfig, long)} with matrices drawn from N(0, std²). */
    public static Transformer randomInit(ModelConfig config, long seed, double std) {
        requireTrainable(config);
        Parameters p = Parameters.initialised(config.family().tensors(config), seed, std);
        return new Transformer(config, p, p.views());
    }

    /**
     * Model over checkpoint tensors (any Weights dtype: heap F32, mapped F32/BF16/F16); validates names and sizes
     * against the family's tensors for {@code config}. Copies the tensors into a heap F32 Parameters buffer only when
     * {@code trainable} is true.
     */
    public static Transformer fromWeights(ModelConfig config, Map<String, Weights> tensors, boolean trainable) {
        if (trainable) requireTrainable(config);
        Map<String, long[]> expected = Parameters.check(config.family().tensors(config), tensors);
        if (!trainable) return new Transformer(config, null, new LinkedHashMap<>(tensors));
        Parameters p = Parameters.copied(expected, tensors);
        return new Transformer(config, p, p.views());
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
    public void profileMatMul(boolean on) { clock.on = on; }

    /** Nanoseconds spent in matrix products since the last call, while profiling; resets the counter. */
    public long takeMatMulNanos() { return clock.nanos.getAndSet(0); }

    // ---------------------------------------------------------------------------------------------------------
    // public entry points

    @Override
    public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
        return logits(ids, batch, seqLen, attend, rows, config.attention());
    }

    /** Logits of the flat positions {@code rows} (all when null) under an attention {@code pattern}. */
    public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows, AttentionPattern pattern) {
        checkInputs(ids, batch, seqLen, attend);
        int[] r = rows != null ? rows : allRows(batch * seqLen);
        InputChecks.rows(r, batch * seqLen);
        Activations a = new Activations(config, batch, seqLen, false, clock);
        forward(a, ids, attend, pattern == null ? config.attention() : pattern);
        float[] out = logitBuffer(r.length);
        head(a, r, out);
        return out;
    }

    @Override
    public KvCache newCache(int seqLen) { return new KvCache(config.nLayers(), seqLen, config.kvDim()); }

    @Override
    public float[] logits(KvCache cache, int[] slots, int[] ids, int batch, int seqLen, boolean[] attend,
                          AttentionPattern pattern, int[] positions, int[] rows) {
        checkInputs(ids, batch, seqLen, attend);
        if (cache.seqLen() != seqLen || cache.kvDim() != config.kvDim())
            throw new IllegalArgumentException("the cache holds sequences of " + cache.seqLen() + " positions × " + cache.kvDim()
                    + ", not " + seqLen + " × " + config.kvDim());
        if (slots.length != batch) throw new IllegalArgumentException(slots.length + " cache slots for " + batch + " rows");
        if (pattern != null && pattern.hasHoles())
            throw new IllegalArgumentException("the " + pattern.kind() + " training layout cannot run over a cached window");
        int W = positions.length;
        if (W == 0) throw new IllegalArgumentException("a cached window needs at least one position");
        for (int i = 0; i < W; i++)
            if (positions[i] < 0 || positions[i] >= seqLen || (i > 0 && positions[i] <= positions[i - 1]))
                throw new IllegalArgumentException("window positions must ascend within 0.." + (seqLen - 1) + ", got "
                        + positions[i] + " at index " + i);
        int[] windowIds = new int[batch * W];
        for (int j = 0; j < batch; j++)
            for (int i = 0; i < W; i++) windowIds[j * W + i] = ids[j * seqLen + positions[i]];
        int[] windowRows = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int j = rows[i] / seqLen, t = rows[i] % seqLen;
            int at = rows[i] < 0 || j >= batch ? -1 : Arrays.binarySearch(positions, t);
            if (at < 0)
                throw new IllegalArgumentException("row " + rows[i] + " (position " + t + ") is outside the window "
                        + positions[0] + ".." + positions[W - 1] + " (" + W + " positions)");
            windowRows[i] = j * W + at;
        }
        Activations a = new Activations(config, batch, W, false, clock);
        forward(a, windowIds, attend, pattern == null ? config.attention() : pattern, new Window(cache, slots, positions, seqLen));
        float[] out = logitBuffer(rows.length);
        head(a, windowRows, out);
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
        InputChecks.targets(rows, targets, weights, batch * seqLen, config.embeddingSize());
        if (config.neverPredictMask()) InputChecks.notTarget(targets, config.maskTokenId());
        AttentionPattern m = pattern == null ? config.attention() : pattern;
        int shards = Math.min(TRAINING_SHARDS, batch);
        TrainingShard[] work = new TrainingShard[shards];
        for (int s = 0; s < shards; s++)
            work[s] = TrainingShard.of(ids, attend, rows, targets, weights, batch * s / shards, batch * (s + 1) / shards, seqLen);
        prepareShards(work, seqLen, p.grads().length);
        double[] losses = new double[shards];
        Parallel.forRange(shards, 1, (s0, s1) -> {
            for (int s = s0; s < s1; s++)
                losses[s] = shardPass(trainActs[s], work[s], m, p, s == 0 ? p.grads() : shardGrads[s]);
        });
        float[] g = p.grads();
        for (int s = 1; s < shards; s++) {
            float[] gs = shardGrads[s];
            Parallel.forRange(g.length, 1 << 16, (i0, i1) -> {
                for (int i = i0; i < i1; i++) g[i] += gs[i];
            });
        }
        double loss = 0;
        for (double l : losses) loss += l;   // in shard order: the same bits on any number of threads
        return loss;
    }

    /**
     * Batch rows per training shard. A training step runs as this many independent passes over consecutive rows of
     * the batch, each on one worker with the kernels' own splitting nested inside, and their gradients are added in
     * shard order afterwards. On few cores the small products of a small model gained nothing from a second thread
     * (each kernel split into tasks of a few microseconds); two whole passes keep both cores busy. A constant, not the
     * thread count, so that the result is the same on every machine.
     */
    public static final int TRAINING_SHARDS = 2;

    /** One shard's slice of a training batch: batch rows [b0, b1) and the loss rows that fall in them, renumbered. */
    private record TrainingShard(int[] ids, boolean[] attend, int batch, int[] rows, int[] targets, float[] weights) {
        static TrainingShard of(int[] ids, boolean[] attend, int[] rows, int[] targets, float[] weights, int b0, int b1, int seqLen) {
            int from = b0 * seqLen, to = b1 * seqLen, count = 0;
            for (int r : rows) if (r >= from && r < to) count++;
            int[] sr = new int[count], st = new int[count];
            float[] sw = weights == null ? null : new float[count];
            for (int i = 0, j = 0; i < rows.length; i++) {
                if (rows[i] < from || rows[i] >= to) continue;
                sr[j] = rows[i] - from;
                st[j] = targets[i];
                if (sw != null) sw[j] = weights[i];
                j++;
            }
            return new TrainingShard(Arrays.copyOfRange(ids, from, to), attend == null ? null : Arrays.copyOfRange(attend, from, to),
                    b1 - b0, sr, st, sw);
        }
    }

    /** Activations for each shard's shape and zeroed gradient buffers for shards 1.. (kept from step to step). */
    private void prepareShards(TrainingShard[] work, int seqLen, int paramCount) {
        if (trainActs.length != work.length) trainActs = new Activations[work.length];
        for (int s = 0; s < work.length; s++) {
            Activations a = trainActs[s];
            if (a == null || a.batch != work[s].batch() || a.seqLen != seqLen) {
                trainActs[s] = null;   // let the old buffers go before the new ones are allocated
                trainActs[s] = new Activations(config, work[s].batch(), seqLen, true, clock);
            }
        }
        if (shardGrads.length != work.length) shardGrads = Arrays.copyOf(shardGrads, work.length);
        for (int s = 1; s < work.length; s++) {
            if (shardGrads[s] == null || shardGrads[s].length != paramCount) shardGrads[s] = new float[paramCount];
            else Arrays.fill(shardGrads[s], 0f);
        }
    }

    /** Forward, loss and backward of one shard; its gradient is added into {@code g}. */
    private double shardPass(Activations a, TrainingShard w, AttentionPattern m, Parameters p, float[] g) {
        forward(a, w.ids(), w.attend(), m);
        int e = config.embeddingSize();
        a.headCapacity(w.rows().length, config.dModel(), e);
        head(a, w.rows(), a.logits);
        double loss = CrossEntropy.forward(a.logits, w.targets(), w.weights(), w.rows().length, e, true);
        backward(a, w.ids(), w.rows(), m, p, g);
        return loss;
    }

    /** The same loss, no gradients (validation, scoring). */
    public double loss(int[] ids, int batch, int seqLen, boolean[] attend, AttentionPattern pattern,
                       int[] rows, int[] targets, float[] weights) {
        checkInputs(ids, batch, seqLen, attend);
        InputChecks.targets(rows, targets, weights, batch * seqLen, config.embeddingSize());
        if (config.neverPredictMask()) InputChecks.notTarget(targets, config.maskTokenId());
        Activations a = new Activations(config, batch, seqLen, false, clock);
        forward(a, ids, attend, pattern == null ? config.attention() : pattern);
        float[] logits = logitBuffer(rows.length);
        head(a, rows, logits);
        return CrossEntropy.forward(logits, targets, weights, rows.length, config.embeddingSize(), false);
    }

    // ---------------------------------------------------------------------------------------------------------
    // forward

    /** Runs every block; leaves the final residual stream in {@code a.h} (and, when training, every saved input). */
    private void forward(Activations a, int[] ids, boolean[] attend, AttentionPattern pattern) {
        forward(a, ids, attend, pattern, null);
    }

    /**
     * The ascending {@code positions} of sequences of {@code seqLen} positions, whose keys and values live in
     * {@code cache} slots {@code slots[j]}: the window's are stored there, and attention reads the whole slot.
     */
    private record Window(KvCache cache, int[] slots, int[] positions, int seqLen) {
        void store(int layer, float[] k, float[] v, int kvd) {
            int W = positions.length;
            for (int j = 0; j < slots.length; j++) {
                float[] keys = cache.keys(slots[j], layer), values = cache.values(slots[j], layer);
                for (int i = 0; i < W; i++) {
                    System.arraycopy(k, (j * W + i) * kvd, keys, positions[i] * kvd, kvd);
                    System.arraycopy(v, (j * W + i) * kvd, values, positions[i] * kvd, kvd);
                }
            }
        }

        float[][] keys(int layer) {
            float[][] out = new float[slots.length][];
            for (int j = 0; j < slots.length; j++) out[j] = cache.keys(slots[j], layer);
            return out;
        }

        float[][] values(int layer) {
            float[][] out = new float[slots.length][];
            for (int j = 0; j < slots.length; j++) out[j] = cache.values(slots[j], layer);
            return out;
        }
    }

    /** Runs every block over all of {@code a}'s positions, or over a cached {@code window} of longer sequences. */
    private void forward(Activations a, int[] ids, boolean[] attend, AttentionPattern pattern, Window window) {
        int n = a.rows, d = config.dModel(), qd = config.qDim(), kv = config.kvDim();
        int H = config.nHeads(), KVH = config.nKvHeads(), hd = config.headDim();
        float eps = (float) config.rmsNormEps();
        int fullLen = window == null ? a.seqLen : window.seqLen();
        Rope rope = rope(fullLen);
        // a whole row may hold two copies sharing positions (BD3-LM); a window runs at its own positions
        int ropeLen = window == null ? pattern.positionPeriod(a.seqLen) : 0;
        int[] base = new int[a.batch];   // where each row's keys start in its cache slot: position 0
        Embedding.forward(a.h, ids, embedding, d);
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            SelfAttention w = b.attention();
            Activations.Layer s = a.layer(l);
            if (a.training) System.arraycopy(a.h, 0, s.x, 0, n * d);
            // attention: h += o(attention(rope(norm(q)), rope(norm(k)), v)), q, k, v projected from attn_norm(h)
            RmsNorm.forward(s.norm1, s.rstd1, a.h, b.attnNorm().w(), b.attnNorm().offset(), n, d, eps);
            mm(s.q, s.norm1, w.q(), n, d, qd);
            mm(s.k, s.norm1, w.k(), n, d, kv);
            mm(s.v, s.norm1, w.v(), n, d, kv);
            if (w.qBias() != null) {
                addBias(s.q, w.qBias(), n, qd);
                addBias(s.k, w.kBias(), n, kv);
                addBias(s.v, w.vBias(), n, kv);
            }
            if (w.qNorm() != null) {   // per head: rows of head size, the norm's weight shared by all heads
                RmsNorm.forward(s.q, null, s.q, w.qNorm().w(), w.qNorm().offset(), n * H, hd, eps);
                RmsNorm.forward(s.k, null, s.k, w.kNorm().w(), w.kNorm().offset(), n * KVH, hd, eps);
            }
            if (window == null) {
                rope.forward(s.q, n, ropeLen, H);
                rope.forward(s.k, n, ropeLen, KVH);
                Attention.forward(s.att, s.probs, s.q, s.k, s.v, attend, pattern, a.batch, a.seqLen, H, KVH, hd);
            } else {
                rope.forward(s.q, n, window.positions(), H);
                rope.forward(s.k, n, window.positions(), KVH);
                window.store(l, s.k, s.v, kv);
                Attention.forwardWindow(s.att, null, s.q, window.keys(l), window.values(l), base, attend, pattern,
                        a.batch, fullLen, window.positions(), H, KVH, hd);
            }
            mm(a.tmp, s.att, w.o(), n, qd, d);
            addInto(a.h, a.tmp, n * d);
            if (a.training) System.arraycopy(a.h, 0, s.mid, 0, n * d);
            // feed-forward: h += ffn(ff_norm(h))
            RmsNorm.forward(s.norm2, s.rstd2, a.h, b.ffNorm().w(), b.ffNorm().offset(), n, d, eps);
            b.ffn().forward(a.tmp, s.norm2, n, s.ffn);
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
        if (config.neverPredictMask()) {
            // MDLM's SUBS: the clean text holds no mask, so its probability is zero, and a constant logit passes no
            // gradient back into the head
            int e = config.embeddingSize(), mask = config.maskTokenId();
            for (int i = 0; i < r; i++) out[i * e + mask] = Float.NEGATIVE_INFINITY;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // backward (mirrors forward from the loss back to the embedding; a.logits holds ∂loss/∂logits). Only trainable
    // models get here: LLaDA's or Dream's layout (q/k/v biases), dense feed-forward, no QK norm.

    private void backward(Activations a, int[] ids, int[] rows, AttentionPattern pattern, Parameters p, float[] g) {
        int n = a.rows, d = config.dModel(), kv = config.kvDim(), m = config.mlpHiddenSize(), e = config.embeddingSize();
        int H = config.nHeads(), KVH = config.nKvHeads(), hd = config.headDim(), r = rows.length;
        float[] vals = p.values();
        Rope rope = rope(a.seqLen);
        int ropeLen = pattern.positionPeriod(a.seqLen);

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
            Block b = blocks[l];
            SelfAttention w = b.attention();
            DenseFeedForward ff = (DenseFeedForward) b.ffn();
            Activations.Layer s = a.layer(l);
            float[] gate = s.ffn.buffer(DenseFeedForward.GATE, n * m), up = s.ffn.buffer(DenseFeedForward.UP, n * m);
            float[] act = s.ffn.buffer(DenseFeedForward.ACT, n * m);
            // feed-forward: h_out = mid + down(silu(gate(f)) ⊙ up(f)), f = ff_norm(mid)
            Arrays.fill(a.dact, 0f);
            mmBackInput(a.dact, a.dh, ff.down(), n, d, m, vals);
            mmBackWeight(g, ff.down(), a.dh, act, n, d, m);
            SwiGlu.backward(a.dgate, a.dup, a.dact, gate, up, n, m);
            Arrays.fill(a.da, 0f);
            mmBackInput(a.da, a.dgate, ff.gate(), n, m, d, vals);
            mmBackInput(a.da, a.dup, ff.up(), n, m, d, vals);
            mmBackWeight(g, ff.gate(), a.dgate, s.norm2, n, m, d);
            mmBackWeight(g, ff.up(), a.dup, s.norm2, n, m, d);
            RmsNorm.backward(a.dh, g, b.ffNorm().offset(), a.da, s.mid, s.rstd2, b.ffNorm().w(), b.ffNorm().offset(), n, d);
            // attention: mid = x + o(attn(rope(q(a)), rope(k(a)), v(a))), a = attn_norm(x)
            Arrays.fill(a.datt, 0f);
            mmBackInput(a.datt, a.dh, w.o(), n, d, d, vals);
            mmBackWeight(g, w.o(), a.dh, s.att, n, d, d);
            Attention.backward(a.dq, a.dk, a.dv, a.datt, s.probs, s.q, s.k, s.v, pattern, a.batch, a.seqLen, H, KVH, hd);
            rope.backward(a.dq, n, ropeLen, H);
            rope.backward(a.dk, n, ropeLen, KVH);
            if (w.qBias() != null) {   // q, k, v = a·Wᵀ + b: each bias gathers its projection's gradient over the rows
                biasBackward(g, w.qBias(), a.dq, n, d);
                biasBackward(g, w.kBias(), a.dk, n, kv);
                biasBackward(g, w.vBias(), a.dv, n, kv);
            }
            Arrays.fill(a.da, 0f);
            mmBackInput(a.da, a.dq, w.q(), n, d, d, vals);
            mmBackInput(a.da, a.dk, w.k(), n, kv, d, vals);
            mmBackInput(a.da, a.dv, w.v(), n, kv, d, vals);
            mmBackWeight(g, w.q(), a.dq, s.norm1, n, d, d);
            mmBackWeight(g, w.k(), a.dk, s.norm1, n, kv, d);
            mmBackWeight(g, w.v(), a.dv, s.norm1, n, kv, d);
            RmsNorm.backward(a.dh, g, b.attnNorm().offset(), a.da, s.x, s.rstd1, b.attnNorm().w(), b.attnNorm().offset(), n, d);
        }
        Embedding.backward(g, offset(embedding), a.dh, ids, d);
    }

    // ---------------------------------------------------------------------------------------------------------
    // helpers

    /** Where a trainable model's tensor starts in the parameter buffers (its weights are views of them). */
    private static int offset(Weights w) { return ((Weights.F32) w).offset(); }

    private void mm(float[] out, float[] x, Weights w, int rows, int in, int outWidth) {
        boolean timed = clock.on;
        long t0 = timed ? System.nanoTime() : 0;
        MatMul.forward(out, 0, x, 0, w, 0, rows, in, outWidth);
        if (timed) clock.nanos.addAndGet(System.nanoTime() - t0);
    }

    /** {@code dx[rows, in] += dy[rows, out] · W[out, in]}. */
    private void mmBackInput(float[] dx, float[] dy, Weights w, int rows, int out, int in, float[] vals) {
        boolean timed = clock.on;
        long t0 = timed ? System.nanoTime() : 0;
        MatMul.backwardInput(dx, 0, dy, 0, vals, offset(w), rows, out, in);
        if (timed) clock.nanos.addAndGet(System.nanoTime() - t0);
    }

    /** {@code dW[out, in] += dy[rows, out]ᵀ · x[rows, in]}. */
    private void mmBackWeight(float[] g, Weights w, float[] dy, float[] x, int rows, int out, int in) {
        boolean timed = clock.on;
        long t0 = timed ? System.nanoTime() : 0;
        MatMul.backwardWeight(g, offset(w), dy, 0, x, 0, rows, out, in);
        if (timed) clock.nanos.addAndGet(System.nanoTime() - t0);
    }

    private static void addInto(float[] h, float[] x, int n) {
        Parallel.forRange(n, 4096, (i0, i1) -> {
            for (int i = i0; i < i1; i++) h[i] += x[i];
        });
    }

    /** {@code y[r] += bias} for every row of width {@code width}. */
    private static void addBias(float[] y, Vec bias, int rows, int width) {
        float[] b = bias.w();
        int bo = bias.offset();
        Parallel.forRange(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * width;
                for (int i = 0; i < width; i++) y[o + i] += b[bo + i];
            }
        });
    }

    /** The bias's gradient: {@code g[bias] += Σ_r dy[r]}, the rows summed in order (deterministic). */
    private static void biasBackward(float[] g, Vec bias, float[] dy, int rows, int width) {
        int bo = bias.offset();
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            for (int i = 0; i < width; i++) g[bo + i] += dy[o + i];
        }
    }

    private Rope rope(int seqLen) {
        Rope r = rope;
        if (r == null || r.length() < seqLen) {
            synchronized (ropeLock) {   // not the model's monitor: forwardBackward holds it while its shards run
                r = rope;
                if (r == null || r.length() < seqLen) {
                    r = new Rope(config.headDim(), config.rotaryDim(), config.ropeTheta(), Math.max(seqLen, r == null ? 0 : r.length()));
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
        if (n > Integer.MAX_VALUE / Math.max(Math.max(config.dModel(), config.qDim()), config.mlpHiddenSize())) {
            throw new IllegalArgumentException("batch " + batch + " × sequence length " + seqLen + " is too many tokens for one pass");
        }
        InputChecks.ids(ids, batch, seqLen, attend, config.embeddingSize());
    }
}
