package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.unmask.diffusion.Elbo;
import org.unmask.diffusion.NllEstimate;
import org.unmask.diffusion.ScoredSequence;
import org.unmask.model.Denoiser;
import org.unmask.model.ModelConfig;
import org.unmask.data.Tokens;
import org.unmask.model.kernels.AttentionPattern;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ValidationTest {
    static final ModelConfig CONFIG = new ModelConfig(8, 1, 2, null, 16, 300, null, 512, 10000, 1e-5, false, 2, 0, null, 1);

    /** A model that predicts the uniform distribution: CE = ln V at every position, under any attention pattern. */
    static Denoiser uniform(List<int[]> seen) {
        return new Denoiser() {
            public ModelConfig config() { return CONFIG; }
            public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
                for (int b = 0; b < batch; b++) seen.add(java.util.Arrays.copyOfRange(ids, b * seqLen, (b + 1) * seqLen));
                return new float[(rows == null ? batch * seqLen : rows.length) * CONFIG.embeddingSize()];
            }
            @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows, AttentionPattern p) {
                return logits(ids, batch, seqLen, attend, rows);
            }
        };
    }

    @Test void uniformModelHasElboAndNllOfExactlyLogV() {
        int[] ids = new int[5000];
        for (int i = 0; i < ids.length; i++) ids[i] = 10 + i % 50;
        List<ScoredSequence> windows = Validation.windows(Tokens.of(ids), 50, 64);
        assertThat(windows).hasSize(64);
        Validation v = new Validation(windows, 16, 8, 7);
        NllEstimate elbo = v.diffusionElbo(uniform(new ArrayList<>()));
        // each grid term masks l tokens with weight L/l: exactly L·ln V per window, whatever the masks
        assertThat(elbo.natsPerToken()).isCloseTo(Math.log(300), within(1e-9));
        assertThat(elbo.bound()).isTrue();
        assertThat(elbo.tokens()).isEqualTo(64 * 50);
        NllEstimate nll = v.autoregressiveNll(uniform(new ArrayList<>()));
        assertThat(nll.natsPerToken()).isCloseTo(Math.log(300), within(1e-9));
        assertThat(nll.bitsPerToken()).isCloseTo(Math.log(300) / Math.log(2), within(1e-9));
        assertThat(nll.tokens()).isEqualTo(64 * 49);
    }

    @Test void theEstimateDoesNotDependOnHowRowsAreBatched() {
        int[] ids = new int[2000];
        for (int i = 0; i < ids.length; i++) ids[i] = 10 + (i * 7) % 31;
        List<ScoredSequence> w = Validation.windows(Tokens.of(ids), 32, 20);
        var model = new org.unmask.diffusion.FakeDenoiser(CONFIG, 3, Integer.MAX_VALUE, 4f);
        double one = new Validation(w, 8, 1, 3).diffusionElbo(model).natsPerToken();
        double seven = new Validation(w, 8, 7, 3).diffusionElbo(model).natsPerToken();
        assertThat(seven).isEqualTo(one);
        assertThat(Elbo.estimate(model, w, 8, 5, 3).natsPerToken()).isEqualTo(one);
        assertThat(new Validation(w, 8, 1, 4).diffusionElbo(model).natsPerToken()).isNotEqualTo(one);
    }

    @Test void gridPointKMasksCeilOfTkTimesLOfTheAnswerAndNeverThePrompt() {
        int[] ids = new int[20];
        java.util.Arrays.fill(ids, 7);
        CleanBatch c = new CleanBatch(ids.clone(), 1, 20, new int[] {5});
        List<int[]> seen = new ArrayList<>();
        NllEstimate e = new Validation(Validation.rows(List.of(c)), 4, 1, 1).diffusionElbo(uniform(seen));
        assertThat(e.tokens()).isEqualTo(15);
        assertThat(seen).hasSize(4);
        for (int k = 0; k < 4; k++) {
            int[] row = seen.get(k);
            int masked = 0;
            for (int i = 0; i < 20; i++) {
                if (row[i] == CONFIG.maskTokenId()) { masked++; assertThat(i).isGreaterThanOrEqualTo(5); }
            }
            assertThat(masked).isEqualTo((int) Math.ceil((k + 0.5) / 4 * 15));
        }
    }

    @Test void aTextShorterThanOneWindowIsOneWindow() {
        assertThat(Validation.windows(Tokens.of(new int[] {4, 5, 6}), 8, 0)).singleElement()
                .satisfies(s -> assertThat(s.tokens()).containsExactly(4, 5, 6));
        assertThat(Validation.windows(Tokens.of(new int[17]), 8, 0)).hasSize(2);
    }

    @Test void fewerWindowsThanTheTextHoldsAreSpreadOverAllOfIt() {
        int[] ids = new int[10 * 4 + 3];                      // ten windows of 4 and a remainder
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        List<ScoredSequence> three = Validation.windows(Tokens.of(ids), 4, 3);
        // windows 0, 3 and 6 of 10 (⌊w·10/3⌋): the last third of the text is sampled too, not only its start
        assertThat(three).extracting(s -> s.tokens()[0]).containsExactly(0, 12, 24);
        for (ScoredSequence s : three) assertThat(s.tokens()).hasSize(4).satisfies(t -> assertThat(t[3] - t[0]).isEqualTo(3));
        assertThat(Validation.windows(Tokens.of(ids), 4, 5)).extracting(s -> s.tokens()[0]).containsExactly(0, 8, 16, 24, 32);
        // as many windows as the text holds, or more, or 0: all of them in order
        for (int max : new int[] {0, 10, 50})
            assertThat(Validation.windows(Tokens.of(ids), 4, max)).extracting(s -> s.tokens()[0])
                    .containsExactly(0, 4, 8, 12, 16, 20, 24, 28, 32, 36);
    }
}
