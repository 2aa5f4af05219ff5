package org.unmask.train;

import org.junit.jupiter.api.Test;
import org.unmask.data.Tokens;
import org.unmask.model.kernels.AttentionPattern;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ValidationTest {
    /** A model that predicts the uniform distribution over V tokens: CE = ln V at every position. */
    static LossFunction uniform(int vocab) {
        return tb -> {
            double s = 0;
            for (float w : tb.weights()) s += w * Math.log(vocab);
            return s;
        };
    }

    @Test void uniformModelHasElboAndNllOfLogV() {
        int[] ids = new int[5000];
        for (int i = 0; i < ids.length; i++) ids[i] = 10 + i % 50;
        List<CleanBatch> windows = Validation.windows(Tokens.of(ids), 50, 8, 64);
        assertThat(windows.stream().mapToInt(CleanBatch::batch).sum()).isEqualTo(64);
        Validation v = new Validation(windows, 2, 16, 7);
        Validation.Result elbo = v.diffusionElbo(uniform(300));
        // E[#masked at t] = t·N, so each grid term is ln V·N in expectation
        assertThat(elbo.natsPerToken()).isCloseTo(Math.log(300), within(0.05 * Math.log(300)));
        assertThat(elbo.bound()).isTrue();
        assertThat(elbo.tokens()).isEqualTo(64 * 50);
        Validation.Result nll = v.autoregressiveNll(uniform(300));
        assertThat(nll.natsPerToken()).isCloseTo(Math.log(300), within(1e-9));
        assertThat(nll.bitsPerToken()).isCloseTo(Math.log(300) / Math.log(2), within(1e-9));
        assertThat(nll.tokens()).isEqualTo(64 * 49);
    }

    @Test void fixedMasksMakeTheEstimateRepeatable() {
        int[] ids = new int[2000];
        for (int i = 0; i < ids.length; i++) ids[i] = 10 + (i * 7) % 31;
        Validation v = new Validation(Validation.windows(Tokens.of(ids), 32, 4, 20), 2, 8, 3);
        // a model whose loss depends on which positions are masked
        LossFunction positional = tb -> {
            double s = 0;
            for (int i = 0; i < tb.rows().length; i++) s += tb.weights()[i] * (1 + (tb.rows()[i] % 5));
            assertThat(tb.mask()).isEqualTo(AttentionPattern.BIDIRECTIONAL);
            return s;
        };
        assertThat(v.diffusionElbo(positional).natsPerToken()).isEqualTo(v.diffusionElbo(positional).natsPerToken());
    }

    @Test void sftValidationSkipsPromptTokens() {
        int[] ids = new int[40];
        CleanBatch c = new CleanBatch(ids, 2, 20, new int[] {5, 10});
        Validation v = new Validation(List.of(c), 2, 4, 1);
        LossFunction checkRows = tb -> {
            for (int at : tb.rows()) assertThat(at % 20).isGreaterThanOrEqualTo(at / 20 == 0 ? 5 : 10);
            return uniform(10).loss(tb);
        };
        assertThat(v.diffusionElbo(checkRows).tokens()).isEqualTo(15 + 10);
    }
}
