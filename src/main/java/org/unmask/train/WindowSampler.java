package org.unmask.train;

import org.unmask.data.Tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Batches of {@code seqLen}-token windows of a token run: random offsets drawn from a seeded generator, or, for
 * epoch-based training, the non-overlapping windows in a seeded random order per epoch. Its saved position names the
 * data it points into (the corpus, its token count and a fingerprint of its tokens), so that a resume on other data
 * is noticed.
 */
public final class WindowSampler implements BatchSource {
    private final Tokens tokens;
    private final int batch, seqLen;
    private final boolean sequential;
    private final long seed;
    private final long windows;
    private final String corpus;
    private String fingerprint;   // computed at the first save
    private Rng rng;
    private long epoch, index;
    private int[] order;

    /** Draws from {@code tokens}; {@code sequential} walks the windows once per epoch in a shuffled order. */
    public WindowSampler(Tokens tokens, int batch, int seqLen, long seed, boolean sequential) {
        this(tokens, batch, seqLen, seed, sequential, null);
    }

    /** The same, naming the corpus the tokens came from ({@code --corpus}; null when they have no name) in the saved position. */
    public WindowSampler(Tokens tokens, int batch, int seqLen, long seed, boolean sequential, String corpus) {
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
        this.corpus = corpus;
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
        if (corpus != null) n.put("corpus", corpus);
        n.put("tokens", tokens.size());
        n.put("fingerprint", fingerprint());
        return n;
    }

    /** The corpus a saved position names, if it names one (positions saved before it was recorded do not). */
    public static java.util.Optional<String> corpus(JsonNode state) {
        JsonNode c = state == null ? null : state.get("corpus");
        return c != null && c.isTextual() ? java.util.Optional.of(c.asText()) : java.util.Optional.empty();
    }

    @Override public java.util.Optional<String> change(JsonNode state) {
        JsonNode n = state.get("tokens"), f = state.get("fingerprint");
        if (n != null && n.asLong() != tokens.size())
            return java.util.Optional.of(String.format(java.util.Locale.ROOT, "the training corpus has %,d tokens where the run's had %,d",
                    tokens.size(), n.asLong()));
        if (f != null && !f.asText().equals(fingerprint()))
            return java.util.Optional.of("the training corpus's tokens differ from the run's (as many, not the same)");
        return java.util.Optional.empty();
    }

    /**
     * A hash of the token count and of 256 runs of 64 tokens spread evenly over the tokens: it tells other data from
     * the run's without reading all of a large corpus (an edit anywhere shifts the tokens after it, which most runs see).
     */
    private String fingerprint() {
        if (fingerprint == null) {
            long h = 0xcbf29ce484222325L, size = tokens.size();
            h = (h ^ size) * 0x100000001b3L;
            int run = (int) Math.min(64, size);
            int[] buf = new int[run];
            for (int i = 0; i < 256; i++) {
                tokens.copy((size - run) * i / 255, buf, 0, run);
                for (int t : buf) h = (h ^ t) * 0x100000001b3L;
            }
            fingerprint = String.format("%016x", h);
        }
        return fingerprint;
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
