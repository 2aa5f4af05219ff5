package org.unmask.diffusion;

/**
 * Remembers the canvas the model was last given for each run row, so each forward can say exactly what changed
 * since: commits, re-masks and early-stop fills, whether they happened after that row's previous forward or just
 * before this one (ReMDM loop). A diff, not a log of edits, so a position re-masked and re-committed to the same
 * token between two forwards is (correctly) unchanged.
 */
final class ChangeTracker {
    private final int seqLen;
    private final int[] last;
    private final boolean[] seen;

    ChangeTracker(int batch, int seqLen) {
        this.seqLen = seqLen;
        this.last = new int[batch * seqLen];
        this.seen = new boolean[batch];
    }

    /**
     * For each row j of the forward batch {@code ids}, the positions where it differs from what the model last saw
     * of run row {@code batchRows[j]} (null the first time), and records {@code ids} as seen.
     */
    int[][] update(int[] ids, int[] batchRows) {
        int[][] changed = new int[batchRows.length][];
        for (int j = 0; j < batchRows.length; j++) {
            int b = batchRows[j], now = j * seqLen, then = b * seqLen;
            if (seen[b]) {
                int n = 0;
                for (int t = 0; t < seqLen; t++) if (ids[now + t] != last[then + t]) n++;
                changed[j] = new int[n];
                n = 0;
                for (int t = 0; t < seqLen; t++) if (ids[now + t] != last[then + t]) changed[j][n++] = t;
            }
            System.arraycopy(ids, now, last, then, seqLen);
            seen[b] = true;
        }
        return changed;
    }
}
