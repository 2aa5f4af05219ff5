package org.unmask.model;

import org.unmask.model.kernels.AttentionPattern;

/**
 * The model as the sampler must see a family that predicts the token at position i from the output at i−1 (Dream,
 * and LLaDA-layout models with {@code shift_logits}): the logits of row i are the raw output of row i−1, and row 0
 * keeps its own, exactly Dream's {@code cat([logits[:, :1], logits[:, :-1]])}. Only the rows asked for are computed.
 */
public final class LogitShift implements CachingDenoiser {
    private final Denoiser raw;

    private LogitShift(Denoiser raw) { this.raw = raw; }

    /** {@code raw} seen through its config's logit shift: wrapped when the config asks for one, as is otherwise. */
    public static Denoiser apply(Denoiser raw) {
        return raw.config().logitShift() && !(raw instanceof LogitShift) ? new LogitShift(raw) : raw;
    }

    /**
     * {@code raw} seen as the sampler must see a causal next-token model (the AR baseline, whose config asks for no
     * shift because its raw output already is the next token's prediction): always wrapped.
     */
    public static Denoiser always(Denoiser raw) {
        return raw instanceof LogitShift ? raw : new LogitShift(raw);
    }

    @Override public ModelConfig config() { return raw.config(); }

    @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
        return raw.logits(ids, batch, seqLen, attend, previous(rows, batch, seqLen));
    }

    @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows, AttentionPattern pattern) {
        return raw.logits(ids, batch, seqLen, attend, previous(rows, batch, seqLen, pattern), pattern);
    }

    @Override public boolean caching() { return raw instanceof CachingDenoiser c && c.caching(); }

    @Override public KvCache newCache(int seqLen) { return cachingRaw().newCache(seqLen); }

    /** The window gains each row's predicting position (one to its left) where it lacks it. */
    @Override public float[] logits(KvCache cache, int[] slots, int[] ids, int batch, int seqLen, boolean[] attend,
                                    AttentionPattern pattern, int[] positions, int[] rows) {
        int[] prev = previous(rows, batch, seqLen);
        java.util.TreeSet<Integer> window = new java.util.TreeSet<>();
        for (int p : positions) window.add(p);
        for (int r : prev) window.add(r % seqLen);
        int[] wider = window.size() == positions.length ? positions : window.stream().mapToInt(Integer::intValue).toArray();
        return cachingRaw().logits(cache, slots, ids, batch, seqLen, attend, pattern, wider, prev);
    }

    private CachingDenoiser cachingRaw() {
        if (raw instanceof CachingDenoiser c && c.caching()) return c;
        throw new UnsupportedOperationException(raw.getClass().getSimpleName() + " cannot run cached windows");
    }

    /**
     * The rows whose outputs predict {@code rows} under {@code pattern}: {@link #previous(int[], int, int)}, except in
     * BD3-LM's noisy/clean layout ({@code T = 2L}), where the first noisy position of block b > 0 is predicted by the
     * clean copy's position before it (the last token of the finished block b−1, as block-by-block generation sees
     * it), not by the previous noisy block, which that block cannot see.
     */
    public static int[] previous(int[] rows, int batch, int seqLen, AttentionPattern pattern) {
        if (pattern == null || pattern.kind() != AttentionPattern.Kind.NOISY_CLEAN) return previous(rows, batch, seqLen);
        int half = pattern.positionPeriod(seqLen), size = pattern.blockSize();
        int n = rows == null ? batch * seqLen : rows.length;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int r = rows == null ? i : rows[i], t = r % seqLen;
            out[i] = t == 0 || t == half ? r : t < half && t % size == 0 ? r + half - 1 : r - 1;
        }
        return out;
    }

    /** For each flat row {@code b·T + t}, the row whose output predicts it: {@code b·T + max(t−1, 0)}. */
    public static int[] previous(int[] rows, int batch, int seqLen) {
        int n = rows == null ? batch * seqLen : rows.length;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int r = rows == null ? i : rows[i];
            out[i] = r % seqLen == 0 ? r : r - 1;
        }
        return out;
    }
}
