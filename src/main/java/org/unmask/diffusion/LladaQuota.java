package org.unmask.diffusion;

/**
 * LLaDA's rule: at the block's start, each row's masks before the block end are spread over the block's steps as in
 * {@code get_num_transfer_tokens} (remainder to the earliest steps), and each step commits its quota of the most
 * confident candidates. Masks in the prompt count in the first block's quota, so each block ends with none left.
 */
final class LladaQuota implements CommitRule {
    private final int steps;
    private final boolean earlyStop;
    private final int[] initial, revealed;
    private final int[][] quota;
    private int step = -1;

    /** The quotas of {@code block} over {@code steps} steps, fixed from the masks each row has now. */
    LladaQuota(int steps, Block block, RunState state, boolean earlyStop) {
        this.steps = steps;
        this.earlyStop = earlyStop;
        int batch = state.batch();
        initial = new int[batch];
        revealed = new int[batch];
        quota = new int[batch][];
        for (int b = 0; b < batch; b++) {
            initial[b] = state.masks(b, block.end());
            quota[b] = Schedules.numTransferTokens(initial[b], steps);
        }
    }

    @Override public boolean nextStep() { return ++step < steps; }

    @Override public boolean joins(int row) { return !earlyStop || quota[row][step] > 0; }

    @Override public StepChoice choose(Candidates row) { return StepChoice.of(take(row, 0)); }

    /** Commits the row's quota plus {@code extra} more (ReMDM re-reveals what it re-masks). */
    Commit take(Candidates row, int extra) {
        int b = row.row();
        Commit c = row.best(quota[b][step] + extra);
        revealed[b] += quota[b][step];
        return c;
    }

    /** The current step, 0-based. */
    int step() { return step; }

    /** Masks row b had before the block end when the block started. */
    int initialMasks(int b) { return initial[b]; }

    /** The quota row b has committed in the steps it took so far (re-reveals not counted). */
    int revealedSoFar(int b) { return revealed[b]; }

    /** Row b's quota this step. */
    int quota(int b) { return quota[b][step]; }
}
