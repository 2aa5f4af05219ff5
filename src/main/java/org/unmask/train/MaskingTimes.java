package org.unmask.train;

/** Draws the per-sequence masking probabilities p = (1 − eps)·t + eps of LLaDA/SMDM. */
final class MaskingTimes {
    private MaskingTimes() {}

    /**
     * One p per row: t ~ U(0,1) independently, or stratified (MDLM's low-discrepancy sampler: t_i = (u_i + i)/n, one t
     * in each of the n strata [i/n, (i+1)/n)), then mapped to [eps, 1).
     */
    static double[] draw(int n, double eps, boolean stratified, Rng rng) { return draw(n, eps, 1, stratified, rng); }

    /**
     * The same over the interval [low, high]: p = (high − low)·t + low. BD3-LM's clipped ("data-driven") schedule
     * draws the rate from a narrower interval than [eps, 1], which lowers the variance of the loss.
     */
    static double[] draw(int n, double low, double high, boolean stratified, Rng rng) {
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            double u = rng.nextDouble();
            double t = stratified ? (u / n + (double) i / n) % 1.0 : u;
            p[i] = (high - low) * t + low;
        }
        return p;
    }
}
