package org.unmask.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.unmask.diffusion.Remasking;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.model.GenerationDefaults;

import static org.assertj.core.api.Assertions.assertThat;

/** A request's missing sampling fields take its model family's defaults; the fields it sends win. */
class FamilyDefaultsTest {

    final Vocabulary vocab = Vocabulary.of(new CharTokenizer(), CharTokenizer.MASK, 1, CharTokenizer.EOS);

    SamplerConfig read(String json, GenerationDefaults d) throws Exception {
        JsonNode root = new ObjectMapper().readTree(json);
        return SamplingFields.read(root, 64, "max_tokens", vocab, d);
    }

    @Test void dreamDecodesTheWholeCanvasWithEntropyAndNucleusSampling() throws Exception {
        SamplerConfig c = read("{}", GenerationDefaults.DREAM);
        assertThat(c.remasking()).isEqualTo(Remasking.ENTROPY);
        assertThat(c.temperature()).isEqualTo(0.2);
        assertThat(c.topP()).isEqualTo(0.95);
        assertThat(c.eps()).isEqualTo(1e-3f);
        assertThat(c.steps()).isEqualTo(64);
        assertThat(c.blockLength()).isEqualTo(64);

        SamplerConfig told = read("{\"remasking\": \"low_confidence\", \"block_length\": 16}", GenerationDefaults.DREAM);
        assertThat(told.remasking()).isEqualTo(Remasking.LOW_CONFIDENCE);
        assertThat(told.topP()).as("Dream's top-p is off for a LLaDA remasking").isEqualTo(1);
        assertThat(told.blockLength()).isEqualTo(16);
    }

    @Test void lladaKeepsItsBlocksOf32AndGreedyLowConfidence() throws Exception {
        SamplerConfig c = read("{}", GenerationDefaults.LLADA);
        assertThat(c.remasking()).isEqualTo(Remasking.LOW_CONFIDENCE);
        assertThat(c.temperature()).isZero();
        assertThat(c.topP()).isEqualTo(1);
        assertThat(c.blockLength()).isEqualTo(32);
    }
}
