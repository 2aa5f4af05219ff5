package org.unmask.diffusion;

import org.unmask.model.Denoiser;
import org.unmask.model.kernels.AttentionPattern;

import java.util.List;

/**
 * The exact negative log-likelihood of an autoregressive model (the baseline trained with {@code --objective ar}):
 * under a causal mask the output at position t predicts token t+1, so every scored token after the first position
 * is predicted from all tokens before it. Training's validation and {@code eval} both use this.
 */
public final class NextTokenNll {
    private NextTokenNll() {}

    /** The NLL per predicted token over {@code sequences} (the first token of a text has no context and is not counted). */
    public static NllEstimate estimate(Denoiser model, List<ScoredSequence> sequences) {
        if (sequences.isEmpty()) throw new IllegalArgumentException("nothing to score");
        double nats = 0;
        long tokens = 0;
        for (ScoredSequence s : sequences) {
            int first = Math.max(1, s.promptLength());
            nats -= logLikelihood(model, s.tokens(), first);
            tokens += Math.max(0, s.tokens().length - first);
        }
        if (tokens == 0) throw new IllegalArgumentException("no token has a preceding context to be predicted from");
        return new NllEstimate(nats / tokens, tokens, false);
    }

    /** The exact log p(answer | prompt) in nats, from one causal forward; the prompt needs at least one token. */
    public static double logLikelihood(Denoiser model, int[] prompt, int[] answer) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty: an autoregressive model needs at least one token (e.g. BOS) to predict the answer from");
        if (answer.length == 0) throw new IllegalArgumentException("the answer is empty");
        int[] ids = java.util.Arrays.copyOf(prompt, prompt.length + answer.length);
        System.arraycopy(answer, 0, ids, prompt.length, answer.length);
        return logLikelihood(model, ids, prompt.length);
    }

    /** The log-probability in nats of {@code ids[first..]}, each token given those before it ({@code first >= 1}). */
    private static double logLikelihood(Denoiser model, int[] ids, int first) {
        int vocab = model.config().embeddingSize();
        Likelihood.checkLength(model, ids.length);
        Likelihood.checkIds(ids, vocab, "text");
        int n = ids.length - first;
        if (n <= 0) return 0;
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = first + i - 1;
        float[] logits = model.logits(ids, 1, ids.length, null, rows, AttentionPattern.CAUSAL);
        double logp = 0;
        for (int i = 0; i < n; i++) logp += Likelihood.logSoftmax(logits, i * vocab, vocab, ids[first + i]);
        return logp;
    }
}
