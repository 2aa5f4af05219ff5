package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.model.ModelConfig;
import org.unmask.model.kernels.AttentionPattern;

/**
 * A deterministic stand-in for a model: the logits at a position are a hash of its offset from the row's first
 * attended token, of the vocabulary index and of the attended tokens (ids and relative offsets), so they depend on
 * the current canvas, are bidirectional, and do not change when pads (unattended keys) are added on the left.
 * When {@code eosFrom} is set, EOS gets a large bonus from that relative offset on and a large penalty before it.
 * Under a causal or block-causal pattern a position's logits hash only the keys the pattern lets it see.
 */
public final class FakeDenoiser implements Denoiser {
    private final ModelConfig config;
    private final long salt;
    private final int eosFrom;
    private final float scale;

    public FakeDenoiser(ModelConfig config, long salt, int eosFrom, float scale) {
        this.config = config;
        this.salt = salt;
        this.eosFrom = eosFrom;
        this.scale = scale;
    }

    public FakeDenoiser(int vocab, long salt) { this(config(vocab, 4096), salt, Integer.MAX_VALUE, 4f); }

    /** A small config: mask 2, EOS 0, BOS 1. */
    public static ModelConfig config(int vocab, int maxSeq) {
        return new ModelConfig(8, 1, 2, null, 16, vocab, null, maxSeq, 10000, 1e-5, false, 2, 0, null, 1);
    }

    @Override public ModelConfig config() { return config; }

    @Override
    public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
        int vocab = config.embeddingSize();
        long[] ctx = new long[batch];
        int[] first = new int[batch];
        for (int b = 0; b < batch; b++) {
            int f = 0;
            if (attend != null) while (f < seqLen && !attend[b * seqLen + f]) f++;
            first[b] = f;
            long h = salt;
            for (int t = f; t < seqLen; t++) {
                if (attend != null && !attend[b * seqLen + t]) continue;
                h = mix(h * 31 + ids[b * seqLen + t] * 1_000_003L + (t - f));
            }
            ctx[b] = h;
        }
        int n = rows == null ? batch * seqLen : rows.length;
        float[] out = new float[n * vocab];
        for (int i = 0; i < n; i++) {
            int flat = rows == null ? i : rows[i];
            int b = flat / seqLen;
            row(out, i, ctx[b], flat % seqLen - first[b], vocab);
        }
        return out;
    }

    /** Honours {@code pattern}: the context of each query is the hash of the keys it may attend to. */
    @Override
    public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows, AttentionPattern pattern) {
        if (pattern.kind() == AttentionPattern.Kind.BIDIRECTIONAL) return logits(ids, batch, seqLen, attend, rows);
        int vocab = config.embeddingSize();
        int n = rows == null ? batch * seqLen : rows.length;
        float[] out = new float[n * vocab];
        for (int i = 0; i < n; i++) {
            int flat = rows == null ? i : rows[i];
            int b = flat / seqLen, q = flat % seqLen, f = 0;
            if (attend != null) while (f < seqLen && !attend[b * seqLen + f]) f++;
            long h = salt;
            for (int t = f; t < seqLen; t++) {
                if ((attend != null && !attend[b * seqLen + t]) || !pattern.allows(q, t)) continue;
                h = mix(h * 31 + ids[b * seqLen + t] * 1_000_003L + (t - f));
            }
            row(out, i, h, q - f, vocab);
        }
        return out;
    }

    private void row(float[] out, int i, long ctx, int r, int vocab) {
        for (int v = 0; v < vocab; v++) {
            long h = mix(ctx ^ mix(r * 7919L + v * 104_729L + 17));
            float u = (h >>> 40) / (float) (1L << 24);
            out[i * vocab + v] = scale * (2 * u - 1);
        }
        if (eosFrom != Integer.MAX_VALUE) out[i * vocab + config.eosTokenId()] += r >= eosFrom ? 20 : -20;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
