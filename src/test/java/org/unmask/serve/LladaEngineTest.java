package org.unmask.serve;

import org.unmask.text.ChatTemplate;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.model.Denoiser;
import org.unmask.model.ModelConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The adapter from the serving interface to the diffusion sampler, over a model that knows one answer. */
class LladaEngineTest {

    static final String ANSWER = "Hi there!";
    static final int VOCAB = 140;   // specials 0..5, then ASCII characters as CharTokenizer numbers them

    /** Logits peaked on a fixed answer at each generated position, earlier positions more confident. */
    static final class AnswerDenoiser implements Denoiser {
        final ModelConfig config = new ModelConfig(8, 1, 2, null, 16, VOCAB, null, 512, 10000, 1e-5, false, 2, 0, null, 1);
        final int[] answer;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger rowsSeen = new AtomicInteger();

        AnswerDenoiser(int genLength) {
            answer = new int[genLength];   // EOS padding after EoT
            int[] text = new CharTokenizer().encode(ANSWER, false);
            System.arraycopy(text, 0, answer, 0, text.length);
            answer[text.length] = CharTokenizer.EOT;
        }

        @Override public ModelConfig config() { return config; }

        @Override public float[] logits(int[] ids, int batch, int seqLen, boolean[] attend, int[] rows) {
            calls.incrementAndGet();
            rowsSeen.addAndGet(batch);
            int n = rows == null ? batch * seqLen : rows.length;
            float[] out = new float[n * VOCAB];
            for (int r = 0; r < n; r++) {
                int flat = rows == null ? r : rows[r];
                int i = flat % seqLen - (seqLen - answer.length);
                if (i >= 0) out[r * VOCAB + answer[i]] = 6f + 0.1f * (answer.length - i);
            }
            return out;
        }
    }

    static GenerationRequest request(int[] prompt, double temperature, long seed) {
        return new GenerationRequest(prompt, SamplerConfig.builder(32, 16, 16).temperature(temperature).earlyStop(true)
                .seed(seed).specialIds(CharTokenizer.MASK, CharTokenizer.EOS, CharTokenizer.EOT).build(), List.of());
    }

    @Test void generatesTheModelsAnswerWithOneEventPerStep() {
        AnswerDenoiser model = new AnswerDenoiser(32);
        LladaEngine engine = new LladaEngine("answer", org.unmask.api.UnmaskModel.of(model, java.util.Optional.of(new CharTokenizer())), 4);
        List<AnswerStep> events = new ArrayList<>();
        GenerationResult r = engine.generate(request(new int[]{1, 40, 41}, 0, 0),
                e -> events.add(engine.vocabulary().answerStep(e, 3)), new CancellationToken());
        assertThat(r.cancelled()).isFalse();
        assertThat(r.canvas()).containsExactly(model.answer);
        assertThat(engine.vocabulary().answerText(r.canvas())).isEqualTo(ANSWER);
        assertThat(events).isNotEmpty();
        assertThat(events.getFirst().revealed()).hasSize(2);   // 16 masks per block over 8 steps per block
        assertThat(events.getFirst().revealed()).containsExactly(0, 1);   // most confident first: left to right
        assertThat(events.getLast().text()).isEqualTo(ANSWER);
        assertThat(events.getLast().ended()).isTrue();
    }

    @Test void aBlockDiffusionModelStreamsEachBlockAsItIsFinished() {
        // a random block-diffusion model (blocks of 4): the server's defaults decode its blocks with the exact cache
        ModelConfig c = new ModelConfig(16, 1, 2, null, 32, VOCAB, null, 512, 10000, 1e-5, false, CharTokenizer.MASK,
                CharTokenizer.EOS, null, 1).withBlockSize(4);
        org.unmask.model.Transformer model = org.unmask.model.Transformer.randomInit(c, 3);
        LladaEngine engine = new LladaEngine("block", org.unmask.api.UnmaskModel.of(model, java.util.Optional.of(new CharTokenizer())), 4);
        SamplerConfig cfg = SamplerConfig.builder().genLength(13).defaults(engine.generationDefaults()).logitsEosInf(true)
                .earlyStop(true).specialIds(CharTokenizer.MASK, CharTokenizer.EOS, CharTokenizer.EOT).build();
        assertThat(cfg.blockCausal()).isTrue();
        assertThat(cfg.blockLength()).isEqualTo(4);
        int[] prompt = {1, 40, 41};
        List<int[]> seen = new ArrayList<>();   // {block, settled answer tokens} per event
        GenerationResult r = engine.generate(new GenerationRequest(prompt, cfg, List.of()), e -> {
            AnswerStep a = engine.vocabulary().answerStep(e, prompt.length);
            seen.add(new int[]{e.block(), engine.vocabulary().settledLength(a.generated())});
        }, new CancellationToken());
        assertThat(r.cancelled()).isFalse();
        // blocks are aligned at position 0: block k ends at canvas position 4(k+1), answer position 4(k+1) − 3; while
        // block k is decoded every earlier block is settled text already, so it has been streamed
        int blocks = 0;
        for (int[] s : seen) {
            blocks = Math.max(blocks, s[0] + 1);
            if (s[0] > 0) assertThat(s[1]).as("settled answer tokens in block %d", s[0]).isGreaterThanOrEqualTo(4 * s[0] - 3);
        }
        assertThat(blocks).isEqualTo(4);   // 3 + 13 = 16 positions: blocks 0..3
    }

