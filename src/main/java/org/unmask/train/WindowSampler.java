package org.unmask.train;

import org.unmask.data.Tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Batches of {@code seqLen}-token windows of a token run: random offsets drawn from a seeded generator, or, for
 * epoch-based training, the non-overlapping windows in a seeded random order per epoch.
 */
public final class WindowSampler implements BatchSource {
    private final Tokens tokens;
    private final int batch, seqLen;
    private final boolean sequential;
    private final long seed;
    private final long windows;
    private Rng rng;
    private long epoch, index;
    private int[] order;

    /** Draws from {@code tokens}; {@code sequential} walks the windows once per epoch in a shuffled order. */
    public WindowSampler(Tokens tokens, int batch, int seqLen, long seed, boolean sequential) {
        if (batch <= 0 || seqLen <= 0) throw new IllegalArgumentException("batch and seq-len must be positive");
        if (tokens.size() < seqLen)
            throw new IllegalArgumentException("the corpus has " + tokens.size() + " tokens, fewer than one window of --seq-len " + seqLen);
        this.tokens = tokens;
        this.batch = batch;
        this.seqLen = seqLen;
        this.sequential = sequential;
        this.seed = seed;
        this.windows = tokens.size() / seqLen;
        if (sequential && windows > Integer.MAX_VALUE) throw new IllegalArgumentException("too many windows for epoch order");
        this.rng = new Rng(seed);
    }

    @Override public CleanBatch next() {
        int[] ids = new int[batch * seqLen];
        for (int r = 0; r < batch; r++) {
            long from;
            if (sequential) {
                from = nextWindow() * (long) seqLen;
            } else {
                from = rng.nextLong(tokens.size() - seqLen + 1);
                index++;                                  // windows drawn so far
            }
            tokens.copy(from, ids, r * seqLen, seqLen);
        }
        return CleanBatch.of(ids, batch, seqLen);
    }

    private long nextWindow() {
        if (order == null) order = permutation(epoch);
        long w = order[(int) index];
        if (++index == windows) { index = 0; epoch++; order = null; }
        return w;
    }

    private int[] permutation(long ep) {
        int[] p = new int[(int) windows];
        for (int i = 0; i < p.length; i++) p[i] = i;
        new Rng(seed ^ (0x9E3779B97F4A7C15L * (ep + 1))).shuffle(p);
        return p;
    }

    @Override public double epochs() {
        return sequential ? epoch + (double) index / windows : (double) index * seqLen / tokens.size();
    }

    @Override public long stepsPerEpoch(int microBatchesPerStep) {
        return Math.max(1, windows / ((long) batch * microBatchesPerStep));
    }

    @Override public JsonNode state() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("kind", sequential ? "epochs" : "random");
        n.put("epoch", epoch);
        n.put("index", index);
        n.set("rng", TrainerState.longs(rng.state()));
        return n;
    }

    @Override public void restore(JsonNode state) {
        String kind = state.path("kind").asText();
        if (!kind.equals(sequential ? "epochs" : "random"))
            throw new IllegalArgumentException("trainer_state.json: data position is for '" + kind + "' sampling but this run uses "
                    + (sequential ? "epochs" : "random windows"));
        epoch = state.path("epoch").asLong();
        index = state.path("index").asLong();
        if (sequential && index >= windows) throw new IllegalArgumentException("trainer_state.json: data index " + index + " beyond " + windows + " windows");
        rng = Rng.fromState(TrainerState.longs(state.get("rng"), "data.rng"));
        order = null;
    }
}
