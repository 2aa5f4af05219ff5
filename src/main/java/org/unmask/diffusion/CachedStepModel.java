package org.unmask.diffusion;

import org.unmask.model.CachingDenoiser;
import org.unmask.model.KvCache;
import org.unmask.model.ModelConfig;
import org.unmask.model.kernels.AttentionPattern;

import java.util.Arrays;

/**
 * A step model that keeps the keys and values of the positions a step does not change (Fast-dLLM, and the exact block
 * cache of block-causal models).
 *
 * <p>Bidirectional models ({@link CacheMode#PREFIX}, {@link CacheMode#DUAL}): the first step of each block is a full
 * forward that refreshes every position's keys and values; the block's later steps run only the block (dual) or the
 * block and the positions after it (prefix), attending to the cached rest. This is Fast-dLLM's approximation: the
 * cached positions do not see the block's new tokens until the next refresh. The delayed cache
 * ({@link CacheMode#DELAYED}) runs even less of the block: its masked positions and those committed in the previous
 * step, so a committed position's keys and values stop following its block's later tokens. A change outside the
 * recomputed window (a re-mask or an early-stop fill elsewhere) forces a refresh, so the approximation never reaches
 * further.
 *
 * <p>Block-causal models (LLaDA 2.x): a position's keys and values depend only on its own and earlier blocks, so those
 * of finished blocks are exact forever. Each step runs from the first position whose keys are not known to be current
 * (the start of the current block, or of the earliest block that changed since) to the end of the current block.
 */
public final class CachedStepModel implements StepModel {
    private final CachingDenoiser model;
    private final CacheMode mode;
    private KvCache cache;
    private int blockIndex = -1;
    /** Per slot, under block-causal attention: positions before this hold the keys and values of the current tokens. */
    private int[] exactUpTo = new int[0];

    /** A step model over {@code model} keeping {@code mode} (not {@link CacheMode#NONE}). */
    public CachedStepModel(CachingDenoiser model, CacheMode mode) {
        if (mode == CacheMode.NONE) throw new IllegalArgumentException("a cached step model needs a cache mode, not none");
        if (!model.caching()) throw new IllegalArgumentException(model.getClass().getSimpleName() + " cannot run cached windows");
        this.model = model;
        this.mode = mode;
    }

    /**
     * The factory for {@code mode}: cached step models when the model can run cached windows and a cache is asked for,
     * plain full forwards otherwise.
     */
    public static StepModelFactory factory(org.unmask.model.Denoiser denoiser, CacheMode mode) {
        if (mode == CacheMode.NONE || !(denoiser instanceof CachingDenoiser c) || !c.caching()) return DenoiserStepModel.factory(denoiser);
        return new StepModelFactory() {
            @Override public ModelConfig config() { return c.config(); }
            @Override public StepModel newRun() { return new CachedStepModel(c, mode); }
        };
    }

    @Override
    public long cacheBytes() { return cache == null ? 0 : cache.bytes(); }

    @Override
    public float[] logits(Canvas canvas, int[] batchRows, int[] rows, int[][] changed, Block block) {
        int T = canvas.seqLen();
        if (cache == null || cache.seqLen() != T) {
            cache = model.newCache(T);
            exactUpTo = new int[0];
            blockIndex = -1;
        }
        int lowest = T;   // the first position whose logits are asked for
        for (int r : rows) lowest = Math.min(lowest, r % T);
        return canvas.pattern().kind() == AttentionPattern.Kind.BLOCK_CAUSAL
                ? blockCausalStep(canvas, batchRows, rows, changed, block, lowest)
                : bidirectionalStep(canvas, batchRows, rows, changed, block, lowest);
    }

    private float[] bidirectionalStep(Canvas canvas, int[] slots, int[] rows, int[][] changed, Block block, int lowest) {
        int T = canvas.seqLen();
        int from = Math.min(block.start(), lowest), to = mode == CacheMode.PREFIX ? T : block.end();
        boolean refresh = block.index() != blockIndex;
        for (int j = 0; j < slots.length && !refresh; j++) {
            if (changed[j] == null || !cache.has(slots[j])) refresh = true;
            else for (int t : changed[j]) if (t < from || t >= to) refresh = true;
        }
        blockIndex = block.index();
        if (refresh) {
            from = 0;
            to = T;
        } else if (mode == CacheMode.DELAYED) {
            return model.logits(cache, slots, canvas.ids(), canvas.batch(), T, canvas.attend(), canvas.pattern(),
                    delayedWindow(rows, changed, T), rows);
        }
        return model.logits(cache, slots, canvas.ids(), canvas.batch(), T, canvas.attend(), canvas.pattern(), from, to, rows);
    }

    /**
     * The positions a delayed-cache step runs, for every row of the batch: those asked for and those whose token changed
     * since the previous step (their keys and values still belong to the old token); the rest of the block keeps the
     * keys and values computed in the step after each position's commit.
     */
    private static int[] delayedWindow(int[] rows, int[][] changed, int T) {
        boolean[] run = new boolean[T];
        for (int r : rows) run[r % T] = true;
        for (int[] c : changed) for (int t : c) run[t] = true;
        int n = 0;
        for (boolean b : run) if (b) n++;
        int[] positions = new int[n];
        for (int t = 0, i = 0; t < T; t++) if (run[t]) positions[i++] = t;
        return positions;
    }

    private float[] blockCausalStep(Canvas canvas, int[] slots, int[] rows, int[][] changed, Block block, int lowest) {
        int T = canvas.seqLen(), size = canvas.pattern().blockSize();
        int blockStart = block.start() - block.start() % size;
        int from = Math.min(blockStart, lowest - lowest % size);
        for (int j = 0; j < slots.length; j++) {
            int slot = slots[j];
            if (changed[j] == null || !cache.has(slot) || slot >= exactUpTo.length) {
                from = 0;
                continue;
            }
            int exact = exactUpTo[slot];
            // a changed token alters the keys of its whole block (they see each other), and of everything after it
            for (int t : changed[j]) exact = Math.min(exact, t - t % size);
            from = Math.min(from, exact);
        }
        int to = canvas.prefixIsClosed(block.end()) ? block.end() : T;
        float[] out = model.logits(cache, slots, canvas.ids(), canvas.batch(), T, canvas.attend(), canvas.pattern(), from, to, rows);
        for (int slot : slots) {
            if (slot >= exactUpTo.length) exactUpTo = Arrays.copyOf(exactUpTo, Math.max(slot + 1, 2 * exactUpTo.length));
            // the window's keys are current now, but the current block's tokens will still change
            exactUpTo[slot] = Math.min(blockStart, to);
        }
        return out;
    }
}
