package org.unmask.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.unmask.diffusion.SampleResult;
import org.unmask.diffusion.Sampler;
import org.unmask.diffusion.CacheMode;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.StepEvent;
import org.unmask.model.Transformer;
import org.unmask.model.LladaTensors;
import org.unmask.model.io.Checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Unmask against outputs it did not compute: {@code scripts/reference_llada.py} wrote a small random LLaDA checkpoint
 * (d_model 32, 2 layers, 4 query / 2 key-value heads, SwiGLU 96, vocabulary 300, untied head, float32, seeded) as a
 * Hugging Face directory, and beside it the float64 PyTorch logits of a few id sequences and the canvas after every step
 * of LLaDA's {@code generate} (low_confidence, temperature 0, semi-autoregressive blocks) for several settings. The
 * checkpoint is read by Unmask's own loader; the sampler must reproduce every step exactly. The script only kept a seed
 * on which every argmax and every commit boundary has a clear margin, so float32 rounding cannot flip a choice.
 */
class ReferenceLladaTest {

    /**
     * Logit tolerance: |Unmask − reference| ≤ 1e-4 + 1e-5·|reference|. Unmask computes in float32 from the same float32
     * weights as the float64 reference; over two layers the logits (|l| up to ~12) agree to within 6e-6, so this
     * leaves ~20x headroom and still catches any real difference: on this checkpoint interleaved instead of rotate-half
     * RoPE moves the logits by up to 9, tiled instead of interleaved GQA heads by 14, rope_theta 5e5 instead of 1e4 by 2,
     * and even rms_norm_eps 1e-6 instead of 1e-5 by 1.2e-4.
     */
    static final double ABS_TOL = 1e-4, REL_TOL = 1e-5;

    static final String DIR = "/org/unmask/reference/llada-tiny";
    static final String EXPECTED = "/org/unmask/reference/llada-tiny.expected.json";

    static Checkpoint checkpoint;
    static Transformer model;
    static JsonNode expected;

    @BeforeAll
    static void load() throws IOException, URISyntaxException {
        Path dir = Path.of(ReferenceLladaTest.class.getResource(DIR).toURI());
        checkpoint = Checkpoint.open(dir);
        model = Transformer.fromWeights(checkpoint.config(), checkpoint.tensors(), false);
        try (InputStream in = ReferenceLladaTest.class.getResourceAsStream(EXPECTED)) {
            expected = new ObjectMapper().readTree(in);
        }
    }

    @AfterAll
    static void close() {
        if (checkpoint != null) checkpoint.close();
    }

    static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asInt();
        return v;
    }

    @Test
    void theCheckpointIsReadAsTheReferenceWroteIt() {
        var c = model.config();
        assertThat(c.dModel()).isEqualTo(32);
        assertThat(c.nLayers()).isEqualTo(2);
        assertThat(c.nHeads()).isEqualTo(4);
        assertThat(c.nKvHeads()).isEqualTo(2);
        assertThat(c.mlpHiddenSize()).isEqualTo(96);
        assertThat(c.embeddingSize()).isEqualTo(300);
        assertThat(c.weightTying()).isFalse();
        assertThat(c.maskTokenId()).isEqualTo(expected.get("mask_id").asInt());
        assertThat(checkpoint.tensors().keySet()).containsExactlyElementsOf(LladaTensors.expectedShapes(c).keySet());
    }

    @TestFactory
    Stream<DynamicTest> logitsMatchTheFloat64Reference() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode cs : expected.get("logits")) {
            tests.add(DynamicTest.dynamicTest(cs.get("name").asText(), () -> {
                int[] ids = ints(cs.get("ids"));
                int T = ids.length, E = model.config().embeddingSize();
                boolean[] attend = null;
                if (!cs.get("attend").isNull()) {
                    attend = new boolean[T];
                    for (int t = 0; t < T; t++) attend[t] = cs.get("attend").get(t).asBoolean();
                }
                float[] got = model.logits(ids, 1, T, attend, null);
                assertThat(got).hasSize(T * E);
                double worst = 0;
                int compared = 0;
                for (int t = 0; t < T; t++) {
                    JsonNode row = cs.get("logits").get(t);
                    if (row.isNull()) continue;   // a padding query: its output is not used by anyone
                    assertThat(row.size()).isEqualTo(E);
                    for (int v = 0; v < E; v++) {
                        double want = row.get(v).asDouble(), diff = Math.abs(got[t * E + v] - want);
                        worst = Math.max(worst, diff);
                        assertThat(diff).as("%s: logit [%d][%d] = %s, reference %s", cs.get("name").asText(), t, v,
                                got[t * E + v], want).isLessThanOrEqualTo(ABS_TOL + REL_TOL * Math.abs(want));
                        compared++;
                    }
                }
                assertThat(compared).isGreaterThanOrEqualTo(E * 5);
                System.out.printf("reference logits %s: max |diff| %.3g%n", cs.get("name").asText(), worst);
            }));
        }
        assertThat(tests).hasSizeGreaterThanOrEqualTo(4);
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> everyStepOfGenerateMatchesTheReference() {
        List<DynamicTest> tests = new ArrayList<>();
        int mask = expected.get("mask_id").asInt(), eos = expected.get("eos_id").asInt();
        for (JsonNode cs : expected.get("generate")) {
            String name = cs.get("name").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                List<int[]> prompts = new ArrayList<>();
                for (JsonNode p : cs.get("prompts")) prompts.add(ints(p));
                SamplerConfig cfg = SamplerConfig.builder(cs.get("gen_length").asInt(), cs.get("steps").asInt(),
                        cs.get("block_length").asInt()).specialIds(mask, eos, -1).cache(CacheMode.NONE).build();
                List<StepEvent> events = new ArrayList<>();
                SampleResult r = new Sampler(model, cfg).generate(prompts, events::add);

                JsonNode trace = cs.get("trace");
                assertThat(events).as("%s: steps", name).hasSize(trace.size());
                for (int s = 0; s < trace.size(); s++) {
                    JsonNode want = trace.get(s);
                    StepEvent e = events.get(s);
                    assertThat(e.step()).isEqualTo(want.get("step").asInt());
                    assertThat(e.block()).as("%s step %d: block", name, s).isEqualTo(want.get("block").asInt());
                    assertThat(e.rows()).as("%s step %d: rows", name, s).hasSize(prompts.size());
                    int block = want.get("block").asInt(), i = s - block * cs.get("steps_per_block").asInt();
                    for (StepEvent.RowStep row : e.rows()) {
                        assertThat(row.positions()).as("%s: row %d commits at step %d (the block's quota)", name, row.row(), s)
                                .hasSize(cs.get("quotas").get(block).get(row.row()).get(i).asInt());
                        int[] canvas = ints(want.get("canvases").get(row.row()));
                        assertThat(row.canvas()).as("%s: row %d canvas after step %d", name, row.row(), s)
                                .containsExactly(canvas);
                    }
                }
                for (int b = 0; b < prompts.size(); b++) {
                    assertThat(r.sequences()[b]).as("%s: final row %d", name, b).containsExactly(ints(cs.get("final").get(b)));
                    assertThat(r.sequences()[b]).doesNotContain(mask);
                }
                assertThat(r.steps()).isEqualTo(trace.size());
                assertThat(r.forwardPasses()).isEqualTo(cs.get("steps").asInt());
            }));
        }
        assertThat(tests).hasSizeGreaterThanOrEqualTo(5);
        return tests.stream();
    }
}
