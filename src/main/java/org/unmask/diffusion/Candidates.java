package org.unmask.diffusion;

import org.unmask.compute.Parallel;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One row's candidates in one step (its masked positions before the block end, ascending) with their logit rows,
 * and the two ways a commit rule turns them into a {@link Commit}: rank them all and keep the best, or draw chosen
 * ones in position order (Dream's origin). A rule that edits revealed tokens (LLaDA 2.1) also gets the predictions
 * at the editable positions it asked for, whose logit rows follow the candidates'.
 */
final class Candidates {
    private final int row;
    private final int[] positions, editable;
    private final float[] logits;
    private final int firstLogitRow;
    private final SamplerConfig cfg;
    private final int vocab;
    private final SplittableRandom rng;
    private final TokenPicker picker;

    /**
     * Row {@code row}'s {@code positions}, whose logits start at row {@code firstLogitRow} of {@code logits}, followed
     * by those of its {@code editable} positions.
     */
    Candidates(int row, int[] positions, int[] editable, float[] logits, int firstLogitRow, SamplerConfig cfg, int vocab,
               SplittableRandom rng, TokenPicker picker) {
        this.row = row;
        this.positions = positions;
        this.editable = editable;
        this.logits = logits;
        this.firstLogitRow = firstLogitRow;
        this.cfg = cfg;
        this.vocab = vocab;
        this.rng = rng;
        this.picker = picker;
    }

    /** The run row. */
    int row() { return row; }

    /** Number of candidates. */
    int size() { return positions.length; }

    /** The row's random stream, for rules that draw before predicting (origin's coin flips, ReMDM). */
    SplittableRandom random() { return rng; }

    /**
     * Predicts every candidate and keeps the {@code k} best by confidence (ties: earlier position first); draws
     * nothing when {@code k} is 0, so a step that commits nothing leaves the random stream untouched.
     */
    Commit best(int k) {
        if (k <= 0) return Commit.EMPTY;
        int n = positions.length;
        int[] tok = new int[n];
        double[] conf = new double[n];
        predict(firstLogitRow, tok, conf);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        double[] key = conf;
        if (cfg.remasking().isDream() && cfg.algTemp() > 0) {
            // Sampling n positions without replacement from softmax(conf / algTemp) = top-n of Gumbel-perturbed keys.
            key = new double[n];
            for (int i = 0; i < n; i++) key[i] = conf[i] / cfg.algTemp() - Math.log(-Math.log(rng.nextDouble()));
        }
        double[] kk = key;
        Arrays.sort(order, (a, c) -> kk[a] != kk[c] ? Double.compare(kk[c], kk[a]) : Integer.compare(positions[a], positions[c]));
        k = Math.min(k, n);
        Commit c = new Commit(new int[k], new int[k], new double[k]);
        for (int i = 0; i < k; i++) {
            int o = order[i];
            c.positions()[i] = positions[o];
            c.tokens()[i] = tok[o];
            c.confidences()[i] = conf[o];
        }
        return c;
    }

    /**
     * Predicts every editable position (after the candidates, so from the row's stream after theirs), in position
     * order; what is replaced is the rule's call.
     */
    Commit editable() {
        int m = editable.length;
        if (m == 0) return Commit.EMPTY;
        Commit c = new Commit(editable.clone(), new int[m], new double[m]);
        predict(firstLogitRow + positions.length, c.tokens(), c.confidences());
        return c;
    }

    /** The token and confidence of the {@code tok.length} logit rows from {@code first}, with the family's picker. */
    private void predict(int first, int[] tok, double[] conf) {
        int n = tok.length;
        boolean dream = cfg.remasking().isDream();
        // One random stream per position, split off the row's stream in position order, so the vocabulary
        // passes can run in parallel and still give the same draws.
        SplittableRandom[] streams = new SplittableRandom[n];
        for (int i = 0; i < n; i++) streams[i] = rng.split();
        Parallel.forRange(n, Math.max(1, (1 << 18) / vocab), (from, to) -> {
            TokenPicker pk = new TokenPicker(cfg, vocab);
            for (int i = from; i < to; i++) {
                int off = (first + i) * vocab;
                if (dream) pk.pickDream(logits, off, streams[i]); else pk.pickLlada(logits, off, streams[i]);
                tok[i] = pk.token;
                conf[i] = pk.confidence;
            }
        });
    }

    /**
     * Predicts only the candidates marked in {@code take}, in position order, with Dream's token sampler drawing from
     * the row's stream; their confidences are NaN (nothing is ranked).
     */
    Commit drawn(boolean[] take) {
        int k = 0;
        for (boolean t : take) if (t) k++;
        Commit c = new Commit(new int[k], new int[k], new double[k]);
        int q = 0;
        for (int i = 0; i < positions.length; i++) {
            if (!take[i]) continue;
            picker.pickDream(logits, (firstLogitRow + i) * vocab, rng);
            c.positions()[q] = positions[i];
            c.tokens()[q] = picker.token;
            c.confidences()[q++] = Double.NaN;
        }
        return c;
    }
}
