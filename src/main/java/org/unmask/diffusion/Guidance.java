package org.unmask.diffusion;

import org.unmask.model.Denoiser;

/**
 * Classifier-free guidance over a {@link Denoiser}: one forward over 2·batch rows, the conditional canvas and the
 * unconditional one (every position before {@code promptEnd} replaced by the mask id), combined per requested row as
 * {@code uncond + (w + 1)·(cond − uncond)}. With w = 0 it is a plain forward (bit-identical to no guidance).
 */
public final class Guidance {
    private Guidance() {}

    /** Logits of {@code rows} (flat positions in the conditional batch), guided with weight {@code w}. */
    public static float[] logits(Denoiser model, int[] ids, int batch, int seqLen, boolean[] attend, int[] rows,
                                 double w, int promptEnd, int maskId) {
        if (w == 0) return model.logits(ids, batch, seqLen, attend, rows);
        int n = batch * seqLen;
        int[] both = new int[2 * n];
        System.arraycopy(ids, 0, both, 0, n);
        System.arraycopy(ids, 0, both, n, n);
        for (int b = 0; b < batch; b++) {
            int base = n + b * seqLen;
            for (int t = 0; t < promptEnd; t++) both[base + t] = maskId;
        }
        boolean[] att2 = null;
        if (attend != null) {
            att2 = new boolean[2 * n];
            System.arraycopy(attend, 0, att2, 0, n);
            System.arraycopy(attend, 0, att2, n, n);
        }
        int[] rows2 = new int[2 * rows.length];
        for (int i = 0; i < rows.length; i++) { rows2[i] = rows[i]; rows2[rows.length + i] = rows[i] + n; }
        float[] out = model.logits(both, 2 * batch, seqLen, att2, rows2);
        int half = out.length / 2;
        float scale = (float) (w + 1);
        float[] guided = new float[half];
        for (int i = 0; i < half; i++) {
            float c = out[i], u = out[half + i];
            guided[i] = u + scale * (c - u);
        }
        return guided;
    }
}
