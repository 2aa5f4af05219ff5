package org.unmask.model;

/**
 * The keys and values of every layer for the sequences of one generation run, so that a forward may run over a
 * window of positions and read the others from here ({@link CachingDenoiser}). Sequences live in numbered slots,
 * allocated on first use; keys are stored after the rotary embedding, exactly as attention reads them.
 */
public final class KvCache {
    private final int layers, seqLen, kvDim;
    /** One sequence's keys and values per layer, {@code [seqLen, kvDim]} each. */
    private record Slot(float[][] keys, float[][] values) {}

    private Slot[] slots = new Slot[0];

    /** An empty cache for sequences of {@code seqLen} positions of a model with {@code layers} layers of width {@code kvDim}. */
    public KvCache(int layers, int seqLen, int kvDim) {
        if (layers <= 0 || seqLen <= 0 || kvDim <= 0)
            throw new IllegalArgumentException("a KV cache needs positive layers, length and width, got " + layers + ", " + seqLen + ", " + kvDim);
        if ((long) seqLen * kvDim > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException(seqLen + " positions × " + kvDim + " key width do not fit one array");
        this.layers = layers;
        this.seqLen = seqLen;
        this.kvDim = kvDim;
    }

    /** Positions per sequence. */
    public int seqLen() { return seqLen; }

    /** Width of one position's keys (and values). */
    public int kvDim() { return kvDim; }

    /** Whether slot {@code slot} holds anything yet. */
    public synchronized boolean has(int slot) { return slot >= 0 && slot < slots.length && slots[slot] != null; }

    /** Slot {@code slot}'s keys of layer {@code layer}, {@code [seqLen, kvDim]}, allocated (zero) on first use. */
    float[] keys(int slot, int layer) { return slot(slot).keys()[layer]; }

    /** Slot {@code slot}'s values of layer {@code layer}, {@code [seqLen, kvDim]}, allocated (zero) on first use. */
    float[] values(int slot, int layer) { return slot(slot).values()[layer]; }

    private synchronized Slot slot(int slot) {
        if (slot < 0) throw new IllegalArgumentException("cache slot " + slot + " is negative");
        if (slot >= slots.length) slots = java.util.Arrays.copyOf(slots, Math.max(slot + 1, 2 * slots.length));
        if (slots[slot] == null) slots[slot] = new Slot(new float[layers][seqLen * kvDim], new float[layers][seqLen * kvDim]);
        return slots[slot];
    }

    /** Memory held by the keys and values, in bytes. */
    public synchronized long bytes() {
        long used = java.util.Arrays.stream(slots).filter(java.util.Objects::nonNull).count();
        return used * 2L * layers * seqLen * kvDim * Float.BYTES;
    }
}