    @Test void aCausalLmThatNamesNoMaskIsServedWithTheSamplersPlaceholder() {
        // TinyLlama's or Qwen2.5's config.json names no mask_token_id: EOS stands in, and the canvas needs another id
        ModelConfig c = new ModelConfig(org.unmask.model.LlamaFamily.INSTANCE, 16, 1, 2, 2, 8, 32, VOCAB, VOCAB, 512, 10000.0,
                8, 1e-5, false, false, false, false, CharTokenizer.EOS, CharTokenizer.EOS, CharTokenizer.EOS, CharTokenizer.BOS);
        org.unmask.model.Transformer model = org.unmask.model.Transformer.randomInit(c, 5);
        LladaEngine engine = new LladaEngine("llama", org.unmask.api.UnmaskModel.of(model, java.util.Optional.of(new CharTokenizer())), 4);
        Vocabulary v = engine.vocabulary();
        assertThat(v.maskId()).isEqualTo(c.canvasMaskId()).isNotEqualTo(CharTokenizer.EOS);
        SamplerConfig cfg = SamplerConfig.builder().genLength(6).defaults(engine.generationDefaults()).temperature(0)
                .specialIds(v.maskId(), v.eosId(), v.eotId()).build();
        GenerationResult r = engine.generate(new GenerationRequest(new int[] {1, 40, 41}, cfg, List.of()), e -> {}, new CancellationToken());
        assertThat(r.cancelled()).isFalse();
        assertThat(r.canvas()).doesNotContain(c.canvasMaskId());
    }

    @Test void cancellingStopsTheSampler() {
        AnswerDenoiser model = new AnswerDenoiser(32);
        LladaEngine engine = new LladaEngine("answer", org.unmask.api.UnmaskModel.of(model, java.util.Optional.of(new CharTokenizer())), 4);
        CancellationToken token = new CancellationToken();
        GenerationResult r = engine.generate(request(new int[]{1, 40}, 0, 0), e -> {
            if (e.step() == 2) token.cancel();
        }, token);
        assertThat(r.cancelled()).isTrue();
        assertThat(model.calls.get()).isEqualTo(3);
        assertThat(r.stepsRun()).isEqualTo(3);
        assertThat(Arrays.stream(r.canvas()).filter(t -> t == CharTokenizer.MASK).count()).isEqualTo(32 - 6);
    }

    @Test void deterministicRequestsShareOneRunAndSampledOnesRunAlone() {
        AnswerDenoiser model = new AnswerDenoiser(32);
        LladaEngine engine = new LladaEngine("answer", org.unmask.api.UnmaskModel.of(model, java.util.Optional.of(new CharTokenizer())), 4);
        List<GenerationResult> rs = engine.generateBatch(List.of(
                new GenerationJob(request(new int[]{1, 40, 41, 42}, 0, 0), null, null),
                new GenerationJob(request(new int[]{1}, 0, 0), null, null)));
        assertThat(rs).allSatisfy(r -> assertThat(r.canvas()).containsExactly(model.answer));
        int batchedCalls = model.calls.getAndSet(0);
        assertThat(model.rowsSeen.getAndSet(0)).isEqualTo(2 * batchedCalls);
        engine.generateBatch(List.of(new GenerationJob(request(new int[]{1, 40}, 0.8, 1), null, null),
                new GenerationJob(request(new int[]{1, 40}, 0.8, 2), null, null)));
        assertThat(model.rowsSeen.get()).isEqualTo(model.calls.get());   // two single-row runs
    }

    @Test void servesTheAnswerOverHttp() throws Exception {
        LladaEngine engine = new LladaEngine("answer", org.unmask.api.UnmaskModel.of(new AnswerDenoiser(32), java.util.Optional.of(new CharTokenizer())), 4);
        try (UnmaskServer server = UnmaskServer.start(engine, ChatTemplate.llada(),
                new ServerOptions("127.0.0.1", 0, 4, 4, 1 << 16))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(server.url() + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":32,\"steps\":16,"
                            + "\"block_length\":16}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            var body = new ObjectMapper().readTree(r.body());
            assertThat(body.get("choices").get(0).get("message").get("content").asText()).isEqualTo(ANSWER);
            assertThat(body.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        }
    }
}
