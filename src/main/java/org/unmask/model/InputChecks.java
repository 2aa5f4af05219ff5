package org.unmask.model;

/** The checks every engine makes of a batch's token ids, padding mask, output rows and training targets. */
final class InputChecks {
    private InputChecks() {}

    /** {@code ids} holds {@code batch × seqLen} ids inside the embedding; {@code attend}, when given, as many flags. */
    static void ids(int[] ids, int batch, int seqLen, boolean[] attend, int embeddingSize) {
        long n = (long) batch * seqLen;
        if (ids == null || ids.length != n)
            throw new IllegalArgumentException("expected " + n + " token ids (batch " + batch + " × length " + seqLen + "), got "
                    + (ids == null ? "null" : ids.length));
        for (int i = 0; i < ids.length; i++)
            if (ids[i] < 0 || ids[i] >= embeddingSize)
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i + " is outside the embedding (size " + embeddingSize + ")");
        if (attend != null && attend.length != n)
            throw new IllegalArgumentException("key-padding array attend has " + attend.length + " entries, expected " + n);
    }

    /** Every row index lies in {@code 0..n-1}. */
    static void rows(int[] rows, int n) {
        for (int i = 0; i < rows.length; i++)
            if (rows[i] < 0 || rows[i] >= n) throw new IllegalArgumentException("row " + rows[i] + " (index " + i + ") is outside 0.." + (n - 1));
    }

    /** One target (inside the embedding) and, when given, one weight per row. */
    static void targets(int[] rows, int[] targets, float[] weights, int n, int embeddingSize) {
        if (rows == null || targets == null) throw new IllegalArgumentException("rows and targets are required");
        if (targets.length != rows.length) throw new IllegalArgumentException(rows.length + " rows but " + targets.length + " targets");
        if (weights != null && weights.length != rows.length) throw new IllegalArgumentException(rows.length + " rows but " + weights.length + " weights");
        rows(rows, n);
        for (int i = 0; i < targets.length; i++)
            if (targets[i] < 0 || targets[i] >= embeddingSize)
                throw new IllegalArgumentException("target " + targets[i] + " (index " + i + ") is outside the embedding (size " + embeddingSize + ")");
    }

    /** A head that never predicts {@code id} (MDLM's SUBS) gives it probability 0, so no target may be it. */
    static void notTarget(int[] targets, int id) {
        for (int i = 0; i < targets.length; i++)
            if (targets[i] == id)
                throw new IllegalArgumentException("target " + id + " (index " + i + ") is the mask token, which this model never"
                        + " predicts (never_predict_mask)");
    }
}
