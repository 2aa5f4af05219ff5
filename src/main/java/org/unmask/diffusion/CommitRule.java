package org.unmask.diffusion;

/**
 * How one block decides, step by step, which masked positions each row commits (and, for ReMDM, which revealed
 * ones go back to masks). One small class per family; the step loop in {@link ReverseProcess} is the same for all.
 * A rule holds the block's schedule state and is asked, in this order, each step: {@link #nextStep()}, then per
 * unsettled row {@link #remaskBeforeForward}, then {@link #joins}, then per joining row {@link #editable}, then after
 * the forward {@link #choose} per joining row (and, under early stop, {@link #maySettle} once its choice is applied).
 */
interface CommitRule {
    int[] NONE = new int[0];

    /** Moves to the block's next step; false when the block is done. */
    boolean nextStep();

    /** Revealed positions of row {@code row} to re-mask before this step's forward (ReMDM loop); none by default. */
    default int[] remaskBeforeForward(int row) { return NONE; }

    /**
     * Whether unsettled row {@code row} takes part in this step's forward. Under early stop a row whose step could
     * not change anything sits it out (no randomness is drawn for a pick that is not committed).
     */
    boolean joins(int row);

    /**
     * Revealed positions of joining row {@code row} whose tokens this step may replace (LLaDA 2.1's token editing):
     * the loop asks the model for their logits too, after the candidates'. None by default.
     */
    default int[] editable(int row) { return NONE; }

    /**
     * What the row commits this step, from its candidates' logits, and what it re-masks afterwards. A commit may also
     * replace tokens at the editable positions.
     */
    StepChoice choose(Candidates row);

    /**
     * Whether early stop may settle row {@code row} after the step just applied: after every step by default; LLaDA
     * 2.1's editing waits until the row is done with the block, since its revealed tokens may still be replaced.
     */
    default boolean maySettle(int row) { return true; }

    /** The rule for {@code block} under {@code cfg}, reading the run's canvases from {@code state}. */
    static CommitRule forBlock(SamplerConfig cfg, Block block, RunState state) {
        if (cfg.blockCausal()) return new BlockRefinement(cfg, block, state);
        if (cfg.parallelDecoding()) {
            return Double.isNaN(cfg.threshold()) ? FastDllm.factor(cfg.factor(), block, state)
                    : FastDllm.threshold(cfg.threshold(), block, state);
        }
        int steps = cfg.stepsPerBlock();
        if (cfg.remasking().isDream())
            return new DreamSchedule(steps, cfg.eps(), cfg.remasking() == Remasking.ORIGIN, block, state, cfg.earlyStop());
        RemdmConfig remdm = cfg.remdm();
        if (remdm == null) return new LladaQuota(steps, block, state, cfg.earlyStop());
        RemdmDraw draw = new RemdmDraw(remdm, block, state);
        return remdm.loop() ? new RemdmLoop(steps, remdm.windowSteps(steps), draw, block, state, cfg.earlyStop())
                : new RemdmSwitch(new LladaQuota(steps, block, state, cfg.earlyStop()), remdm.firstActiveStep(steps), draw);
    }
}
