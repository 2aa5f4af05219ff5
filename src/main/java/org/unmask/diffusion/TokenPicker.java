package org.unmask.diffusion;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the token for one masked position from its logit row and scores it, in one or two passes over the
 * vocabulary, all in float64. LLaDA: argmax at T = 0, Gumbel-max otherwise, confidence = the noise-free softmax
 * probability of the choice. Dream: {@code sample_tokens} with temperature, top-p and top-k filtering and the
 * maskgit_plus / topk_margin / entropy confidences. The mask id itself is never a valid prediction: it is excluded
 * from the choice (the reference could pick it, which would silently leave the position masked); it stays in LLaDA's
 * confidence softmax, as in the reference, and is filtered out before Dream's softmax like a top-k drop.
 */
final class TokenPicker {
    private final SamplerConfig cfg;
    private final int vocab;
    private double[] work = new double[0];

    /** The chosen token and its confidence. */
    int token;
    double confidence;

    TokenPicker(SamplerConfig cfg, int vocab) {
        this.cfg = cfg;
        this.vocab = vocab;
    }

    /**
     * LLaDA's choice for the logit row at {@code off}. The Gumbel-max draw uses the log form
     * {@code l − T·log(−log u)}, which has the same argmax as the reference's {@code exp(l)/(−log u)^T} but does not
     * overflow float64 for logits above ~709 (where the reference produces inf ties).
     */
    void pickLlada(float[] logits, int off, SplittableRandom rng) {
        int eos = cfg.eosId(), mask = cfg.maskId();
        double t = cfg.temperature();
        // Tokens whose logit is -inf for the confidence softmax: EOS under logitsEosInf, and EOS/EoT under
        // confidenceEosEotInf (only EoT for T > 0 when reproducing the reference's chained-assignment quirk).
        int exA = cfg.logitsEosInf() ? eos : -1, exB = -1, exC = -1;
        if (cfg.confidenceEosEotInf()) {
            exC = cfg.eotId();
            if (!(cfg.referenceEosQuirk() && t > 0)) exB = eos;
        }
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            double l = logits[off + v];
            if (v == exA) continue;                      // banned from the choice and from the softmax
            if (v != exB && v != exC && l > max) max = l;
            if (v == mask) continue;
            double score = t == 0 ? l : l - t * Math.log(-Math.log(rng.nextDouble()));
            if (score > bestScore || best < 0) { bestScore = score; best = v; }
        }
        token = best;
        if (cfg.remasking() == Remasking.RANDOM) { confidence = rng.nextDouble(); return; }
        if (best == exB || best == exC) { confidence = 0; return; }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            if (v == exA || v == exB || v == exC) continue;
            sum += Math.exp(logits[off + v] - max);
        }
        confidence = Math.exp(logits[off + best] - max) / sum;
    }

    /** Dream's {@code sample_tokens} for the logit row at {@code off}, with the confidence of {@code alg}. */
    void pickDream(float[] logits, int off, SplittableRandom rng) {
        double[] p = probabilities(logits, off);
        double t = cfg.temperature();
        int chosen = -1;
        if (t > 0) {
            double u = rng.nextDouble(), acc = 0;
            for (int v = 0; v < vocab; v++) {
                if (p[v] == 0) continue;
                acc += p[v];
                chosen = v;
                if (u < acc) break;
            }
        } else {
            double best = -1;
            for (int v = 0; v < vocab; v++) if (p[v] > best) { best = p[v]; chosen = v; }
        }
        token = chosen;
        confidence = switch (cfg.remasking()) {
            case TOPK_MARGIN -> {
                double a = 0, b = 0;
                for (int v = 0; v < vocab; v++) {
                    if (p[v] > a) { b = a; a = p[v]; } else if (p[v] > b) b = p[v];
                }
                yield a - b;
            }
            case ENTROPY -> {
                double s = 0;
                for (int v = 0; v < vocab; v++) s += p[v] * Math.log(p[v] + 1e-10);
                yield s;
            }
            default -> p[chosen];
        };
    }

    /** Softmax of the temperature-scaled, top-p / top-k filtered row (filtered tokens get probability 0). */
    double[] probabilities(float[] logits, int off) {
        if (work.length < vocab) work = new double[vocab];
        double[] z = work;
        double t = cfg.temperature() > 0 ? cfg.temperature() : 1;
        for (int v = 0; v < vocab; v++) z[v] = logits[off + v] / t;
        if (cfg.logitsEosInf()) z[cfg.eosId()] = Double.NEGATIVE_INFINITY;
        z[cfg.maskId()] = Double.NEGATIVE_INFINITY;
        if (cfg.topP() < 1) applyTopP(z);
        if (cfg.topK() > 0 && cfg.topK() < vocab) applyTopK(z, cfg.topK());
        double m = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) if (z[v] > m) m = z[v];
        double sum = 0;
        for (int v = 0; v < vocab; v++) { z[v] = z[v] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(z[v] - m); sum += z[v]; }
        for (int v = 0; v < vocab; v++) z[v] /= sum;
        return z;
    }

    /**
     * Nucleus filter: keeps the tokens, by descending logit, until the kept mass exceeds top-p (the token that
     * crosses it is kept, as the reference's shift-right does); tokens tied with the last kept one are kept too.
     */
    private void applyTopP(double[] z) {
        double[] sorted = Arrays.copyOf(z, vocab);
        Arrays.sort(sorted);
        double m = sorted[vocab - 1], sum = 0;
        for (int v = 0; v < vocab; v++) sum += Math.exp(z[v] - m);
        double cum = 0, cutoff = sorted[0];
        for (int r = vocab - 1; r >= 0; r--) {
            cum += Math.exp(sorted[r] - m) / sum;
            if (cum > cfg.topP()) { cutoff = sorted[r]; break; }
        }
        for (int v = 0; v < vocab; v++) if (z[v] < cutoff) z[v] = Double.NEGATIVE_INFINITY;
    }

    /** Drops logits strictly below the k-th largest. */
    private void applyTopK(double[] z, int k) {
        double[] copy = Arrays.copyOf(z, vocab);
        Arrays.sort(copy);
        double kth = copy[vocab - k];
        for (int v = 0; v < vocab; v++) if (z[v] < kth) z[v] = Double.NEGATIVE_INFINITY;
    }
}
