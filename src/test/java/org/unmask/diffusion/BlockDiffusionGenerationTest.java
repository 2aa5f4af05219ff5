package org.unmask.diffusion;

import org.junit.jupiter.api.Test;
import org.unmask.model.CachingDenoiser;
import org.unmask.model.GenerationDefaults;
import org.unmask.model.LogitShift;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Generation from block-diffusion checkpoints ({@code block_size} in config.json): block by block with the exact KV
 * cache of finished blocks, the same tokens as the uncached recomputation, and any length (stopping at EOS).
 */
class BlockDiffusionGenerationTest {
    static final int MASK = 2, EOS = 0;

    private static Transformer model(int blockSize, boolean shift, long seed) {
        ModelConfig c = new ModelConfig(32, 2, 4, 2, 40, 50, 50, 96, 10000.0, 1e-5, false, MASK, EOS, EOS, 1)
                .withLogitShift(shift).withBlockSize(blockSize);
        return Transformer.randomInit(c, seed);
    }

    /** The model's own defaults: what generate, chat and serve build for it. */
    private static SamplerConfig.Builder settings(ModelConfig c, int genLength) {
        return SamplerConfig.builder().genLength(genLength).defaults(GenerationDefaults.of(c)).specialIds(MASK, EOS, -1);
    }

    @Test
    void theModelsDefaultsDecodeItsOwnBlocksWithTheExactCache() {
        ModelConfig c = model(4, false, 1).config();
        SamplerConfig s = settings(c, 13).build();
        assertThat(s.blockCausal()).isTrue();
        assertThat(s.blockLength()).isEqualTo(4);
        assertThat(s.stepsPerBlock()).isEqualTo(4);
        assertThat(s.cache()).isEqualTo(CacheMode.DUAL);
    }

    @Test
    void cachedGenerationGivesExactlyTheTokensOfTheUncachedRecomputation() {
        List<int[]> prompts = List.of(new int[]{5, 6, 7, 8, 9, 10}, new int[]{11, 12, 13});
        for (boolean shift : new boolean[]{false, true}) {
            Transformer raw = model(4, shift, 7);
            CachingDenoiser m = (CachingDenoiser) LogitShift.apply(raw);
            for (SamplerConfig c : List.of(settings(raw.config(), 13).build(), settings(raw.config(), 10).threshold(0.2).build(),
                    settings(raw.config(), 9).steps(2).build())) {
                CachedStepModelTest.Windows w = new CachedStepModelTest.Windows(m);
                int[][] cached = CachedStepModelTest.generate(w, c, prompts);
                int[][] uncached = CachedStepModelTest.generate(m, c.toBuilder().cache(CacheMode.NONE).build(), prompts);
                assertThat(cached).as("shift %s, %s", shift, c).isDeepEqualTo(uncached);
                for (int[] row : cached) for (int t : row) assertThat(t).isNotEqualTo(MASK);
                // after the first step no pass reaches back before the previous block (whose last tokens need their keys
                // once), plus with the shift the position before it: finished blocks are reused
                for (int i = 1; i < w.windows.size(); i++)
                    assertThat(w.windows.get(i)[1] - w.windows.get(i)[0]).as("window %d", i).isLessThanOrEqualTo(shift ? 9 : 8);
            }
        }
    }

    @Test
    void anyLengthGenerationStopsAtEndOfTextWithoutDecodingFurtherBlocks() {
        // EOS wins from the 7th position after the prompt: a short answer on a canvas of up to 64 tokens
        ModelConfig c = FakeDenoiser.config(16, 4096).withBlockSize(4);
        FakeDenoiser m = new FakeDenoiser(c, 57, 7, 4f);
        int[] prompt = {3, 4, 5, 6, 7};
        SamplerConfig upTo64 = SamplerConfig.builder().genLength(64).defaults(GenerationDefaults.of(c)).specialIds(MASK, EOS, -1)
                .earlyStop(true).build();
        SampleResult early = new Sampler(m, upTo64).generate(prompt);
        SampleResult full = new Sampler(m, upTo64.toBuilder().earlyStop(false).build()).generate(prompt);
        int[] out = early.generated(0);
        int end = 0;
        while (out[end] != EOS) end++;
        assertThat(end).isPositive().isLessThan(8);
        for (int t = end; t < out.length; t++) assertThat(out[t]).isEqualTo(EOS);
        // the answer is what the whole canvas would decode (later blocks are invisible to earlier ones) ...
        assertThat(java.util.Arrays.copyOf(out, end + 1)).containsExactly(java.util.Arrays.copyOf(full.generated(0), end + 1));
        // ... for the passes of the blocks up to the end of text only: 4 steps per block, prompt block included
        int blocksUsed = Math.ceilDiv(prompt.length + end + 1, 4);
        assertThat(early.forwardPasses()).isLessThanOrEqualTo(4 * blocksUsed).isLessThan(full.forwardPasses() / 4);
    }

    @Test
    void otherBlockShapesAreRejectedWithTheSettingNamed() {
        ModelConfig c = model(4, false, 1).config();
        Transformer m = model(4, false, 1);
        assertThatThrownBy(() -> new Sampler(m, settings(c, 16).blockLength(8).build()))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("block_size 4");
        assertThatThrownBy(() -> new Sampler(m, settings(c, 16).blockCausal(false).blockLength(16).build()))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("block_size 4");
    }
}
