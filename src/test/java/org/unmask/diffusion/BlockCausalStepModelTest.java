package org.unmask.diffusion;

import org.junit.jupiter.api.Test;
import org.unmask.model.Denoiser;
import org.unmask.model.Transformer;
import org.unmask.model.ModelConfig;
import org.unmask.model.kernels.AttentionPattern;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The step model under LLaDA 2.x's block-causal pattern: a block's logits never depend on what comes after it. */
class BlockCausalStepModelTest {
    static final int MASK = 2, B = 4;

    /** Two left-padded rows of 16 positions; row 1 is padded by one block, as the block-aligned layout pads. */
    static int[] canvas(int after) {
        int[] ids = new int[32];
        for (int t = 0; t < 16; t++) ids[t] = t < 10 ? 3 + t % 11 : MASK;
        for (int t = 0; t < 16; t++) ids[16 + t] = t < 4 ? 0 : t < 11 ? 4 + t % 9 : MASK;
        // everything after position 8 (the end of block 1) is rewritten
        for (int t = 8; t < 16; t++) { ids[t] = (after + t) % 14 + 3; ids[16 + t] = (after * 3 + t) % 14 + 3; }
        return ids;
    }

    static boolean[] attend() {
        boolean[] a = new boolean[32];
        for (int t = 0; t < 16; t++) { a[t] = true; a[16 + t] = t >= 4; }
        return a;
    }

    static final int[] ROWS = {4, 5, 6, 7, 16 + 4, 16 + 6, 16 + 7};   // positions in block 1 of both rows

    float[] blockLogits(Denoiser d, int after, AttentionPattern pattern) {
        Canvas c = new Canvas(canvas(after), 2, 16, attend(), pattern);
        return new DenoiserStepModel(d).logits(c, new int[]{0, 1}, ROWS, new int[2][], new Block(0, 4, 8));
    }

    @Test
    void laterTokensDoNotChangeTheCurrentBlocksLogits() {
        ModelConfig lc = new ModelConfig(32, 2, 4, 2, 64, 24, 24, 64, 10000.0, 1e-5, false, MASK, 0, 0, 1);
        for (Denoiser d : List.of(new FakeDenoiser(16, 41), Transformer.randomInit(lc, 7))) {
            AttentionPattern bc = AttentionPattern.blockCausal(B);
            assertThat(blockLogits(d, 1, bc)).as("%s", d.getClass().getSimpleName()).containsExactly(blockLogits(d, 2, bc));
            // the bidirectional pattern does see them: the test would notice a pattern that is dropped on the way
            assertThat(blockLogits(d, 1, AttentionPattern.BIDIRECTIONAL)).isNotEqualTo(blockLogits(d, 2, AttentionPattern.BIDIRECTIONAL));
        }
    }

    @Test
    void theForwardStopsAtTheBlockEndAndGivesTheFullForwardsLogits() {
        ModelConfig lc = new ModelConfig(32, 2, 4, 2, 64, 24, 24, 64, 10000.0, 1e-5, false, MASK, 0, 0, 1);
        Transformer m = Transformer.randomInit(lc, 8);
        List<Integer> lengths = new ArrayList<>();
        Denoiser seen = new Denoiser() {
            @Override public ModelConfig config() { return m.config(); }
            @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) { throw new AssertionError(); }
            @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows, AttentionPattern p) {
                lengths.add(seqLen);
                return m.logits(ids, batch, seqLen, attend, rows, p);
            }
        };
        AttentionPattern bc = AttentionPattern.blockCausal(B);
        float[] cut = blockLogits(seen, 1, bc);
        assertThat(lengths).containsExactly(8);
        float[] full = m.logits(canvas(1), 2, 16, attend(), ROWS, bc);
        assertThat(cut).hasSameSizeAs(full);
        for (int i = 0; i < full.length; i++) assertThat(cut[i]).isCloseTo(full[i], org.assertj.core.data.Offset.offset(1e-4f));
        // a block end that is not a pattern boundary would let earlier positions see later ones: no cut then
        lengths.clear();
        new DenoiserStepModel(seen).logits(new Canvas(canvas(1), 2, 16, attend(), bc), new int[]{0, 1}, new int[]{4},
                new int[2][], new Block(0, 4, 10));
        assertThat(lengths).containsExactly(16);
    }
}
