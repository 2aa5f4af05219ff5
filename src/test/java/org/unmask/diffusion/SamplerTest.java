package org.unmask.diffusion;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerTest {
    static final int V = 16, MASK = 2, EOS = 0, EOT = 5;
    final int[] prompt = {1, 7, 9, 12, 4};

    static SamplerConfig.Builder cfg(int gen, int steps, int block) {
        return SamplerConfig.builder(gen, steps, block).specialIds(MASK, EOS, EOT);
    }

    static List<StepEvent> record(Sampler s, List<int[]> prompts, SampleResult[] out) {
        List<StepEvent> ev = new ArrayList<>();
        out[0] = s.generate(prompts, ev::add);
        return ev;
    }

    @Test
    void perStepCountsFollowTheBlockQuotasAndBlocksCompleteInOrder() {
        var model = new CountingDenoiser(new FakeDenoiser(V, 1));
        Sampler s = new Sampler(model, cfg(32, 12, 8).build());   // 4 blocks, 3 steps each, quotas [3,3,2]
        SampleResult[] r = new SampleResult[1];
        List<StepEvent> ev = record(s, List.of(prompt), r);
        assertThat(ev).hasSize(12);
        assertThat(model.forwards()).isEqualTo(12);
        assertThat(r[0].forwardPasses()).isEqualTo(12);
        int P = prompt.length;
        for (StepEvent e : ev) {
            int i = e.step() % 3;
            assertThat(e.block()).isEqualTo(e.step() / 3);
            assertThat(e.rows().getFirst().positions()).hasSize(i < 2 ? 3 : 2);
            int lo = P + 8 * e.block(), hi = lo + 8;
            for (int p : e.rows().getFirst().positions()) assertThat(p).isBetween(lo, hi - 1);
            int[] canvas = e.rows().getFirst().canvas();
            if (i == 2) {
                for (int t = 0; t < canvas.length; t++) {
                    if (t < hi) assertThat(canvas[t]).isNotEqualTo(MASK);
                    else assertThat(canvas[t]).isEqualTo(MASK);
                }
            }
        }
        assertThat(Arrays.copyOf(r[0].sequences()[0], P)).containsExactly(prompt);
        assertThat(r[0].generated(0)).doesNotContain(MASK).hasSize(32);
    }

    @Test
    void oneTokenPerStepWhenStepsEqualGenLength() {
        Sampler s = new Sampler(new FakeDenoiser(V, 2), cfg(16, 16, 16).build());
        SampleResult[] r = new SampleResult[1];
        for (StepEvent e : record(s, List.of(prompt), r)) assertThat(e.rows().getFirst().positions()).hasSize(1);
    }

    @Test
    void promptNeverChangesAndRevealedTokensNeverChange() {
        for (Remasking rm : Remasking.values()) {
            for (double temp : new double[]{0, 0.8}) {
                Sampler s = new Sampler(new FakeDenoiser(V, 3), cfg(24, 12, 8).remasking(rm).temperature(temp).seed(5).build());
                SampleResult[] r = new SampleResult[1];
                List<StepEvent> ev = record(s, List.of(prompt), r);
                int[] prev = null;
                for (StepEvent e : ev) {
                    int[] c = e.rows().getFirst().canvas();
                    assertThat(Arrays.copyOf(c, prompt.length)).containsExactly(prompt);
                    if (prev != null)
                        for (int t = 0; t < c.length; t++) if (prev[t] != MASK) assertThat(c[t]).isEqualTo(prev[t]);
                    prev = c;
                }
                assertThat(r[0].generated(0)).as(rm + " T=" + temp).doesNotContain(MASK);
            }
        }
    }

    @Test
    void asksTheModelOnlyForMaskedRowsBeforeTheBlockEnd() {
        var model = new CountingDenoiser(new FakeDenoiser(V, 4));
        new Sampler(model, cfg(16, 8, 8).build()).generate(prompt);
        // block 0: 8 masks, 4 steps of 2 → 8, 6, 4, 2 rows; block 1 the same
        assertThat(model.calls.stream().mapToInt(c -> c[1]).toArray()).containsExactly(8, 6, 4, 2, 8, 6, 4, 2);
    }

    @Test
    void zeroQuotaStepsStillCostAForwardPass() {
        var model = new CountingDenoiser(new FakeDenoiser(V, 4));
        SampleResult r = new Sampler(model, cfg(5, 8, 5).build()).generate(prompt);
        assertThat(model.forwards()).isEqualTo(8);
        assertThat(r.steps()).isEqualTo(8);
        assertThat(r.generated(0)).doesNotContain(MASK);
    }

    @Test
    void guidanceDoublesTheRowsAndZeroScaleIsIdenticalToNoGuidance() {
        var plain = new CountingDenoiser(new FakeDenoiser(V, 6));
        var guided = new CountingDenoiser(new FakeDenoiser(V, 6));
        SampleResult a = new Sampler(plain, cfg(16, 8, 8).build()).generate(prompt);
        SampleResult b = new Sampler(guided, cfg(16, 8, 8).cfgScale(1.5).build()).generate(prompt);
        assertThat(guided.forwards()).isEqualTo(plain.forwards()).isEqualTo(8);
        for (int i = 0; i < 8; i++) {
            assertThat(guided.calls.get(i)[0]).isEqualTo(2 * plain.calls.get(i)[0]);
            assertThat(guided.calls.get(i)[1]).isEqualTo(2 * plain.calls.get(i)[1]);
        }
        SampleResult c = new Sampler(new FakeDenoiser(V, 6), cfg(16, 8, 8).cfgScale(0).build()).generate(prompt);
        assertThat(c.sequences()).isDeepEqualTo(a.sequences());
        assertThat(b.sequences()[0]).isNotEqualTo(a.sequences()[0]);
    }

    @Test
    void guidedLogitsCombineConditionalAndUnconditional() {
        FakeDenoiser m = new FakeDenoiser(V, 8);
        int[] ids = {1, 7, 9, 2, 2, 11};
        int[] rows = {3, 4};
        float[] g = Guidance.logits(m, ids, 1, 6, null, rows, 2.0, 3, MASK);
        float[] c = m.logits(ids, 1, 6, null, rows);
        float[] u = m.logits(new int[]{2, 2, 2, 2, 2, 11}, 1, 6, null, rows);
        for (int i = 0; i < g.length; i++) assertThat(g[i]).isEqualTo(u[i] + 3f * (c[i] - u[i]));
        assertThat(Guidance.logits(m, ids, 1, 6, null, rows, 0, 3, MASK)).containsExactly(c);
    }

    @Test
    void temperatureZeroIsDeterministicAndSeedsControlSampling() {
        FakeDenoiser m = new FakeDenoiser(V, 9);
        SamplerConfig greedy = cfg(16, 16, 8).build();
        assertThat(new Sampler(m, greedy).generate(prompt).sequences())
                .isDeepEqualTo(new Sampler(m, greedy).generate(prompt).sequences());
        SampleResult a = new Sampler(m, cfg(32, 32, 8).temperature(1).seed(1).build()).generate(prompt);
        SampleResult b = new Sampler(m, cfg(32, 32, 8).temperature(1).seed(1).build()).generate(prompt);
        SampleResult c = new Sampler(m, cfg(32, 32, 8).temperature(1).seed(2).build()).generate(prompt);
        assertThat(a.sequences()).isDeepEqualTo(b.sequences());
        assertThat(a.sequences()[0]).isNotEqualTo(c.sequences()[0]);
    }

    @Test
    void batchedLeftPaddedRowsEqualSinglePromptRuns() {
        FakeDenoiser m = new FakeDenoiser(V, 10);
        List<int[]> prompts = List.of(new int[]{1, 4}, new int[]{1, 7, 9, 12, 4, 8, 3}, new int[]{1, 6, 6, 14});
        for (SamplerConfig.Builder b : List.of(cfg(16, 8, 8), cfg(16, 16, 4).temperature(0.7).seed(3),
                cfg(16, 8, 8).cfgScale(0.5), cfg(16, 8, 8).threshold(0.2), cfg(16, 8, 16).remasking(Remasking.ENTROPY),
                cfg(16, 8, 8).remasking(Remasking.RANDOM).seed(8), cfg(16, 16, 8).earlyStop(true),
                cfg(16, 8, 8).temperature(0.5).seed(2).remdm(new RemdmConfig(RemdmConfig.Schedule.CONF, 0.5, 1)),
                cfg(16, 8, 16).remasking(Remasking.ORIGIN).temperature(1).seed(6),
                cfg(16, 8, 8).temperature(0.5).seed(4).remdm(new RemdmConfig(RemdmConfig.Schedule.CAP, 0.4, 0.5, true)))) {
            SamplerConfig c = b.build();
            var counting = new CountingDenoiser(m);
            SampleResult batched = new Sampler(counting, c).generate(prompts, null);
            for (int j = 0; j < prompts.size(); j++) {
                SamplerConfig single = b.seed(c.seed() + j).build();
                SampleResult one = new Sampler(m, single).generate(prompts.get(j));
                assertThat(batched.sequences()[j]).as("row %d of %s", j, c).containsExactly(one.sequences()[0]);
                b.seed(c.seed());
            }
        }
    }

    @Test
    void logitsEosInfNeverProducesEos() {
        FakeDenoiser m = new FakeDenoiser(FakeDenoiser.config(V, 4096), 11, 8, 4f);   // EOS strongly preferred from offset 8
        SampleResult plain = new Sampler(m, cfg(32, 32, 8).build()).generate(prompt);
        assertThat(plain.generated(0)).contains(EOS);
        SampleResult banned = new Sampler(m, cfg(32, 32, 8).logitsEosInf(true).build()).generate(prompt);
        assertThat(banned.generated(0)).doesNotContain(EOS, MASK);
    }

    @Test
    void confidenceEosEotInfGivesEosAndEotPicksZeroConfidence() {
        FakeDenoiser m = new FakeDenoiser(FakeDenoiser.config(V, 4096), 11, 8, 4f);
        SampleResult[] r = new SampleResult[1];
        List<StepEvent> ev = record(new Sampler(m, cfg(32, 32, 32).confidenceEosEotInf(true).build()), List.of(prompt), r);
        int eosPicks = 0;
        int firstEosStep = Integer.MAX_VALUE, lastOtherStep = -1;
        for (StepEvent e : ev) {
            var row = e.rows().getFirst();
            for (int i = 0; i < row.tokens().length; i++) {
                if (row.tokens()[i] == EOS || row.tokens()[i] == EOT) {
                    assertThat(row.confidences()[i]).isZero();
                    eosPicks++;
                    firstEosStep = Math.min(firstEosStep, e.step());
                } else {
                    assertThat(row.confidences()[i]).isPositive();
                    lastOtherStep = e.step();
                }
            }
        }
        assertThat(eosPicks).isPositive();
        assertThat(lastOtherStep).isLessThan(firstEosStep);   // with one token per step, zero-confidence picks come last
    }

    @Test
    void thresholdDecodingCommitsAtLeastOnePerStepAndFinishesEachBlock() {
        FakeDenoiser m = new FakeDenoiser(FakeDenoiser.config(V, 4096), 12, Integer.MAX_VALUE, 8f);
        var counting = new CountingDenoiser(m);
        SampleResult[] r = new SampleResult[1];
        double tau = 0.5;
        List<StepEvent> ev = record(new Sampler(counting, cfg(32, 32, 8).threshold(tau).build()), List.of(prompt), r);
        int prevBlock = -1;
        for (StepEvent e : ev) {
            var row = e.rows().getFirst();
            assertThat(row.positions()).isNotEmpty();
            for (int i = 1; i < row.confidences().length; i++) assertThat(row.confidences()[i]).isGreaterThanOrEqualTo(tau);
            if (e.block() != prevBlock && prevBlock >= 0) {
                int hi = prompt.length + 8 * (prevBlock + 1);
                for (int t = prompt.length; t < hi; t++) assertThat(r[0].sequences()[0][t]).isNotEqualTo(MASK);
            }
            prevBlock = e.block();
        }
        assertThat(r[0].generated(0)).doesNotContain(MASK);
        assertThat(counting.forwards()).isEqualTo(ev.size()).isLessThan(32);
    }

    @Test
    void factorDecodingCommitsAPrefixSatisfyingTheBound() {
        FakeDenoiser m = new FakeDenoiser(FakeDenoiser.config(V, 4096), 13, Integer.MAX_VALUE, 8f);
        SampleResult[] r = new SampleResult[1];
        List<StepEvent> ev = record(new Sampler(m, cfg(32, 32, 8).factor(1.0).build()), List.of(prompt), r);
        for (StepEvent e : ev) {
            double[] c = e.rows().getFirst().confidences();
            assertThat(c).isNotEmpty();
            for (int n = 2; n <= c.length; n++) assertThat((n + 1) * (1 - c[n - 1])).isLessThan(1.0);
        }
        assertThat(r[0].generated(0)).doesNotContain(MASK);
    }

    @Test
    void earlyStopSavesForwardPassesWithoutChangingTheText() {
        // EOS is strongly preferred from relative offset 12 on, and penalised before it.
        FakeDenoiser m = new FakeDenoiser(FakeDenoiser.config(V, 4096), 14, prompt.length + 7, 4f);
        var full = new CountingDenoiser(m);
        var early = new CountingDenoiser(m);
        SampleResult a = new Sampler(full, cfg(64, 64, 8).build()).generate(prompt);
        SampleResult b = new Sampler(early, cfg(64, 64, 8).earlyStop(true).build()).generate(prompt);
        assertThat(full.forwards()).isEqualTo(64);
        assertThat(early.forwards()).isLessThan(32);
        assertThat(b.sequences()).isDeepEqualTo(a.sequences());
        // in a batch, each row settles on its own and still matches its single-prompt run
        List<int[]> two = List.of(prompt, new int[]{1, 3});
        var batchEarly = new CountingDenoiser(m);
        SampleResult both = new Sampler(batchEarly, cfg(64, 64, 8).earlyStop(true).build()).generate(two, null);
        assertThat(both.sequences()[0]).containsExactly(a.sequences()[0]);
        assertThat(both.sequences()[1]).containsExactly(new Sampler(m, cfg(64, 64, 8).build()).generate(two.get(1)).sequences()[0]);
        assertThat(batchEarly.forwards()).isLessThan(32);
        var thr = new CountingDenoiser(m);
        var thrEarly = new CountingDenoiser(m);
        SampleResult c = new Sampler(thr, cfg(64, 64, 8).threshold(0.9).build()).generate(prompt);
        SampleResult d = new Sampler(thrEarly, cfg(64, 64, 8).threshold(0.9).earlyStop(true).build()).generate(prompt);
        assertThat(d.sequences()).isDeepEqualTo(c.sequences());
        assertThat(thrEarly.forwards()).isLessThan(thr.forwards());
    }

    @Test
    void dreamAlgorithmsFillTheCanvasAndOriginWithOneStepCommitsAll() {
        FakeDenoiser m = new FakeDenoiser(V, 15);
        for (Remasking rm : List.of(Remasking.MASKGIT_PLUS, Remasking.TOPK_MARGIN, Remasking.ENTROPY, Remasking.ORIGIN)) {
            SampleResult r = new Sampler(m, cfg(24, 12, 24).remasking(rm).temperature(0.5).topP(0.9).topK(8)
                    .algTemp(rm == Remasking.ORIGIN ? 0 : 0.3).seed(4).build()).generate(prompt);
            assertThat(r.generated(0)).as(rm.cliName()).doesNotContain(MASK);
        }
        SampleResult[] r = new SampleResult[1];
        List<StepEvent> ev = record(new Sampler(m, cfg(24, 1, 24).remasking(Remasking.ORIGIN).build()), List.of(prompt), r);
        assertThat(ev).hasSize(1);
        assertThat(ev.getFirst().rows().getFirst().positions()).hasSize(24);
    }

    @Test
    void dreamCountsPerStepFollowTheTimestepSchedule() {
        FakeDenoiser m = new FakeDenoiser(V, 16);
        SampleResult[] r = new SampleResult[1];
        List<StepEvent> ev = record(new Sampler(m, cfg(256, 128, 256).remasking(Remasking.MASKGIT_PLUS).build()),
                List.of(prompt), r);
        assertThat(ev.get(0).rows().getFirst().positions()).hasSize(1);
        for (int i = 1; i < 127; i++) assertThat(ev.get(i).rows().getFirst().positions()).hasSize(2);
        assertThat(ev.get(127).rows().getFirst().positions()).hasSize(3);
    }

    @Test
    void remdmRemasksRevealedTokensAndStillFinishesEachBlock() {
        FakeDenoiser m = new FakeDenoiser(V, 17);
        for (RemdmConfig.Schedule sch : RemdmConfig.Schedule.values()) {
            SampleResult[] r = new SampleResult[1];
            List<StepEvent> ev = record(new Sampler(m, cfg(32, 32, 16).temperature(1).seed(3)
                    .remdm(new RemdmConfig(sch, 1.0, 1.0)).build()), List.of(prompt), r);
            int remasked = 0;
            for (StepEvent e : ev) {
                var row = e.rows().getFirst();
                remasked += row.remasked().length;
                for (int p : row.remasked()) assertThat(p).isGreaterThanOrEqualTo(prompt.length);
                for (int p : row.remasked()) assertThat(row.canvas()[p]).isEqualTo(MASK);
            }
            assertThat(remasked).as(sch.name()).isPositive();
            assertThat(r[0].generated(0)).doesNotContain(MASK);
            assertThat(Arrays.copyOf(r[0].sequences()[0], prompt.length)).containsExactly(prompt);
        }
    }

    @Test
    void remdmLoopRevealsEachBlockFirstThenRemasksAndRepredicts() {
        var m = new CountingDenoiser(new FakeDenoiser(V, 19));
        SampleResult[] r = new SampleResult[1];
        // 2 blocks of 8 steps; the last half of each block's steps is the loop window
        List<StepEvent> ev = record(new Sampler(m, cfg(32, 16, 16).temperature(1).seed(2)
                .remdm(new RemdmConfig(RemdmConfig.Schedule.CONF, 0.3, 0.5, true)).build()), List.of(prompt), r);
        assertThat(m.forwards()).isEqualTo(16);
        int remasked = 0, changed = 0;
        int[] before = null;
        for (StepEvent e : ev) {
            var row = e.rows().getFirst();
            int i = e.step() % 8, lo = prompt.length + 16 * e.block(), hi = lo + 16;
            if (i < 4) {
                assertThat(row.remasked()).isEmpty();
                assertThat(row.positions()).hasSize(4);
            } else {
                assertThat(row.positions()).containsExactlyInAnyOrder(row.remasked());
                for (int t = lo; t < hi; t++) assertThat(row.canvas()[t]).isNotEqualTo(MASK);
                remasked += row.remasked().length;
                for (int p : row.remasked()) if (before[p] != row.canvas()[p]) changed++;
            }
            before = row.canvas();
        }
        assertThat(remasked).isPositive();
        assertThat(changed).isPositive();
        assertThat(r[0].generated(0)).doesNotContain(MASK);
        assertThatThrownBy(() -> cfg(32, 16, 16).remdm(new RemdmConfig(RemdmConfig.Schedule.CAP, 0.1, 1, true)).build())
                .hasMessageContaining("remdm_window");
    }

    @Test
    void infillingFillsMasksInsideThePrompt() {
        FakeDenoiser m = new FakeDenoiser(V, 18);
        int[] text = {1, 7, MASK, MASK, MASK, 9, 12, MASK, 4};
        SampleResult[] r = new SampleResult[1];
        List<StepEvent> ev = record(new Sampler(m, cfg(0, 4, 1).build()), List.of(text), r);
        assertThat(ev).hasSize(4);   // 4 masks over 4 steps: one per step
        int[] out = r[0].sequences()[0];
        assertThat(out).hasSize(text.length).doesNotContain(MASK);
        for (int i = 0; i < text.length; i++) if (text[i] != MASK) assertThat(out[i]).isEqualTo(text[i]);
        // prompt masks count in the first block's quota, so block 0 ends with none left
        SampleResult g = new Sampler(m, cfg(8, 4, 4).build()).generate(text);
        assertThat(g.sequences()[0]).doesNotContain(MASK);
    }

    @Test
    void rejectsInconsistentSettingsWithTheOptionName() {
        assertThatThrownBy(() -> cfg(30, 8, 8).build()).hasMessageContaining("block_length");
        assertThatThrownBy(() -> cfg(32, 6, 8).build()).hasMessageContaining("steps");
        assertThatThrownBy(() -> cfg(32, 8, 8).topP(0.9).build()).hasMessageContaining("top_p");
        assertThatThrownBy(() -> cfg(32, 8, 8).threshold(0.9).remasking(Remasking.RANDOM).build()).hasMessageContaining("threshold");
        assertThatThrownBy(() -> new Sampler(new FakeDenoiser(V, 1), cfg(0, 4, 1).build()).generate(prompt))
                .hasMessageContaining("nothing to generate");
        assertThatThrownBy(() -> new Sampler(new FakeDenoiser(V, 1), cfg(8, 4, 4).build()).generate(new int[]{1, 99}))
                .hasMessageContaining("outside the vocabulary");
    }
}
