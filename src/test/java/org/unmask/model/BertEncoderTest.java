package org.unmask.model;

import org.junit.jupiter.api.Test;
import org.unmask.model.kernels.AttentionPattern;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The BERT encoder's hand-written backward pass against central finite differences of its loss, tensor by tensor. */
class BertEncoderTest {

    static ModelConfig tiny(BertFamily.Layout layout, boolean head, boolean tied) {
        return new ModelConfig(new BertFamily(layout, layout == BertFamily.Layout.BERT ? 2 : 0, head), 8, 2, 2, 2, 4, 12,
                13, 13, 9, 10000.0, 4, 1e-12, true, false, tied, false, 4, 3, 0, 2);
    }

    /** A random model with spread-out values (LayerNorm weights and biases around 1), so no gradient is trivially zero. */
    static BertEncoder spread(ModelConfig c, long seed) {
        BertEncoder m = BertEncoder.randomInit(c, seed, Parameters.INIT_STD);
        Random rnd = new Random(seed + 1);
        float[] v = m.parameters().values();
        for (Parameters.Parameter p : m.parameters().list()) {
            for (int i = p.offset(); i < p.offset() + p.size(); i++)
                v[i] = p.rank() == 1 ? (float) (1 + 0.3 * rnd.nextGaussian()) : (float) (0.35 * rnd.nextGaussian());
        }
        return m;
    }

    @Test void gradientsOfEveryTensorMatchFiniteDifferences() {
        check(BertFamily.Layout.BERT, true, true);
        check(BertFamily.Layout.BERT, true, false);
        check(BertFamily.Layout.BERT, false, true);
        check(BertFamily.Layout.DISTILBERT, true, true);
    }

    private static void check(BertFamily.Layout layout, boolean head, boolean tied) {
        ModelConfig c = tiny(layout, head, tied);
        BertEncoder m = spread(c, 7);
        Random rnd = new Random(8);
        int B = 2, T = 7;
        int[] ids = new int[B * T];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(13);
        boolean[] attend = new boolean[B * T];
        Arrays.fill(attend, true);
        attend[13] = false;                                // a padding key at the end of the second row
        int[] rows = {1, 3, 4, 6, 8, 12, 3};               // a repeated row adds up
        int[] targets = {2, 5, 9, 0, 12, 1, 4};
        float[] weights = {1f, 0.5f, 2f, 1f, 1f, 0.25f, 1f};
        Parameters p = m.parameters();
        p.zeroGrads();
        double loss = m.forwardBackward(ids, B, T, attend, null, rows, targets, weights);
        assertThat(loss).isEqualTo(m.loss(ids, B, T, attend, null, rows, targets, weights));
        float[] grad = p.grads().clone();
        String what = layout + (head ? " head" : " no head") + (tied ? " tied " : " untied ");
        for (Parameters.Parameter t : p.list()) {
            GradCheck.check(what + t.name(), p.values(), grad, t.offset(), t.offset() + t.size(), 6, 1e-2f, 3e-3, 3e-2, rnd,
                    unused -> m.loss(ids, B, T, attend, null, rows, targets, weights));
        }
        // positions past the sequence get no gradient; the second token type row neither
        BertFamily f = (BertFamily) c.family();
        Parameters.Parameter pos = p.get(f.positions());
        for (int i = T * c.dModel(); i < pos.size(); i++) assertThat(grad[pos.offset() + i]).isZero();
        if (layout == BertFamily.Layout.BERT) {
            Parameters.Parameter types = p.get(f.tokenTypes());
            for (int i = c.dModel(); i < types.size(); i++) assertThat(grad[types.offset() + i]).isZero();
        }
    }

    @Test void gradientsAccumulateAcrossCallsAndTheModelRefusesCausalAttention() {
        BertEncoder m = spread(tiny(BertFamily.Layout.BERT, true, true), 3);
        int[] ids = {1, 5, 7, 2, 9, 4, 4, 8};
        int[] rows = {0, 5}, targets = {3, 4};
        m.parameters().zeroGrads();
        m.forwardBackward(ids, 1, 8, null, null, rows, targets, null);
        float[] once = m.parameters().grads().clone();
        m.forwardBackward(ids, 1, 8, null, null, rows, targets, null);
        float[] twice = m.parameters().grads();
        for (int i = 0; i < once.length; i++) assertThat(twice[i]).isCloseTo(2 * once[i], org.assertj.core.data.Offset.offset(1e-6f + 1e-5f * Math.abs(once[i])));
        assertThatThrownBy(() -> m.forwardBackward(ids, 1, 8, null, AttentionPattern.CAUSAL, rows, targets, null))
                .hasMessageContaining("bidirectional");
    }
}
