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
        int vocab = model.config().embeddingSize();
        double nats = 0;
        long tokens = 0;
        for (ScoredSequence s : sequences) {
            int[] ids = s.tokens();
            Likelihood.checkLength(model, ids.length);
            Likelihood.checkIds(ids, vocab, "text");
            int first = Math.max(1, s.promptLength());
            int n = ids.length - first;
            if (n <= 0) continue;
            int[] rows = new int[n];
            for (int i = 0; i < n; i++) rows[i] = first + i - 1;
            float[] logits = model.logits(ids, 1, ids.length, null, rows, AttentionPattern.CAUSAL);
            for (int i = 0; i < n; i++) nats -= Likelihood.logSoftmax(logits, i * vocab, vocab, ids[first + i]);
            tokens += n;
        }
        if (tokens == 0) throw new IllegalArgumentException("no token has a preceding context to be predicted from");
        return new NllEstimate(nats / tokens, tokens, false);
    }
}
