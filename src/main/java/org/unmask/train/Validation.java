package org.unmask.train;

import org.unmask.diffusion.Elbo;
import org.unmask.diffusion.NextTokenNll;
import org.unmask.diffusion.NllEstimate;
import org.unmask.diffusion.ScoredSequence;
import org.unmask.model.Denoiser;
import org.unmask.data.Tokens;

import java.util.ArrayList;
import java.util.List;

/**
 * Held-out evaluation that is comparable between runs and with {@code unmask eval}: the same windows, scored by the
 * one {@link Elbo} (diffusion, with its fixed grid and mask seed) or the exact {@link NextTokenNll} (the AR baseline),
 * so the figure differs between two runs only through their models.
 */
public final class Validation {
    private final List<ScoredSequence> sequences;
    private final int grid;
    private final int rowsPerForward;
    private final long seed;
    private final String corpus;
    private final double tokensPerByte;

    /** Scores {@code sequences}; the diffusion bound uses {@code grid} masking rates and masks from {@code seed}. */
    public Validation(List<ScoredSequence> sequences, int grid, int rowsPerForward, long seed) {
        this(sequences, grid, rowsPerForward, seed, null);
    }

    /**
     * The same, with the windows taken from {@code corpus}, a corpus of their own (saved with the run so that a resume
     * validates on it again), or null when they were held out of the training data.
     */
    public Validation(List<ScoredSequence> sequences, int grid, int rowsPerForward, long seed, String corpus) {
        this(sequences, grid, rowsPerForward, seed, corpus, Double.NaN);
    }

    private Validation(List<ScoredSequence> sequences, int grid, int rowsPerForward, long seed, String corpus, double tokensPerByte) {
        if (sequences.isEmpty()) throw new IllegalArgumentException("validation needs at least one window");
        if (grid < 1) throw new IllegalArgumentException("the t grid needs at least one point");
        if (rowsPerForward < 1) throw new IllegalArgumentException("rows per forward must be positive");
        this.sequences = List.copyOf(sequences);
        this.grid = grid;
        this.rowsPerForward = rowsPerForward;
        this.seed = seed;
        this.corpus = corpus;
        this.tokensPerByte = tokensPerByte;
    }

    /** The same windows, reported also in bits per byte with the validation text's {@code tokensPerByte} (NaN: unknown). */
    public Validation withTokensPerByte(double tokensPerByte) {
        return new Validation(sequences, grid, rowsPerForward, seed, corpus, tokensPerByte);
    }

    /** Tokens per byte of the validation text, or NaN when it is not known (held-out tokens of the training corpus). */
    public double tokensPerByte() { return tokensPerByte; }

    /**
     * {@code maxWindows} non-overlapping windows of {@code seqLen} tokens spread evenly over the whole text (window w
     * of n starts at the ⌊w·N/n⌋-th of the text's N windows), or all N windows when {@code maxWindows} is 0 or at least
     * N; a text shorter than one window is one window of its own length. Spreading matters: a corpus is stored
     * document after document, so its first windows are one kind of text (the shipped validation split opens with
     * its 47 Bible chapters and then has 158 Brown samples), and a prefix would judge a model on that kind only.
     */
    public static List<ScoredSequence> windows(Tokens tokens, int seqLen, int maxWindows) {
        if (seqLen < 1) throw new IllegalArgumentException("window length must be positive, got " + seqLen);
        long total = tokens.size() / seqLen;
        long n = maxWindows > 0 ? Math.min(total, maxWindows) : total;
        List<ScoredSequence> out = new ArrayList<>();
        if (n == 0 && tokens.size() > 0) {
            int[] ids = new int[(int) tokens.size()];
            tokens.copy(0, ids, 0, ids.length);
            out.add(ScoredSequence.of(ids));
        }
        for (long w = 0; w < n; w++) {
            long window = w * total / n;   // w < n <= total < 2^31: no overflow
            int[] ids = new int[seqLen];
            tokens.copy(window * seqLen, ids, 0, seqLen);
            out.add(ScoredSequence.of(ids));
        }
        return out;
    }

    /** The rows of fine-tuning batches, each with its prompt (never masked, not scored). */
    public static List<ScoredSequence> rows(List<CleanBatch> batches) {
        List<ScoredSequence> out = new ArrayList<>();
        for (CleanBatch c : batches) {
            for (int r = 0; r < c.batch(); r++) {
                int[] ids = java.util.Arrays.copyOfRange(c.ids(), r * c.seqLen(), (r + 1) * c.seqLen());
                out.add(new ScoredSequence(ids, c.promptLengths() == null ? 0 : c.promptLengths()[r]));
            }
        }
        return out;
    }

    /** Number of evaluation windows. */
    public int windows() { return sequences.size(); }

    /** Masking rates of the diffusion bound's grid. */
    public int grid() { return grid; }

    /** The corpus of its own the windows come from, or null when they were held out of the training data. */
    public String corpus() { return corpus; }

    /**
     * The diffusion ELBO per scored token (an upper bound on the NLL) of {@code model} as the sampler sees it: a
     * model with a logit shift must come wrapped in {@code LogitShift}, as every loaded model is.
     */
    public NllEstimate diffusionElbo(Denoiser model) {
        return Elbo.estimate(model, sequences, grid, rowsPerForward, seed);
    }

    /** {@link #diffusionElbo} with its value at each masking rate of the grid. */
    public Elbo.Curve diffusionCurve(Denoiser model) {
        return Elbo.curve(model, sequences, grid, rowsPerForward, seed);
    }

    /** The exact autoregressive NLL per predicted token. */
    public NllEstimate autoregressiveNll(Denoiser model) {
        return NextTokenNll.estimate(model, sequences);
    }
}
