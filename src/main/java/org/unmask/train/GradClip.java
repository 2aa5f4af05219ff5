package org.unmask.train;

/** Gradient clipping by global L2 norm. */
public final class GradClip {
    private GradClip() {}

    /**
     * Global L2 norm of grads; scales them to maxNorm when larger; returns the norm before clipping. A non-finite
     * norm is returned as is and leaves the gradients alone, so the caller can skip the step.
     */
    public static double clipGlobalNorm(float[] grads, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("max gradient norm must be positive, got " + maxNorm);
        double ss = 0;
        for (float g : grads) ss += (double) g * g;   // one pass in order: deterministic
        double norm = Math.sqrt(ss);
        if (norm > maxNorm && Double.isFinite(norm)) {
            float scale = (float) (maxNorm / norm);
            for (int i = 0; i < grads.length; i++) grads[i] *= scale;
        }
        return norm;
    }
}
