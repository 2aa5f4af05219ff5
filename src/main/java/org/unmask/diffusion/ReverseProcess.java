package org.unmask.diffusion;

import org.unmask.model.kernels.AttentionPattern;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One generation run: the step loop of the reverse process, shaped like LLaDA's {@code generate}. For each block,
 * while the block's {@link CommitRule} wants another step: optional re-masks before the forward, one forward over
 * the active rows asking only for the candidates' logits (and the editable positions' for LLaDA 2.1), then per row
 * the rule's choice is applied and early stop checked, and the step is reported.
 */
final class ReverseProcess {
    private final SamplerConfig cfg;
    private final int vocab;
    private final RunState state;
    private final StepModel model;
    private final ChangeTracker changes;
    private final EarlyStop earlyStop;
    private final StepListener listener;
    private final TokenPicker picker;
    private final AttentionPattern pattern;
    private int forwards, steps;

    /** A run over {@code state} with {@code model}, reporting steps to {@code listener} (nullable). */
    ReverseProcess(SamplerConfig cfg, int vocab, RunState state, StepModel model, StepListener listener) {
        this.cfg = cfg;
        this.vocab = vocab;
        this.state = state;
        this.model = model;
        this.changes = new ChangeTracker(state.batch(), state.seqLen());
        this.earlyStop = new EarlyStop(state, cfg);
        this.listener = listener;
        this.picker = new TokenPicker(cfg, vocab);
        this.pattern = cfg.blockCausal() ? AttentionPattern.blockCausal(cfg.blockLength()) : AttentionPattern.BIDIRECTIONAL;
    }

    SampleResult run() {
        for (Block block : state.blocks()) {
            CommitRule rule = CommitRule.forBlock(cfg, block, state);
            while (rule.nextStep()) {
                int[][] remaskedBefore = remaskBeforeForward(rule);
                int[] active = activeRows(rule);
                // every row is settled or (under early stop) idle: the step costs no forward and reports nothing
                if (active.length == 0) continue;
                List<StepEvent.RowStep> rows = new ArrayList<>(active.length);
                for (Candidates row : forward(active, block, rule)) {
                    int b = row.row();
                    StepChoice choice = rule.choose(row);
                    state.commit(b, choice.commit());
                    state.remask(b, choice.remask());
                    int[] filled = cfg.earlyStop() && rule.maySettle(b) ? earlyStop.settle(b) : CommitRule.NONE;
                    rows.add(rowStep(b, choice.commit(), concat(remaskedBefore[b], choice.remask()), filled));
                }
                emit(block, rows);
            }
        }
        int[][] out = new int[state.batch()][];
        for (int b = 0; b < state.batch(); b++) out[b] = state.unpadded(b);
        return new SampleResult(out, state.promptLengths(), forwards, steps, model.cacheBytes());
    }

    private int[][] remaskBeforeForward(CommitRule rule) {
        int[][] remasked = new int[state.batch()][];
        for (int b = 0; b < state.batch(); b++) {
            remasked[b] = state.settled(b) ? CommitRule.NONE : rule.remaskBeforeForward(b);
            state.remask(b, remasked[b]);
        }
        return remasked;
    }

    private int[] activeRows(CommitRule rule) {
        int n = 0;
        int[] rows = new int[state.batch()];
        for (int b = 0; b < state.batch(); b++) if (!state.settled(b) && rule.joins(b)) rows[n++] = b;
        return Arrays.copyOf(rows, n);
    }

    /** One forward over the active rows, asking only for their candidates' logits, then their editable positions'. */
    private Candidates[] forward(int[] active, Block block, CommitRule rule) {
        int nb = active.length, seqLen = state.seqLen();
        int[] ids = new int[nb * seqLen];
        boolean[] attend = state.padded() ? new boolean[nb * seqLen] : null;
        int[][] cand = new int[nb][], edit = new int[nb][];
        int total = 0;
        for (int j = 0; j < nb; j++) {
            state.copyRow(active[j], ids, attend, j);
            cand[j] = state.candidates(active[j], block.end());
            edit[j] = rule.editable(active[j]);
            total += cand[j].length + edit[j].length;
        }
        int[] flat = new int[total];
        int[] start = new int[nb];
        int q = 0;
        for (int j = 0; j < nb; j++) {
            start[j] = q;
            for (int t : cand[j]) flat[q++] = j * seqLen + t;
            for (int t : edit[j]) flat[q++] = j * seqLen + t;
        }
        int[][] changed = changes.update(ids, active);
        float[] logits = model.logits(new Canvas(ids, nb, seqLen, attend, pattern), active.clone(), flat, changed, block);
        if (logits.length != (long) total * vocab)
            throw new IllegalStateException("model returned " + logits.length + " logits for " + total
                    + " rows of " + vocab);
        forwards++;
        Candidates[] rows = new Candidates[nb];
        for (int j = 0; j < nb; j++) {
            int b = active[j];
            rows[j] = new Candidates(b, cand[j], edit[j], logits, start[j], cfg, vocab, state.random(b), picker);
        }
        return rows;
    }

    /** Row b's step as its own canvas shows it (positions of block-alignment masks after the output left out). */
    private StepEvent.RowStep rowStep(int b, Commit c, int[] remasked, int[] filled) {
        int[] canvas = listener == null ? null : state.unpadded(b);
        int end = state.outputEnd(b);
        Commit shown = c.select(i -> c.positions()[i] < end);
        int[] filledShown = Arrays.stream(filled).filter(t -> t < end).toArray();
        return new StepEvent.RowStep(b, state.local(b, shown.positions()), shown.tokens(), shown.confidences(),
                state.local(b, remasked), state.local(b, filledShown), canvas);
    }

    private void emit(Block block, List<StepEvent.RowStep> rows) {
        if (listener != null) listener.onStep(new StepEvent(steps, block.index(), List.copyOf(rows)));
        steps++;
    }

    private static int[] concat(int[] a, int[] b) {
        if (b.length == 0) return a;
        if (a.length == 0) return b;
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
