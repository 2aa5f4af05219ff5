package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.kernels.AttentionPattern;

import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Cached windows against the plain forward: a window whose cache holds the keys and values of the same tokens gives
 * the full forward's logits, for every family's attention (GQA, biases, QK norm, partial rotary, Dream's shift) and for
 * padded batches; under block-causal attention the keys of earlier blocks are exact whatever comes later.
 */
class KvCacheTest {
    static final int T = 12;

    static int[] ids(int batch, int vocab, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int[] ids = new int[batch * T];
        for (int i = 0; i < ids.length; i++) ids[i] = 3 + r.nextInt(vocab - 3);
        return ids;
    }

    /** Row 1 is left-padded by three positions. */
    static boolean[] padded() {
        boolean[] a = new boolean[2 * T];
        Arrays.fill(a, true);
        for (int t = 0; t < 3; t++) a[T + t] = false;
        return a;
    }

    static int[] rows(int batch, int from, int to) {
        int[] r = new int[batch * (to - from)];
        int q = 0;
        for (int j = 0; j < batch; j++) for (int t = from; t < to; t++) r[q++] = j * T + t;
        return r;
    }

    static void assertSameLogits(float[] got, float[] want, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        for (int i = 0; i < want.length; i++) assertThat(got[i]).as("%s [%d]", what, i).isCloseTo(want[i], within(2e-4f));
    }

    /** Fills the cache with a full window, then runs [from, to) alone: the same logits as one full forward. */
    static void windowsAgree(CachingDenoiser m, int[] ids, boolean[] attend, AttentionPattern p, int from, int to, String what) {
        int batch = ids.length / T;
        KvCache cache = m.newCache(T);
        int[] slots = new int[batch];
        for (int j = 0; j < batch; j++) slots[j] = 5 + 2 * j;   // slots are the run's row numbers, not the batch's
        int[] all = rows(batch, 0, T);
        float[] full = m.logits(ids, batch, T, attend, all, p);
        assertSameLogits(m.logits(cache, slots, ids, batch, T, attend, p, 0, T, all), full, what + ": the whole window");
        int[] some = rows(batch, from, to);
        float[] want = m.logits(ids, batch, T, attend, some, p);
        assertSameLogits(m.logits(cache, slots, ids, batch, T, attend, p, from, to, some), want, what + ": window " + from + ".." + to);
        // a scattered window (the delayed cache's): positions 1, from, to−1 and T−1 alone, each at its own rotation
        int[] at = java.util.stream.IntStream.of(1, from, to - 1, T - 1).distinct().sorted().toArray();
        int[] scattered = new int[batch * at.length];
        for (int j = 0, q = 0; j < batch; j++) for (int t : at) scattered[q++] = j * T + t;
        assertSameLogits(m.logits(cache, slots, ids, batch, T, attend, p, at, scattered),
                m.logits(ids, batch, T, attend, scattered, p), what + ": positions " + Arrays.toString(at));
        assertThat(cache.bytes()).isEqualTo(2L * batch * m.config().nLayers() * T * m.config().kvDim() * Float.BYTES);
    }

    @Test void llamaLayoutWithGroupedQueries() {
        ModelConfig c = new ModelConfig(32, 2, 4, 2, 40, 50, 50, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Transformer m = Transformer.randomInit(c, 3);
        windowsAgree(m, ids(2, 50, 1), padded(), AttentionPattern.BIDIRECTIONAL, 4, 8, "LLaDA");
        windowsAgree(m, ids(1, 50, 2), null, AttentionPattern.CAUSAL, 5, T, "LLaDA causal");
    }

    @Test void dreamWithBiasesAndTheShift(@TempDir Path tmp) throws Exception {
        DreamCheckpoints.write(tmp, DreamCheckpoints.TINY, true, 41);
        try (Checkpoint ckpt = Checkpoint.open(tmp)) {
            Transformer raw = Transformer.fromWeights(ckpt.config(), ckpt.tensors(), false);
            windowsAgree(raw, ids(2, 60, 3), padded(), AttentionPattern.BIDIRECTIONAL, 6, 10, "Dream");
            // the shifted view reads row t's logits from t−1: a window starting at 6 must run position 5 too
            CachingDenoiser shifted = (CachingDenoiser) LogitShift.apply(raw);
            assertThat(shifted.caching()).isTrue();
            windowsAgree(shifted, ids(2, 60, 4), padded(), AttentionPattern.BIDIRECTIONAL, 6, 10, "Dream shifted");
        }
    }

    @Test void finishedBlocksOfLlada2AreExactWhateverComesLater(@TempDir Path tmp) throws Exception {
        Llada2Checkpoints.write(tmp, Llada2Checkpoints.TINY, true, 42);
        try (Checkpoint ckpt = Checkpoint.open(tmp)) {
            Transformer m = Transformer.fromWeights(ckpt.config(), ckpt.tensors(), false);
            AttentionPattern bc = AttentionPattern.blockCausal(4);
            windowsAgree(m, ids(2, 60, 5), padded(), bc, 4, 8, "LLaDA 2 block-causal");
            // the cache learns blocks 0-1 from a canvas whose later positions are different, then block 2 runs alone
            int[] early = ids(2, 60, 6), now = early.clone();
            for (int j = 0; j < 2; j++) for (int t = 8; t < T; t++) now[j * T + t] = 3 + (t * 7 + j) % 50;
            KvCache cache = m.newCache(T);
            int[] slots = {0, 1};
            m.logits(cache, slots, early, 2, T, padded(), bc, 0, 8, rows(2, 0, 8));
            int[] block2 = rows(2, 8, T);
            assertSameLogits(m.logits(cache, slots, now, 2, T, padded(), bc, 8, T, block2),
                    m.logits(now, 2, T, padded(), block2, bc), "block 2 over the cached blocks 0-1");
        }
    }

    @Test void aStaleCacheIsWhatTheApproximationReads() {
        // the bidirectional cache is Fast-dLLM's approximation: keys computed before a change stay as they were
        ModelConfig c = new ModelConfig(32, 2, 4, 2, 40, 50, 50, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Transformer m = Transformer.randomInit(c, 4);
        int[] before = ids(1, 50, 7), after = before.clone();
        after[1] = after[1] == 10 ? 11 : 10;
        KvCache cache = m.newCache(T);
        m.logits(cache, new int[]{0}, before, 1, T, null, AttentionPattern.BIDIRECTIONAL, 0, T, new int[]{0});
        int[] rows = rows(1, 6, T);
        float[] cached = m.logits(cache, new int[]{0}, after, 1, T, null, AttentionPattern.BIDIRECTIONAL, 6, T, rows);
        assertThat(cached).isNotEqualTo(m.logits(after, 1, T, null, rows, AttentionPattern.BIDIRECTIONAL));
        assertSameLogits(cached, m.logits(before, 1, T, null, rows, AttentionPattern.BIDIRECTIONAL), "the window sees the cached tokens");
    }

    @Test void rowsOutsideTheWindowAreRefused() {
        ModelConfig c = new ModelConfig(32, 2, 4, 2, 40, 50, 50, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Transformer m = Transformer.randomInit(c, 5);
        KvCache cache = m.newCache(T);
        assertThatThrownBy(() -> m.logits(cache, new int[]{0}, ids(1, 50, 8), 1, T, null, AttentionPattern.BIDIRECTIONAL, 4, 8, new int[]{3}))
                .hasMessageContaining("outside the window 4..7 (4 positions)");
        assertThatThrownBy(() -> m.logits(cache, new int[]{0}, ids(1, 50, 8), 1, T, null, AttentionPattern.BIDIRECTIONAL, new int[]{4, 9, 6}, new int[]{4}))
                .hasMessageContaining("window positions must ascend within 0..11, got 6 at index 2");
        assertThatThrownBy(() -> m.logits(m.newCache(T + 1), new int[]{0}, ids(1, 50, 8), 1, T, null, AttentionPattern.BIDIRECTIONAL, 4, 8, new int[]{5}))
                .hasMessageContaining("the cache holds sequences of 13 positions");
    }
}
