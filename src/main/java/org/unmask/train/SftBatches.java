package org.unmask.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.unmask.data.SftExample;

import java.util.ArrayList;
import java.util.List;

/**
 * Fine-tuning batches: the examples in a seeded random order per epoch, each batch right-padded with EOS to its
 * longest example (at most {@code seqLen}); answers longer than the room left are cut at {@code seqLen}.
 */
public final class SftBatches implements BatchSource {
    private final List<SftExample> examples;
    private final int batch, seqLen, eos;
    private final long seed;
    private long epoch, index;
    private int[] order;

    /** Examples whose prompt leaves no room for an answer in {@code seqLen} must be filtered out first ({@link #fitting}). */
    public SftBatches(List<SftExample> examples, int batch, int seqLen, int eos, long seed) {
        if (examples.isEmpty()) throw new IllegalArgumentException("no fine-tuning examples fit in --seq-len " + seqLen);
        for (SftExample e : examples)
            if (e.promptIds().length >= seqLen)
                throw new IllegalArgumentException("a prompt of " + e.promptIds().length + " tokens leaves no room for its answer in --seq-len " + seqLen);
        this.examples = List.copyOf(examples);
        this.batch = batch;
        this.seqLen = seqLen;
        this.eos = eos;
        this.seed = seed;
    }

    /** The examples whose prompt is shorter than {@code seqLen}. */
    public static List<SftExample> fitting(List<SftExample> all, int seqLen) {
        List<SftExample> out = new ArrayList<>();
        for (SftExample e : all) if (e.promptIds().length < seqLen) out.add(e);
        return out;
    }

    /** Pads {@code group} into one batch as described above. */
    public static CleanBatch pad(List<SftExample> group, int seqLen, int eos) {
        int len = 0;
        for (SftExample e : group) len = Math.max(len, Math.min(seqLen, e.length()));
        int b = group.size();
        int[] ids = new int[b * len];
        java.util.Arrays.fill(ids, eos);
        int[] prompts = new int[b];
        for (int r = 0; r < b; r++) {
            SftExample e = group.get(r);
            int p = e.promptIds().length;
            if (p >= len) throw new IllegalArgumentException("a prompt of " + p + " tokens leaves no room for its answer");
            System.arraycopy(e.promptIds(), 0, ids, r * len, p);
            System.arraycopy(e.answerIds(), 0, ids, r * len + p, Math.min(e.answerIds().length, len - p));
            prompts[r] = p;
        }
        return new CleanBatch(ids, b, len, prompts);
    }

    @Override public CleanBatch next() {
        List<SftExample> group = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            if (order == null) {
                order = new int[examples.size()];
                for (int k = 0; k < order.length; k++) order[k] = k;
                new Rng(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1))).shuffle(order);
            }
            group.add(examples.get(order[(int) index]));
            if (++index == examples.size()) { index = 0; epoch++; order = null; }
        }
        return pad(group, seqLen, eos);
    }

    @Override public double epochs() { return epoch + (double) index / examples.size(); }

    @Override public long stepsPerEpoch(int microBatchesPerStep) {
        return Math.max(1, examples.size() / ((long) batch * microBatchesPerStep));
    }

    @Override public JsonNode state() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("kind", "sft");
        n.put("epoch", epoch);
        n.put("index", index);
        return n;
    }

    @Override public void restore(JsonNode state) {
        if (!state.path("kind").asText().equals("sft"))
            throw new IllegalArgumentException("trainer_state.json: the data position is not from fine-tuning");
        epoch = state.path("epoch").asLong();
        index = state.path("index").asLong();
        if (index < 0 || index >= examples.size())
            throw new IllegalArgumentException("trainer_state.json: example index " + index + " beyond " + examples.size() + " examples");
        order = null;
    }
}
