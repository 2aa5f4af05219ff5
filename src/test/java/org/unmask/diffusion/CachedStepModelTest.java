package org.unmask.diffusion;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.CachingDenoiser;
import org.unmask.model.DreamCheckpoints;
import org.unmask.model.KvCache;
import org.unmask.model.Llada2Checkpoints;
import org.unmask.model.LogitShift;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.kernels.AttentionPattern;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The KV caches of a generation run: which windows each step runs, that the exact block cache of block-causal models
 * generates exactly the uncached tokens, and that the approximate caches equal the uncached run wherever no cached
 * position is stale (one step per block: every step is then a block's refreshing first step).
 */
class CachedStepModelTest {
    static final int MASK = 2, EOS = 0;

    /** A caching model that records each window it is asked to run: {from, to} when contiguous, else its positions. */
    static final class Windows implements CachingDenoiser {
        final CachingDenoiser inner;
        final List<int[]> windows = new ArrayList<>();
        final List<int[]> positions = new ArrayList<>();
        final List<int[]> canvases = new ArrayList<>();
        Windows(CachingDenoiser inner) { this.inner = inner; }
        @Override public ModelConfig config() { return inner.config(); }
        @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
            windows.add(new int[]{0, seqLen});
            return inner.logits(ids, batch, seqLen, attend, rows);
        }
        @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows, AttentionPattern p) {
            windows.add(new int[]{0, seqLen});
            return inner.logits(ids, batch, seqLen, attend, rows, p);
        }
        @Override public KvCache newCache(int seqLen) { return inner.newCache(seqLen); }
        @Override public float[] logits(KvCache cache, int[] slots, int[] ids, int batch, int seqLen, boolean[] attend,
                                        AttentionPattern pattern, int[] at, int[] rows) {
            boolean contiguous = at[at.length - 1] - at[0] == at.length - 1;
            windows.add(contiguous ? new int[]{at[0], at[at.length - 1] + 1} : at.clone());
            positions.add(at.clone());
            canvases.add(ids.clone());
            return inner.logits(cache, slots, ids, batch, seqLen, attend, pattern, at, rows);
        }
    }

    static Transformer llada(long seed) {
        return Transformer.randomInit(new ModelConfig(32, 2, 4, 2, 40, 50, 50, 64, 10000.0, 1e-5, false, MASK, EOS, EOS, 1), seed);
    }

    static SamplerConfig.Builder cfg(int gen, int steps, int block) {
        return SamplerConfig.builder(gen, steps, block).specialIds(MASK, EOS, -1);
    }

    static List<int[]> windows(CachingDenoiser m, SamplerConfig c, List<int[]> prompts) {
        Windows w = new Windows(m);
        new Sampler(w, c).generate(prompts, null);
        return w.windows;
    }

    @Test void theDualCacheRunsTheBlockAloneAfterEachBlocksFullForward() {
        // prompt of 4, two blocks of 4 with 2 steps each: canvas of 12
        List<int[]> w = windows(llada(1), cfg(8, 4, 4).cache(CacheMode.DUAL).build(), List.of(new int[]{5, 6, 7, 8}));
        assertThat(w).containsExactly(new int[]{0, 12}, new int[]{4, 8}, new int[]{0, 12}, new int[]{8, 12});
        List<int[]> p = windows(llada(1), cfg(8, 4, 4).cache(CacheMode.PREFIX).build(), List.of(new int[]{5, 6, 7, 8}));
        assertThat(p).containsExactly(new int[]{0, 12}, new int[]{4, 12}, new int[]{0, 12}, new int[]{8, 12});
        List<int[]> none = windows(llada(1), cfg(8, 4, 4).cache(CacheMode.NONE).build(), List.of(new int[]{5, 6, 7, 8}));
        assertThat(none).hasSize(4).allSatisfy(x -> assertThat(x).containsExactly(0, 12));
    }

    @Test void theDelayedCacheRunsTheMaskedPositionsAndThoseCommittedOneStepBefore() {
        // prompt of 4, two blocks of 4 with one token per step: after each block's full forward, the steps run 4, 3, 2
        Windows w = new Windows(llada(3));
        new Sampler(w, cfg(8, 8, 4).cache(CacheMode.DELAYED).build()).generate(List.of(new int[]{5, 6, 7, 8}), null);
        assertThat(w.positions).extracting(p -> p.length).containsExactly(12, 4, 3, 2, 12, 4, 3, 2);
        for (int k = 1; k < w.positions.size(); k++) {
            if (w.positions.get(k).length == 12) continue;
            int[] now = w.canvases.get(k), before = w.canvases.get(k - 1);
            int start = k < 4 ? 4 : 8;
            List<Integer> want = new ArrayList<>();
            for (int t = start; t < start + 4; t++) if (now[t] == MASK || now[t] != before[t]) want.add(t);
            assertThat(w.positions.get(k)).as("step %d", k).containsExactly(want.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    @Test void aShiftedModelsWindowStartsOnePositionEarlier(@TempDir Path tmp) throws Exception {
        DreamCheckpoints.write(tmp, DreamCheckpoints.TINY, true, 3);
        try (Checkpoint ckpt = Checkpoint.open(tmp)) {
            Windows raw = new Windows(Transformer.fromWeights(ckpt.config(), ckpt.tensors(), false));
            StepModel m = new CachedStepModel((CachingDenoiser) LogitShift.apply(raw), CacheMode.DUAL);
            int mask = ckpt.config().maskTokenId();
            Canvas c = new Canvas(new int[]{5, 6, 7, 8, mask, mask, mask, mask, mask, mask, mask, mask}, 1, 12, null);
            m.logits(c, new int[]{0}, new int[]{4, 5, 6, 7}, new int[][]{null}, new Block(0, 4, 8));
            m.logits(c, new int[]{0}, new int[]{4, 5, 6, 7}, new int[][]{{}}, new Block(0, 4, 8));
            m.logits(c, new int[]{0}, new int[]{6, 7}, new int[][]{{}}, new Block(0, 4, 8));
            assertThat(raw.windows).containsExactly(new int[]{0, 12}, new int[]{3, 8}, new int[]{4, 8});
        }
    }

    @Test void aChangeOutsideTheWindowForcesAFullForward() {
        // e.g. a re-mask before the block, or an early-stop fill after it: cached keys of those positions are stale
        Windows w = new Windows(llada(2));
        StepModel m = new CachedStepModel(w, CacheMode.DUAL);
        int[] ids = {5, 6, 7, 8, MASK, MASK, MASK, MASK, MASK, MASK, MASK, MASK};
        Canvas c = new Canvas(ids, 1, 12, null);
        Block b0 = new Block(0, 4, 8);
        int[] rows = {4, 5, 6, 7};
        m.logits(c, new int[]{0}, rows, new int[][]{null}, b0);
        m.logits(c, new int[]{0}, rows, new int[][]{{5}}, b0);
        m.logits(c, new int[]{0}, rows, new int[][]{{2, 6}}, b0);
        m.logits(c, new int[]{0}, rows, new int[][]{{}}, b0);
        m.logits(c, new int[]{0}, rows, new int[][]{{9}}, b0);
        assertThat(w.windows).containsExactly(new int[]{0, 12}, new int[]{4, 8}, new int[]{0, 12}, new int[]{4, 8}, new int[]{0, 12});
    }

    static int[][] generate(CachingDenoiser m, SamplerConfig c, List<int[]> prompts) {
        return new Sampler(m, c).generate(prompts, null).sequences();
    }

    @Test void oneStepPerBlockGivesTheUncachedTokens(@TempDir Path tmp) throws Exception {
        List<int[]> prompts = List.of(new int[]{5, 6, 7, 8, 9}, new int[]{11, 12});
        Transformer m = llada(4);
        for (CacheMode mode : List.of(CacheMode.PREFIX, CacheMode.DUAL, CacheMode.DELAYED)) {
            SamplerConfig c = cfg(12, 3, 4).cache(mode).build();
            assertThat(generate(m, c, prompts)).as("%s", mode).isDeepEqualTo(generate(m, c.toBuilder().cache(CacheMode.NONE).build(), prompts));
            SamplerConfig g = c.toBuilder().cfgScale(1.5).build();   // guidance: the unconditional copies get their own slots
            assertThat(generate(m, g, prompts)).as("%s with guidance", mode).isDeepEqualTo(generate(m, g.toBuilder().cache(CacheMode.NONE).build(), prompts));
        }
        DreamCheckpoints.write(tmp, DreamCheckpoints.TINY, true, 5);
        try (Checkpoint ckpt = Checkpoint.open(tmp)) {
            var dream = (CachingDenoiser) LogitShift.apply(Transformer.fromWeights(ckpt.config(), ckpt.tensors(), false));
            SamplerConfig c = SamplerConfig.builder(12, 3, 4).remasking(Remasking.ENTROPY).temperature(0).specialIds(63, 0, -1)
                    .cache(CacheMode.DUAL).build();
            assertThat(generate(dream, c, prompts)).isDeepEqualTo(generate(dream, c.toBuilder().cache(CacheMode.NONE).build(), prompts));
        }
    }

    @Test void theBlockCacheOfLlada2GeneratesExactlyTheUncachedTokens(@TempDir Path tmp) throws Exception {
        Llada2Checkpoints.write(tmp, Llada2Checkpoints.TINY, true, 6);
        try (Checkpoint ckpt = Checkpoint.open(tmp)) {
            Transformer m = Transformer.fromWeights(ckpt.config(), ckpt.tensors(), false);
            List<int[]> prompts = List.of(new int[]{5, 6, 7, 8, 9, 10}, new int[]{11, 12, 13});
            int mask = ckpt.config().maskTokenId();
            SamplerConfig.Builder base = SamplerConfig.builder(13, 4, 4).blockCausal(true).threshold(0.3).specialIds(mask, 0, -1);
            for (SamplerConfig c : List.of(base.build(), base.editing(EditingConfig.of(0.2, 3)).earlyStop(true).build())) {
                SamplerConfig none = c.toBuilder().cache(CacheMode.NONE).build();
                assertThat(c.cache()).isEqualTo(CacheMode.DUAL);
                Windows w = new Windows(m);
                int[][] cached = generate(w, c, prompts);
                assertThat(cached).isDeepEqualTo(generate(m, none, prompts));
                // after the first step, no window reaches back before the previous block: finished blocks are reused
                for (int i = 1; i < w.windows.size(); i++) {
                    int[] x = w.windows.get(i);
                    assertThat(x[1] - x[0]).as("window %d", i).isLessThanOrEqualTo(8);
                }
            }
        }
    }
}
