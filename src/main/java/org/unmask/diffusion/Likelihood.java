package org.unmask.diffusion;

import org.unmask.model.Denoiser;

import java.util.SplittableRandom;

/**
 * LLaDA's Monte Carlo estimate of log p(answer | prompt) ({@code get_log_likelihood}): the prompt is never masked;
 * each draw masks exactly l of the L answer tokens (l stratified over the batch), weights the cross-entropy of the
 * masked tokens by L/l, and the result is minus the mean over the draws — a lower bound on the log-likelihood,
 * exact for a one-token answer. A block-diffusion model's estimate is its block bound ({@link Elbo}) over the answer.
 */
public final class Likelihood {
    private Likelihood() {}

    /**
     * The stratified mask counts of one batch: {@code round_half_even(linspace(k, k + (b−1)·L/b, b))} in float32,
     * wrapped into [1, L]; k is the batch's uniform draw from 1..L.
     */
    public static int[] maskCounts(int answerLength, int batch, int k) {
        int L = answerLength;
        float end = (float) (k + (batch - 1) * ((double) L / batch));
        float[] lin = Schedules.linspaceF32(k, end, batch);
        int[] x = new int[batch];
        for (int j = 0; j < batch; j++) {
            int r = (int) Math.rint(lin[j]);
            x[j] = Math.floorMod(r - 1, L) + 1;
        }
        return x;
    }

    /**
     * The estimate with {@code mcNum} draws in batches of {@code batch} rows ({@code mcNum} must be a multiple of
     * {@code batch}), optionally with classifier-free guidance (unconditional rows have the prompt masked).
     */
    public static double logLikelihood(Denoiser model, int[] prompt, int[] answer, int mcNum, int batch,
                                       double cfgScale, long seed) {
        int L = answer.length, P = prompt.length, T = P + L;
        if (L == 0) throw new IllegalArgumentException("the answer is empty");
        if (batch <= 0 || mcNum <= 0 || mcNum % batch != 0)
            throw new IllegalArgumentException("--mc-num (" + mcNum + ") must be a positive multiple of --batch (" + batch + ")");
        int vocab = model.config().embeddingSize(), mask = model.config().maskTokenId();
        if (T > model.config().maxSequenceLength())
            throw new IllegalArgumentException("prompt + answer = " + T + " tokens exceeds max_sequence_length "
                    + model.config().maxSequenceLength());
        checkIds(prompt, vocab, "prompt");
        checkIds(answer, vocab, "answer");
        if (model.config().blockDiffusion()) {
            // a block-diffusion model factorises over its blocks: the one ELBO's block bound, mcNum grid points
            if (cfgScale != 0) throw new IllegalArgumentException("classifier-free guidance is not available for the likelihood of a block-diffusion model");
            int[] text = java.util.Arrays.copyOf(prompt, T);
            System.arraycopy(answer, 0, text, P, L);
            return -Elbo.estimate(model, java.util.List.of(new ScoredSequence(text, P)), mcNum, batch, seed).natsPerToken() * L;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        ForwardProcess noise = new ForwardProcess(mask);
        double total = 0;
        int iterations = mcNum / batch;
        for (int it = 0; it < iterations; it++) {
            int k = 1 + rng.nextInt(L);
            int[] counts = maskCounts(L, batch, k);
            int[] ids = new int[batch * T];
            int rowsN = 0;
            for (int c : counts) rowsN += c;
            int[] rows = new int[rowsN], targets = new int[rowsN];
            double[] weight = new double[rowsN];
            int q = 0;
            for (int j = 0; j < batch; j++) {
                int[] row = new int[T];
                System.arraycopy(prompt, 0, row, 0, P);
                System.arraycopy(answer, 0, row, P, L);
                for (int at : noise.maskExactly(row, P, T, counts[j], rng)) {
                    rows[q] = j * T + at;
                    targets[q] = answer[at - P];
                    weight[q++] = (double) L / counts[j];
                }
                System.arraycopy(row, 0, ids, j * T, T);
            }
            float[] logits = Guidance.logits(model, ids, batch, T, null, rows, cfgScale, P, mask);
            double loss = 0;
            for (int r = 0; r < rowsN; r++) loss += weight[r] * -logSoftmax(logits, r * vocab, vocab, targets[r]);
            total += loss / batch;
        }
        return -total / iterations;
    }

    /** Draws per forward pass when none is given: the largest divisor of {@code mcNum} that is at most {@code cap}. */
    public static int defaultBatch(int mcNum, int cap) {
        for (int b = Math.min(mcNum, cap); b > 1; b--) if (mcNum % b == 0) return b;
        return 1;
    }

    /** log softmax(row)[target] in float64. */
    public static double logSoftmax(float[] logits, int off, int vocab, int target) {
        double m = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) m = Math.max(m, logits[off + v]);
        double sum = 0;
        for (int v = 0; v < vocab; v++) sum += Math.exp(logits[off + v] - m);
        return logits[off + target] - m - Math.log(sum);
    }

    /**
     * Context and continuation ids the way lm-evaluation-harness splits them: trailing spaces of the context move to
     * the continuation, {@code context + continuation} and {@code context} are tokenized separately, and the
     * continuation is the whole minus the context-length prefix. Returns {contextIds, continuationIds}.
     */
    public static int[][] encodePair(org.unmask.text.Tokenizer tok, String context, String continuation) {
        int trailing = 0;
        while (trailing < context.length() && context.charAt(context.length() - 1 - trailing) == ' ') trailing++;
        if (trailing > 0) {
            continuation = context.substring(context.length() - trailing) + continuation;
            context = context.substring(0, context.length() - trailing);
        }
        int[] whole = tok.encode(context + continuation, false);
        int[] ctx = tok.encode(context, false);
        int n = Math.min(ctx.length, whole.length);
        int[] cont = java.util.Arrays.copyOfRange(whole, n, whole.length);
        if (cont.length == 0)
            throw new IllegalArgumentException("continuation '" + continuation + "' has no tokens after the context");
        return new int[][]{ctx, cont};
    }

    static void checkLength(Denoiser model, int length) {
        if (length > model.config().maxSequenceLength())
            throw new IllegalArgumentException("text of " + length + " tokens exceeds max_sequence_length "
                    + model.config().maxSequenceLength());
    }

    static void checkIds(int[] ids, int vocab, String what) {
        for (int i = 0; i < ids.length; i++)
            if (ids[i] < 0 || ids[i] >= vocab)
                throw new IllegalArgumentException(what + " token " + i + " = " + ids[i]
                        + " is outside the vocabulary (0.." + (vocab - 1) + ")");
    }
}
