package org.unmask.train;

/**
 * Clean training sequences before corruption: {@code batch} rows of {@code seqLen} token ids, row-major.
 * {@code promptLengths} (SFT only, else null) gives per row how many leading tokens are prompt and never noised.
 */
public record CleanBatch(int[] ids, int batch, int seqLen, int[] promptLengths) {
    /** Checks the shapes. */
    public CleanBatch {
        if (batch <= 0 || seqLen <= 0) throw new IllegalArgumentException("empty batch " + batch + "x" + seqLen);
        if (ids.length != batch * seqLen)
            throw new IllegalArgumentException("ids has " + ids.length + " entries, expected " + batch + "x" + seqLen);
        if (promptLengths != null) {
            if (promptLengths.length != batch) throw new IllegalArgumentException("one prompt length per row expected");
            for (int p : promptLengths)
                if (p < 0 || p >= seqLen) throw new IllegalArgumentException("prompt length " + p + " leaves no answer in " + seqLen);
        }
    }

    /** A pretraining batch (no prompts). */
    public static CleanBatch of(int[] ids, int batch, int seqLen) { return new CleanBatch(ids, batch, seqLen, null); }

    /** Number of token slots. */
    public int tokens() { return batch * seqLen; }
}
