package org.unmask.diffusion;

/**
 * What a commit rule decided for one row in one step.
 *
 * @param commit what the row commits
 * @param remask revealed positions (canvas coordinates) turned back into masks after the commit (ReMDM)
 */
record StepChoice(Commit commit, int[] remask) {
    /** Commits only. */
    static StepChoice of(Commit commit) { return new StepChoice(commit, CommitRule.NONE); }
}
