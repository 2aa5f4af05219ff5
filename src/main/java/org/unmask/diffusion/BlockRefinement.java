package org.unmask.diffusion;

/**
 * LLaDA 2.x's rule ({@code LLaDA2MoeModelLM.generate}; diffusers calls it block refinement). Each step of a block has
 * a transfer count k from the block length spread over the block's steps ({@code block_length // steps}, the
 * remainder to the first steps), the same for every block whatever its masks (a first block that holds prompt
 * tokens just runs out of masks sooner). A step predicts the block's masks and commits every one whose confidence is
 * strictly above the threshold when there are at least k of them, otherwise the k most confident (all, when fewer
 * remain). With LLaDA 2.1's token editing, each step also replaces revealed tokens of the block (never prompt
 * tokens) whose prediction differs with a confidence above the editing threshold, and once the block has no masks up
 * to {@code max_post_steps} further passes run, the block ending at the first one that replaces nothing. Rows of a
 * batch advance independently: a row whose block is done, or that has no position in it, sits the steps out.
 */
final class BlockRefinement implements CommitRule {
    private final int[] counts;
    private final double threshold;
    private final EditingConfig editing;
    private final Block block;
    private final RunState state;
    private final int[] maskSteps, postSteps;
    private final boolean[] stable;

    /** The rule for {@code block} under {@code cfg}. */
    BlockRefinement(SamplerConfig cfg, Block block, RunState state) {
        this.counts = Schedules.numTransferTokens(cfg.blockLength(), cfg.stepsPerBlock());
        this.threshold = cfg.threshold();
        this.editing = cfg.editing();
        this.block = block;
        this.state = state;
        this.maskSteps = new int[state.batch()];
        this.postSteps = new int[state.batch()];
        this.stable = new boolean[state.batch()];
    }

    @Override
    public boolean nextStep() {
        for (int b = 0; b < state.batch(); b++) if (!state.settled(b) && joins(b)) return true;
        return false;
    }

    /**
     * A row takes a step while its block has masks (at most the block's steps, which the counts always suffice for),
     * and with editing then while it has post passes left and its last pass replaced something.
     */
    @Override
    public boolean joins(int row) {
        if (block.end() <= state.promptEnd(row)) return false;   // the block is all prompt for this row
        if (state.masks(row, block.end()) > 0) return maskSteps[row] < counts.length;
        return editing != null && !stable[row] && postSteps[row] < editing.maxPostSteps();
    }

    /** With editing, a row is settled by early stop only once it takes no further pass in this block. */
    @Override
    public boolean maySettle(int row) { return editing == null || !joins(row); }

    /** The row's revealed generated positions in the block; none without editing. */
    @Override
    public int[] editable(int row) {
        if (editing == null) return NONE;
        int from = Math.max(block.start(), state.promptEnd(row)), n = 0;
        for (int t = from; t < block.end(); t++) if (state.token(row, t) != state.maskId()) n++;
        int[] e = new int[n];
        n = 0;
        for (int t = from; t < block.end(); t++) if (state.token(row, t) != state.maskId()) e[n++] = t;
        return e;
    }

    @Override
    public StepChoice choose(Candidates row) {
        int b = row.row();
        Commit reveal = Commit.EMPTY;
        if (row.size() > 0) {
            int k = counts[maskSteps[b]++];
            Commit ranked = row.best(row.size());
            int above = 0;
            while (above < ranked.size() && ranked.confidences()[above] > threshold) above++;   // NaN threshold: none
            reveal = ranked.prefix(Math.max(above, Math.min(k, ranked.size())));
        }
        Commit edits = editing == null ? Commit.EMPTY : replacements(b, row.editable());
        if (row.size() == 0) {
            postSteps[b]++;
            stable[b] = edits.size() == 0;
        }
        return StepChoice.of(Commit.concat(reveal, edits));
    }

    /** The predictions that differ from the row's token and are confident enough to replace it. */
    private Commit replacements(int b, Commit predicted) {
        return predicted.select(i -> predicted.confidences()[i] > editing.threshold()
                && predicted.tokens()[i] != state.token(b, predicted.positions()[i]));
    }
}
