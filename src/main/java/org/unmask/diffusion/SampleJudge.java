package org.unmask.diffusion;

import org.unmask.model.Denoiser;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Judges generated text with an autoregressive model: the exact perplexity of the generated tokens given their
 * prompts ({@link NextTokenNll}), reported with the unigram entropy of those tokens so that a sampler which repeats a
 * few likely tokens cannot pass for fluent (its perplexity is low, and so is its entropy).
 */
public final class SampleJudge {
    private SampleJudge() {}

    /**
     * The verdict over all samples.
     *
     * @param nllBitsPerToken    the judge's NLL of the generated tokens, bits per token
     * @param perplexity         2^nllBitsPerToken
     * @param unigramEntropyBits entropy of the generated tokens' pooled unigram distribution, bits
     * @param distinctTokens     number of distinct generated token ids
     * @param tokens             generated tokens judged
     */
    public record Verdict(double nllBitsPerToken, double perplexity, double unigramEntropyBits, int distinctTokens, long tokens) {}

    /** Judges {@code samples[j]} (the generated ids) as continuations of {@code prompts[j]} (at least one token each). */
    public static Verdict judge(Denoiser judge, List<int[]> prompts, List<int[]> samples) {
        if (prompts.size() != samples.size()) throw new IllegalArgumentException(prompts.size() + " prompts for " + samples.size() + " samples");
        List<ScoredSequence> seqs = new ArrayList<>();
        for (int j = 0; j < samples.size(); j++) {
            int[] p = prompts.get(j), s = samples.get(j);
            if (p.length == 0) throw new IllegalArgumentException("sample " + j + ": the judge needs at least one prompt token (e.g. BOS) to predict from");
            if (s.length == 0) throw new IllegalArgumentException("sample " + j + " is empty");
            int[] all = new int[p.length + s.length];
            System.arraycopy(p, 0, all, 0, p.length);
            System.arraycopy(s, 0, all, p.length, s.length);
            seqs.add(new ScoredSequence(all, p.length));
        }
        NllEstimate nll = NextTokenNll.estimate(judge, seqs);
        return new Verdict(nll.bitsPerToken(), Math.pow(2, nll.bitsPerToken()), unigramEntropyBits(samples),
                distinct(samples), nll.tokens());
    }

    /** Entropy in bits of the pooled token frequencies of {@code samples}. */
    public static double unigramEntropyBits(List<int[]> samples) {
        Map<Integer, Integer> counts = new HashMap<>();
        long n = 0;
        for (int[] s : samples) for (int t : s) { counts.merge(t, 1, Integer::sum); n++; }
        double h = 0;
        for (int c : counts.values()) {
            double p = (double) c / n;
            h -= p * Math.log(p) / Math.log(2);
        }
        return h;
    }

    /** How many different token ids {@code samples} use. */
    public static int distinct(List<int[]> samples) {
        Map<Integer, Boolean> seen = new HashMap<>();
        for (int[] s : samples) for (int t : s) seen.put(t, true);
        return seen.size();
    }
}
