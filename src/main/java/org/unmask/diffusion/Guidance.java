package org.unmask.diffusion;

import org.unmask.model.Denoiser;

/**
 * Classifier-free guidance over a {@link Denoiser}: one forward over 2·batch rows, the conditional canvas and the
 * unconditional one (every position before {@code promptEnd} replaced by the mask id), combined per requested row as
 * {@code uncond + (w + 1)·(cond − uncond)}. With w = 0 it is a plain forward (bit-identical to no guidance).
 * {@link GuidedStepModel} does the same over a {@link StepModel}; both build the doubled batch with the helpers here.
 */
public final class Guidance {
    private Guidance() {}

    /** Logits of {@code rows} (flat positions in the conditional batch), guided with weight {@code w}. */
    public static float[] logits(Denoiser model, int[] ids, int batch, int seqLen, boolean[] attend, int[] rows,
                                 double w, int promptEnd, int maskId) {
        if (w == 0) return model.logits(ids, batch, seqLen, attend, rows);
        int[] both = withUnconditional(ids, batch, seqLen, promptEnd, maskId);
        float[] out = model.logits(both, 2 * batch, seqLen, twice(attend), twice(rows, batch * seqLen));
        return combine(out, w);
    }

    /** The conditional rows followed by their unconditional copies (positions before promptEnd masked). */
    static int[] withUnconditional(int[] ids, int batch, int seqLen, int promptEnd, int maskId) {
        int[] ends = new int[batch];
        java.util.Arrays.fill(ends, promptEnd);
        return withUnconditional(ids, batch, seqLen, ends, maskId);
    }

    /** The same with each row's own prompt end (block-aligned rows end their prompts at different positions). */
    static int[] withUnconditional(int[] ids, int batch, int seqLen, int[] promptEnd, int maskId) {
        int n = batch * seqLen;
        int[] both = new int[2 * n];
        System.arraycopy(ids, 0, both, 0, n);
        System.arraycopy(ids, 0, both, n, n);
        for (int b = 0; b < batch; b++) {
            int base = n + b * seqLen;
            for (int t = 0; t < promptEnd[b]; t++) both[base + t] = maskId;
        }
        return both;
    }

    /** The key-padding mask repeated for the unconditional rows (null stays null). */
    static boolean[] twice(boolean[] attend) {
        if (attend == null) return null;
        boolean[] att2 = new boolean[2 * attend.length];
        System.arraycopy(attend, 0, att2, 0, attend.length);
        System.arraycopy(attend, 0, att2, attend.length, attend.length);
        return att2;
    }

    /** The requested flat rows, then the same rows in the unconditional half ({@code n} positions further on). */
    static int[] twice(int[] rows, int n) {
        int[] rows2 = new int[2 * rows.length];
        for (int i = 0; i < rows.length; i++) { rows2[i] = rows[i]; rows2[rows.length + i] = rows[i] + n; }
        return rows2;
    }

    /** Guided logits from the conditional half and the unconditional half of {@code out}. */
    static float[] combine(float[] out, double w) {
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
