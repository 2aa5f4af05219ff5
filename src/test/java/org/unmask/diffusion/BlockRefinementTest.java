package org.unmask.diffusion;

import org.junit.jupiter.api.Test;
import org.unmask.model.Denoiser;
import org.unmask.model.Transformer;
import org.unmask.model.ModelConfig;
import org.unmask.model.kernels.AttentionPattern;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** LLaDA 2.x generation (block-aligned canvas, block-causal attention, {@link BlockRefinement}) against the reference. */
class BlockRefinementTest {
    static final int V = 16, MASK = SamplerTest.MASK, B = 4;

    static SamplerConfig.Builder cfg(int gen, int steps, int block) {
        return SamplerTest.cfg(gen, steps, block).blockCausal(true);
    }

    static int[] prompt(int length, int salt) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) p[i] = 3 + (i * 5 + salt) % 12;
        return p;
    }

    @Test
    void llada20MatchesThePlainReference() {
        FakeDenoiser m = new FakeDenoiser(V, 51);
        Llada2Reference ref = new Llada2Reference(m, MASK, B);
        int runs = 0;
        // prompts that fill whole blocks and ones whose last block the generation starts in; gen lengths below, at
        // and beyond a block, not multiples of it; steps dividing the block, not dividing it, and more than it
        for (int p : new int[]{4, 5, 7, 8}) for (int gen : new int[]{2, 4, 9, 12}) for (int steps : new int[]{1, 2, 3, 4, 6})
            for (double threshold : new double[]{Double.NaN, 0.2, 0.3, 0.5}) {
                int[] prompt = prompt(p, gen + steps);
                int before = ref.forwards;
                int[] expected = ref.generate20(prompt, gen, steps, threshold);
                SampleResult r = new Sampler(m, cfg(gen, steps, B).threshold(Double.isNaN(threshold) ? 0 : threshold).build())
                        .generate(prompt);
                String what = "p=" + p + " gen=" + gen + " steps=" + steps + " threshold=" + threshold;
                assertThat(r.generated(0)).as(what).containsExactly(expected);
                assertThat(r.forwardPasses()).as(what).isEqualTo(ref.forwards - before);
                runs++;
            }
        assertThat(runs).isEqualTo(320);
        // both branches of the rule were taken: enough above the threshold, and the top-k fallback
        assertThat(ref.thresholdSteps).isGreaterThan(50);
        assertThat(ref.topkSteps).isGreaterThan(50);
    }

    @Test
    void llada21EditingMatchesThePlainReference() {
        FakeDenoiser m = new FakeDenoiser(V, 52);
        Llada2Reference ref = new Llada2Reference(m, MASK, B);
        // 2.1 commits a constant num_to_transfer per step; B/num_to_transfer steps give the same counts (while the
        // cap of the steps at the gen length does not bite)
        for (int numToTransfer : new int[]{1, 2}) for (int p : new int[]{3, 4, 6}) for (int gen : new int[]{5, 8, 10})
            for (double threshold : new double[]{0.25, 0.5}) for (double editing : new double[]{0.15, 0.25, 0.4})
                for (int post : new int[]{0, 1, 3, 16}) {
                    int[] prompt = prompt(p, gen + post);
                    int before = ref.forwards;
                    int[] expected = ref.generate21(prompt, gen, numToTransfer, threshold, editing, post);
                    SampleResult r = new Sampler(m, cfg(gen, B / numToTransfer, B).threshold(threshold)
                            .editing(new EditingConfig(editing, post)).build()).generate(prompt);
                    String what = "n=" + numToTransfer + " p=" + p + " gen=" + gen + " threshold=" + threshold
                            + " editing=" + editing + " post=" + post;
                    assertThat(r.generated(0)).as(what).containsExactly(expected);
                    assertThat(r.forwardPasses()).as(what).isEqualTo(ref.forwards - before);
                }
        // the grid replaced tokens, ran blocks into the post-step budget and ended others early
        assertThat(ref.edits).isGreaterThan(100);
        assertThat(ref.blocksEndedByBudget).isGreaterThan(20);
        assertThat(ref.blocksEndedSettled).isGreaterThan(20);
    }

    /**
     * A model that is sure of everything: a mask at relative position r becomes 3 + r % 7, and a token is predicted
     * to become the next one in 3..12 (so every revealed token is edited at every pass); confidence ≈ 1.
     */
    static final class Flipping implements Denoiser {
        final boolean flips;
        Flipping(boolean flips) { this.flips = flips; }
        @Override public ModelConfig config() { return FakeDenoiser.config(V, 4096); }
        @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) { throw new AssertionError(); }
        @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows, AttentionPattern pattern) {
            float[] out = new float[rows.length * V];
            for (int i = 0; i < rows.length; i++) {
                int b = rows[i] / seqLen, f = 0;
                while (attend != null && !attend[b * seqLen + f]) f++;
                int token = ids[rows[i]], r = rows[i] % seqLen - f;
                out[i * V + (token == MASK || !flips ? 3 + r % 7 : 3 + (token - 3 + 1) % 10)] = 25;
            }
            return out;
        }
    }

    @Test
    void editingReplacesRevealedTokensAndRunsTheWholePostStepBudget() {
        int[] prompt = {1, 7, 9, 12, 4, 8};   // the first block holds two prompt tokens, which must never be edited
        for (int post : new int[]{0, 1, 5}) {
            SampleResult[] r = new SampleResult[1];
            List<StepEvent> ev = SamplerTest.record(new Sampler(new Flipping(true),
                    cfg(6, B, B).threshold(0.5).editing(new EditingConfig(0.9, post)).build()), List.of(prompt), r);
            // 2 blocks (positions 4..7 and 8..11); each commits its masks in one pass, then flips every revealed
            // token in each of its post passes
            assertThat(r[0].forwardPasses()).isEqualTo(2 * (1 + post));
            int[] expected = new int[6];
            for (int t = 6; t < 12; t++) expected[t - 6] = 3 + (t % 7 + post) % 10;   // post flips of 3 + t % 7
            assertThat(r[0].generated(0)).as("post %d", post).containsExactly(expected);
            assertThat(Arrays.copyOf(r[0].sequences()[0], 6)).containsExactly(prompt);
            if (post > 0) {
                // the second pass of block 0 replaces both of its revealed tokens (reported as commits there)
                StepEvent.RowStep second = ev.get(1).rows().getFirst();
                assertThat(second.positions()).containsExactly(6, 7);
                assertThat(ev.get(0).rows().getFirst().canvas()[6]).isNotEqualTo(second.tokens()[0]);
            }
        }
    }

    @Test
    void editingEndsABlockAtTheFirstPassThatChangesNothing() {
        int[] prompt = {1, 7, 9, 12, 4};
        SampleResult stable = new Sampler(new Flipping(false), cfg(12, B, B).threshold(0.5)
                .editing(new EditingConfig(0.9, 16)).build()).generate(prompt);
        // 4 blocks (4..7 with 3 masks, 8..11, 12..15, 16..19 with 3 alignment masks): one pass reveals each, one more
        // confirms nothing changes
        assertThat(stable.forwardPasses()).isEqualTo(8);
        SampleResult without = new Sampler(new Flipping(false), cfg(12, B, B).threshold(0.5).build()).generate(prompt);
        assertThat(without.forwardPasses()).isEqualTo(4);
        assertThat(stable.generated(0)).containsExactly(without.generated(0)).hasSize(12);
    }

    @Test
    void batchedRowsWithDifferentPromptLengthsEqualSinglePromptRuns() {
        FakeDenoiser m = new FakeDenoiser(V, 53);
        // prompts ending at every offset inside a block, so every row has its own block alignment and padding
        List<int[]> prompts = List.of(prompt(2, 1), prompt(9, 2), prompt(4, 3), prompt(7, 4), prompt(1, 5));
        for (SamplerConfig.Builder b : List.of(cfg(10, B, B), cfg(10, 2, B).threshold(0.3),
                cfg(10, B, B).threshold(0.3).editing(new EditingConfig(0.2, 4)),
                cfg(10, B, B).temperature(0.8).seed(3).editing(new EditingConfig(0.3, 16)),
                cfg(10, 3, B).remasking(Remasking.MASKGIT_PLUS).temperature(0.9).topP(0.8).seed(4).threshold(0.4),
                cfg(10, B, B).cfgScale(1.5).editing(new EditingConfig(0.25, 2)),
                cfg(10, B, B).earlyStop(true).editing(new EditingConfig(0.3, 3)))) {
            SamplerConfig c = b.build();
            SampleResult batched = new Sampler(m, c).generate(prompts, null);
            for (int j = 0; j < prompts.size(); j++) {
                SampleResult one = new Sampler(m, b.seed(c.seed() + j).build()).generate(prompts.get(j));
                assertThat(batched.sequences()[j]).as("row %d of %s", j, c).containsExactly(one.sequences()[0]);
                b.seed(c.seed());
            }
        }
    }

    @Test
    void changeListsStayExactWithEditsAndCallsAreBlockAligned() {
        FakeDenoiser m = new FakeDenoiser(V, 54);
        List<int[]> prompts = List.of(prompt(3, 1), prompt(8, 2), prompt(6, 3));
        int edits = 0;
        for (SamplerConfig c : List.of(cfg(9, B, B).threshold(0.3).editing(new EditingConfig(0.2, 3)).build(),
                cfg(9, B, B).temperature(1).seed(5).editing(new EditingConfig(0.3, 16)).cfgScale(0.5).build())) {
            StepModelTest.Run r = StepModelTest.run(m, c, prompts);
            StepModelTest.assertChangesAreExactDiffs(r.calls());
            for (RecordingStepModel.Call call : r.calls()) {
                assertThat(call.pattern()).isEqualTo(AttentionPattern.blockCausal(B));
                assertThat(call.block().start() % B).isZero();
                assertThat(call.block().end() - call.block().start()).isEqualTo(B);
                for (int flat : call.rows()) assertThat(flat % call.seqLen()).isBetween(call.block().start(), call.block().end() - 1);
            }
            // an edit is a commit at a position that already held a token
            for (int i = 1; i < r.events().size(); i++)
                for (StepEvent.RowStep row : r.events().get(i).rows()) {
                    int[] before = lastCanvas(r.events(), i, row.row());
                    for (int p : row.positions()) if (before != null && before[p] != MASK) edits++;
                }
        }
        assertThat(edits).isPositive();
    }

    private static int[] lastCanvas(List<StepEvent> events, int before, int row) {
        for (int i = before - 1; i >= 0; i--)
            for (StepEvent.RowStep r : events.get(i).rows()) if (r.row() == row) return r.canvas();
        return null;
    }

    @Test
    void eventsShowEachRowsOwnCanvasWithoutTheAlignmentMasks() {
        int[] prompt = prompt(5, 1);
        SampleResult[] r = new SampleResult[1];
        List<StepEvent> ev = SamplerTest.record(new Sampler(new FakeDenoiser(V, 55), cfg(6, 2, B).build()), List.of(prompt), r);
        // canvas 5 + 6 = 11 positions padded to 12: the mask at 11 is decoded with the last block but never shown
        assertThat(r[0].sequences()[0]).hasSize(11).doesNotContain(MASK);
        List<Integer> blocks = new ArrayList<>();
        for (StepEvent e : ev) {
            blocks.add(e.block());
            StepEvent.RowStep row = e.rows().getFirst();
            assertThat(row.canvas()).hasSize(11);
            for (int p : row.positions()) assertThat(p).isBetween(5, 10);
        }
        assertThat(blocks).containsExactly(0, 0, 1, 1);   // blocks 4..7 and 8..11, two steps each
    }

    @Test
    void earlyStopOnlySavesForwardPassesWhenTheModelEndsWithEos() {
        // EOS wins from relative offset 7 on: the answer is two tokens, then EOS to the end of the output
        FakeDenoiser m = new FakeDenoiser(FakeDenoiser.config(V, 4096), 57, 7, 4f);
        int[] prompt = prompt(5, 1);
        for (SamplerConfig.Builder b : List.of(cfg(14, B, B), cfg(14, B, B).threshold(0.3).editing(new EditingConfig(0.3, 4)))) {
            SampleResult full = new Sampler(m, b.build()).generate(prompt);
            SampleResult early = new Sampler(m, b.earlyStop(true).build()).generate(prompt);
            assertThat(early.generated(0)).containsExactly(full.generated(0));
            assertThat(full.generated(0)[2]).isEqualTo(SamplerTest.EOS);
            assertThat(early.forwardPasses()).isLessThan(full.forwardPasses());
        }
    }

    @Test
    void aRealModelRunsBlockCausal() {
        ModelConfig lc = new ModelConfig(32, 2, 4, 2, 64, 24, 24, 64, 10000.0, 1e-5, false, MASK, 0, 0, 1);
        Transformer m = Transformer.randomInit(lc, 9);
        SampleResult r = new Sampler(m, cfg(10, B, B).threshold(0.1).editing(new EditingConfig(0.1, 2)).build())
                .generate(List.of(prompt(5, 1), prompt(2, 2)), null);
        for (int j = 0; j < 2; j++) assertThat(r.generated(j)).hasSize(10).doesNotContain(MASK);
    }

    @Test
    void masksInsideThePromptAreRejected() {
        assertThatThrownBy(() -> new Sampler(new FakeDenoiser(V, 56), cfg(4, B, B).build()).generate(new int[]{1, MASK, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mask id");
    }
}
