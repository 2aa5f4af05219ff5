package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.unmask.model.kernels.AttentionPattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ObjectivesTest {
    static final int MASK = 2;

    static CleanBatch cleanBatch(int batch, int len, long seed) {
        Rng r = new Rng(seed);
        int[] ids = new int[batch * len];
        for (int i = 0; i < ids.length; i++) ids[i] = 10 + r.nextInt(200);   // never the mask id
        return CleanBatch.of(ids, batch, len);
    }

    @Test void diffusionMasksWithOneProbabilityPerRowAndWeightsInverseToIt() {
        int b = 8, len = 64;
        CleanBatch clean = cleanBatch(b, len, 1);
        DiffusionObjective obj = new DiffusionObjective(MASK, 1e-3, 0, false);
        Rng rng = new Rng(7);
        for (int trial = 0; trial < 50; trial++) {
            TrainBatch tb = obj.corrupt(clean, rng);
            assertThat(tb.pattern()).isEqualTo(AttentionPattern.BIDIRECTIONAL);
            assertThat(tb.seqLen()).isEqualTo(len);
            float[] rowWeight = new float[b];
            for (int i = 0; i < tb.rows().length; i++) {
                int at = tb.rows()[i];
                assertThat(tb.ids()[at]).isEqualTo(MASK);
                assertThat(tb.targets()[i]).isEqualTo(clean.ids()[at]);
                int r = at / len;
                if (rowWeight[r] == 0) rowWeight[r] = tb.weights()[i];
                assertThat(tb.weights()[i]).isEqualTo(rowWeight[r]);       // one p per sequence
                double p = 1.0 / (tb.weights()[i] * b * len);               // weight = 1/(p·B·L)
                assertThat(p).isBetween(1e-3 * (1 - 1e-5), 1.0);
            }
            // unmasked positions keep their clean token and carry no loss
            int masked = 0;
            for (int at = 0; at < b * len; at++) {
                if (tb.ids()[at] == MASK) masked++;
                else assertThat(tb.ids()[at]).isEqualTo(clean.ids()[at]);
            }
            assertThat(masked).isEqualTo(tb.rows().length);
        }
    }

    @Test void maskedFractionMatchesTheDrawnProbability() {
        // one long row: the masked fraction must be close to p, recovered from the weight
        int len = 20000;
        CleanBatch clean = cleanBatch(1, len, 3);
        DiffusionObjective obj = new DiffusionObjective(MASK, 1e-3, 0, false);
        Rng rng = new Rng(11);
        for (int trial = 0; trial < 20; trial++) {
            TrainBatch tb = obj.corrupt(clean, rng);
            if (tb.rows().length == 0) continue;
            double p = 1.0 / (tb.weights()[0] * len);
            double frac = (double) tb.rows().length / len;
            assertThat(frac).isCloseTo(p, within(4 * Math.sqrt(p * (1 - p) / len) + 1e-4));
        }
    }

    @Test void clippedRatesStayInTheirIntervalAndCoverIt() {
        // --mask-rate-range 0.3,0.8 for plain diffusion: every drawn p (recovered from the weight) lies in [0.3, 0.8],
        // and the draws reach both ends of it
        int len = 4000;
        CleanBatch clean = cleanBatch(1, len, 3);
        DiffusionObjective obj = new DiffusionObjective(MASK, 0.3, 0.8, 0, false, false);
        Rng rng = new Rng(5);
        double min = 1, max = 0;
        for (int trial = 0; trial < 200; trial++) {
            TrainBatch tb = obj.corrupt(clean, rng);
            double p = 1.0 / (tb.weights()[0] * len);
            assertThat(p).isBetween(0.3 - 1e-6, 0.8 + 1e-6);
            assertThat((double) tb.rows().length / len).isCloseTo(p, within(4 * Math.sqrt(p * (1 - p) / len)));
            min = Math.min(min, p);
            max = Math.max(max, p);
        }
        assertThat(min).isLessThan(0.33);
        assertThat(max).isGreaterThan(0.77);
        assertThatThrownBy(() -> new DiffusionObjective(MASK, 0.8, 0.3, 0, false, false)).hasMessageContaining("0.8,0.3");
    }

    @Test void expectedWeightSumIsOnePerTokenSlot() {
        // E[Σ weights] = Σ_slots P(masked)·1/(p·B·L) = 1 for any p: the estimator is unbiased for the per-token mean
        int b = 4, len = 32;
        CleanBatch clean = cleanBatch(b, len, 5);
        DiffusionObjective obj = new DiffusionObjective(MASK, 1e-3, 0, true);
        Rng rng = new Rng(13);
        double total = 0;
        int trials = 4000;
        for (int i = 0; i < trials; i++)
            for (float w : obj.corrupt(clean, rng).weights()) total += w;
        // per-trial variance is about E[1/p]/(B·L) ≈ 6.9/128, so the mean of 4000 trials has sd ≈ 0.004
        assertThat(total / trials).isCloseTo(1.0, within(0.03));
    }

    @Test void meanWeightingGivesEveryMaskedTokenOfTheBatchTheSameWeightAndMasksAsTheElboDoes() {
        int b = 4, len = 48;
        CleanBatch clean = cleanBatch(b, len, 13);
        DiffusionObjective elbo = new DiffusionObjective(MASK, 0.2, 0.8, 0, false, false);
        DiffusionObjective mean = new DiffusionObjective(MASK, 0.2, 0.8, 0, false, false, LossWeighting.MEAN);
        assertThat(elbo.lossWeighting()).isEqualTo(LossWeighting.ELBO);
        assertThat(mean.lossWeighting()).isEqualTo(LossWeighting.MEAN);
        for (int trial = 0; trial < 20; trial++) {
            TrainBatch e = elbo.corrupt(clean, new Rng(100 + trial)), m = mean.corrupt(clean, new Rng(100 + trial));
            assertThat(m.ids()).isEqualTo(e.ids());          // the same draws: only the weights differ
            assertThat(m.rows()).isEqualTo(e.rows());
            assertThat(m.targets()).isEqualTo(e.targets());
            double sum = 0;
            for (float w : m.weights()) {
                assertThat(w).isEqualTo(1f / m.rows().length);
                sum += w;
            }
            assertThat(sum).isCloseTo(1.0, within(1e-5));
        }
        assertThat(LossWeighting.parse("mean")).isEqualTo(LossWeighting.MEAN);
        assertThatThrownBy(() -> LossWeighting.parse("sum")).hasMessageContaining("elbo, mean");
    }

    @Test void stratifiedTimesPutOneDrawInEachStratum() {
        Rng rng = new Rng(17);
        for (int trial = 0; trial < 100; trial++) {
            int n = 1 + rng.nextInt(16);
            double[] p = MaskingTimes.draw(n, 1e-3, true, rng);
            boolean[] seen = new boolean[n];
            for (double pi : p) {
                assertThat(pi).isBetween(1e-3, 1.0);
                double t = (pi - 1e-3) / (1 - 1e-3);
                int stratum = Math.min(n - 1, (int) Math.floor(t * n));
                assertThat(seen[stratum]).as("two draws in stratum %d", stratum).isFalse();
                seen[stratum] = true;
            }
        }
    }

    @Test void truncationCutsTheWholeBatchAndNormalisesByTheNewLength() {
        int b = 3, len = 40;
        CleanBatch clean = cleanBatch(b, len, 19);
        DiffusionObjective obj = new DiffusionObjective(MASK, 1e-3, 1.0, false);
        Rng rng = new Rng(23);
        boolean sawShorter = false;
        for (int trial = 0; trial < 30; trial++) {
            TrainBatch tb = obj.corrupt(clean, rng);
            int l = tb.seqLen();
            assertThat(l).isBetween(1, len);
            sawShorter |= l < len;
            for (int r = 0; r < b; r++)
                for (int t = 0; t < l; t++)
                    if (tb.ids()[r * l + t] != MASK) assertThat(tb.ids()[r * l + t]).isEqualTo(clean.ids()[r * len + t]);
            for (int i = 0; i < tb.rows().length; i++) {
                double p = 1.0 / (tb.weights()[i] * b * l);
                assertThat(p).isBetween(1e-3 * (1 - 1e-5), 1.0);
                assertThat(tb.targets()[i]).isEqualTo(clean.ids()[(tb.rows()[i] / l) * len + tb.rows()[i] % l]);
            }
        }
        assertThat(sawShorter).isTrue();
        // with the default 1% rate, most batches keep their length
        DiffusionObjective llada = new DiffusionObjective(MASK);
        int cut = 0;
        for (int i = 0; i < 2000; i++) if (llada.corrupt(clean, rng).seqLen() < len) cut++;
        assertThat(cut).isBetween(5, 45);
    }

    @Test void sftNeverMasksThePromptAndNormalisesByAnswerLength() {
        int b = 4, len = 30;
        CleanBatch base = cleanBatch(b, len, 29);
        int[] prompts = {5, 12, 0, 29};
        CleanBatch clean = new CleanBatch(base.ids(), b, len, prompts);
        SftObjective obj = new SftObjective(MASK, false);
        Rng rng = new Rng(31);
        for (int trial = 0; trial < 200; trial++) {
            TrainBatch tb = obj.corrupt(clean, rng);
            for (int r = 0; r < b; r++)
                for (int t = 0; t < prompts[r]; t++) assertThat(tb.ids()[r * len + t]).isEqualTo(clean.ids()[r * len + t]);
            for (int i = 0; i < tb.rows().length; i++) {
                int r = tb.rows()[i] / len, t = tb.rows()[i] % len;
                assertThat(t).isGreaterThanOrEqualTo(prompts[r]);
                double p = 1.0 / (tb.weights()[i] * (len - prompts[r]) * b);   // weight = 1/(p·answerLen·B)
                assertThat(p).isBetween(1e-3 * (1 - 1e-5), 1.0);
            }
        }
    }

    /** With a logit shift (the shipped model, Dream) each masked answer token is scored from the row before it. */
    @Test void sftOfAShiftedModelScoresEachMaskFromThePreviousRow() {
        int b = 3, len = 20;
        CleanBatch base = cleanBatch(b, len, 41);
        int[] prompts = {4, 1, 9};
        CleanBatch clean = new CleanBatch(base.ids(), b, len, prompts);
        Rng plainRng = new Rng(43), shiftedRng = new Rng(43);
        for (int trial = 0; trial < 50; trial++) {
            TrainBatch plain = new SftObjective(MASK, false).corrupt(clean, plainRng);
            TrainBatch shifted = new SftObjective(MASK, true).corrupt(clean, shiftedRng);
            assertThat(shifted.ids()).isEqualTo(plain.ids());
            assertThat(shifted.targets()).isEqualTo(plain.targets());
            assertThat(shifted.weights()).isEqualTo(plain.weights());
            for (int i = 0; i < plain.rows().length; i++) {
                int masked = plain.rows()[i];
                assertThat(shifted.ids()[masked]).isEqualTo(MASK);
                // the answer starts after a non-empty prompt, so the row before is always in the same sequence
                assertThat(shifted.rows()[i]).isEqualTo(masked - 1);
                assertThat(shifted.targets()[i]).isEqualTo(clean.ids()[masked]);
            }
        }
    }

    @Test void autoregressiveTargetsAreTheNextTokenUnderACausalMask() {
        int b = 3, len = 10;
        CleanBatch clean = cleanBatch(b, len, 37);
        TrainBatch tb = new AutoregressiveObjective().corrupt(clean, new Rng(1));
        assertThat(tb.pattern()).isEqualTo(AttentionPattern.CAUSAL);
        assertThat(tb.ids()).isEqualTo(clean.ids());
        assertThat(tb.rows()).hasSize(b * (len - 1));
        double sum = 0;
        for (int i = 0; i < tb.rows().length; i++) {
            int at = tb.rows()[i];
            assertThat(at % len).isLessThan(len - 1);
            assertThat(tb.targets()[i]).isEqualTo(clean.ids()[at + 1]);
            sum += tb.weights()[i];
        }
        assertThat(sum).isCloseTo(1.0, within(1e-5));
    }

    @Test void sameSeedSameCorruption() {
        CleanBatch clean = cleanBatch(4, 16, 41);
        DiffusionObjective obj = new DiffusionObjective(MASK, 1e-3, 0.5, true);
        TrainBatch a = obj.corrupt(clean, new Rng(99)), b = obj.corrupt(clean, new Rng(99));
        assertThat(a.ids()).isEqualTo(b.ids());
        assertThat(a.weights()).isEqualTo(b.weights());
    }
}
