package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

/** MDLM's SUBS head ({@code never_predict_mask}): the mask token's logit is −∞, the rest of the model unchanged. */
class NeverPredictMaskTest {

    private static final int MASK = 10;

    /** The same weights with and without the flag. */
    private static Transformer[] pair(long seed) {
        Transformer plain = LladaModelTest.spread(LladaModelTest.tiny(false), seed);
        Transformer subs = Transformer.fromWeights(plain.config().withNeverPredictMask(true), plain.tensors(), true);
        return new Transformer[]{plain, subs};
    }

    @Test
    void theMaskLogitIsMinusInfinityAndEveryOtherLogitIsUnchanged() {
        Transformer[] m = pair(3);
        int[] ids = LladaModelTest.randomIds(new Random(4), 2 * 6, 11);
        ids[2] = MASK;
        float[] plain = m[0].logits(ids, 2, 6, null, null), subs = m[1].logits(ids, 2, 6, null, null);
        int e = m[0].config().embeddingSize();
        for (int i = 0; i < plain.length; i++) {
            if (i % e == MASK) assertThat(subs[i]).as("mask logit of row %d", i / e).isEqualTo(Float.NEGATIVE_INFINITY);
            else assertThat(subs[i]).as("logit %d", i).isEqualTo(plain[i]);
        }
    }

    @Test
    void theLossIsTheCrossEntropyOverTheOtherTokens() {
        Transformer[] m = pair(5);
        int[] ids = LladaModelTest.randomIds(new Random(6), 7, 11);
        int[] rows = {0, 2, 5, 6};
        int[] targets = {3, 9, 0, 12};
        float[] weights = {1f, 0.5f, 2f, 0.25f};
        float[] logits = m[0].logits(ids, 1, 7, null, rows);
        int e = m[0].config().embeddingSize();
        double expected = 0;
        for (int i = 0; i < rows.length; i++) {
            double sum = 0;
            for (int v = 0; v < e; v++) if (v != MASK) sum += Math.exp(logits[i * e + v]);
            expected += weights[i] * (Math.log(sum) - logits[i * e + targets[i]]);
        }
        assertThat(m[1].loss(ids, 1, 7, null, null, rows, targets, weights)).isCloseTo(expected, offset(1e-4));
        assertThat(m[0].loss(ids, 1, 7, null, null, rows, targets, weights)).isGreaterThan(expected + 1e-3);
    }

    @Test
    void gradientsMatchFiniteDifferencesAndTheMaskRowOfTheHeadGetsNone() {
        Transformer subs = pair(7)[1];
        int[] ids = LladaModelTest.randomIds(new Random(8), 8, 11);
        int[] rows = {1, 3, 4, 6};
        int[] targets = {2, 5, 9, 0};
        Parameters p = subs.parameters();
        p.zeroGrads();
        double loss = subs.forwardBackward(ids, 1, 8, null, null, rows, targets, null);
        assertThat(loss).isCloseTo(subs.loss(ids, 1, 8, null, null, rows, targets, null), offset(1e-9));
        float[] grad = p.grads().clone();
        Random rnd = new Random(9);
        int d = subs.config().dModel();
        for (Parameters.Parameter t : p.list()) {
            GradCheck.check(t.name(), p.values(), grad, t.offset(), t.offset() + t.size(), 4, 1e-2f, 3e-3, 3e-2, rnd,
                    unused -> subs.loss(ids, 1, 8, null, null, rows, targets, null));
            if (t.name().equals(subs.config().family().lmHead()))
                for (int j = 0; j < d; j++) assertThat(grad[t.offset() + MASK * d + j]).as("head row of the mask, column %d", j).isZero();
        }
    }

    @Test
    void aTargetThatIsTheMaskTokenIsRefused() {
        Transformer subs = pair(1)[1];
        int[] ids = LladaModelTest.randomIds(new Random(2), 4, 11);
        assertThatThrownBy(() -> subs.loss(ids, 1, 4, null, null, new int[]{1}, new int[]{MASK}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("never_predict_mask");
    }

    @Test
    void configJsonCarriesTheFlagOnlyWhenSet(@TempDir Path dir) throws IOException {
        ModelConfig plain = LladaModelTest.tiny(true), subs = plain.withNeverPredictMask(true);
        subs.write(dir.resolve("subs.json"));
        plain.write(dir.resolve("plain.json"));
        assertThat(Files.readString(dir.resolve("subs.json"))).contains("\"never_predict_mask\" : true");
        assertThat(Files.readString(dir.resolve("plain.json"))).doesNotContain("never_predict_mask");
        assertThat(ModelConfig.read(dir.resolve("subs.json"))).isEqualTo(subs);
        assertThat(ModelConfig.read(dir.resolve("plain.json")).neverPredictMask()).isFalse();
    }
}
