package org.unmask.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.diffusion.Remasking;
import org.unmask.model.Denoiser;
import org.unmask.model.DreamFamily;
import org.unmask.model.ModelConfig;
import org.unmask.model.Transformer;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.RandomInit;
import org.unmask.model.tensor.DType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Dream predicts the token at position i from the output at i−1. The forward does not shift; the sampler, the
 * likelihood and the ELBO see shifted logits, for Dream and for LLaDA-layout models with {@code "shift_logits": true}.
 */
class LogitShiftTest {

    /** A raw model whose output at position t is sure of token 10 + t; it records the rows it is asked for. */
    static final class PositionEcho implements Denoiser {
        final ModelConfig config;
        final List<Integer> asked = new ArrayList<>();

        PositionEcho(boolean shift) {
            config = new ModelConfig(DreamFamily.INSTANCE, 8, 1, 2, 2, 4, 16, 64, 64, 128, 1e6, 4, 1e-6, true, false,
                    false, shift, 63, 0, 0, 0);
        }

        @Override public ModelConfig config() { return config; }

        @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
            int V = config.embeddingSize();
            float[] out = new float[rows.length * V];
            for (int i = 0; i < rows.length; i++) {
                asked.add(rows[i]);
                out[i * V + 10 + rows[i] % seqLen] = 30;
            }
            return out;
        }
    }

    @Test void theSamplerSeesTheOutputAtTheOnePositionBefore() {
        int[] prompt = {1, 2, 3};
        for (boolean shift : new boolean[]{true, false}) {
            PositionEcho raw = new PositionEcho(shift);
            UnmaskModel m = UnmaskModel.of(raw, Optional.empty());
            Generation g = m.generate(prompt, m.sampling().genLength(6).remasking(Remasking.LOW_CONFIDENCE).temperature(0), null);
            for (int t = 3; t < 9; t++) assertThat(g.canvas()[t]).as("shift %s position %d", shift, t).isEqualTo(10 + t - (shift ? 1 : 0));
            // the raw model was only ever asked for outputs at positions 2..7 (shifted) or 3..8 (not)
            assertThat(raw.asked).allSatisfy(r -> assertThat(r).isBetween(shift ? 2 : 3, shift ? 7 : 8));
        }
    }

    @Test void theLikelihoodScoresATokenWithTheOutputBeforeIt() {
        UnmaskModel m = UnmaskModel.of(new PositionEcho(true), Optional.empty());
        // answer token 12 at position 3 is what the output at position 2 is sure of: log p ≈ 0
        assertThat(m.score(new int[]{1, 2, 3}, new int[]{12}, 1, 1, 0, 0)).isCloseTo(0, within(1e-6));
        // token 13 is what the unshifted output at 3 would say, and is now unlikely
        assertThat(m.score(new int[]{1, 2, 3}, new int[]{13}, 1, 1, 0, 0)).isLessThan(-25);
    }

    @Test void aLladaConfigWithShiftLogitsIsSampledShifted(@TempDir Path dir) throws Exception {
        ModelConfig plain = new ModelConfig(16, 2, 4, 2, 24, 40, 48, 32, 10000.0, 1e-5, false, 2, 0, 0, 1);
        Checkpoint.saveSources(dir, plain, RandomInit.tensors(plain, 5), DType.F32, 1L << 30, null);
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        c.put("shift_logits", true);
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(c));

        ModelConfig read = ModelConfig.read(dir.resolve("config.json"));
        assertThat(read.logitShift()).isTrue();
        assertThat(read.family().name()).isEqualTo("llada");
        Path again = dir.resolve("again.json");
        read.write(again);
        assertThat(ModelConfig.read(again)).isEqualTo(read);

        int[] ids = {5, 9, 3, 2, 2, 8};
        float[] raw;
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            raw = Transformer.fromWeights(ckpt.config(), ckpt.tensors(), false).logits(ids, 1, ids.length, null, null);
        }
        float[] seen = UnmaskModel.load(dir).denoiser().logits(ids, 1, ids.length, null, new int[]{0, 3, 4});
        int V = read.embeddingSize();
        for (int v = 0; v < V; v++) {
            assertThat(seen[v]).isEqualTo(raw[v]);
            assertThat(seen[V + v]).isEqualTo(raw[2 * V + v]);
            assertThat(seen[2 * V + v]).isEqualTo(raw[3 * V + v]);
        }
    }
}
