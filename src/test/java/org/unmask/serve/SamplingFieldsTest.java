package org.unmask.serve;

import org.unmask.text.ChatTemplate;
import org.junit.jupiter.api.Test;
import org.unmask.diffusion.CacheMode;
import org.unmask.diffusion.EditingConfig;
import org.unmask.diffusion.Remasking;
import org.unmask.diffusion.RemdmConfig;
import org.unmask.diffusion.SamplerConfig;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every sampling setting as a JSON field, and the batching rule of the requests they make. */
class SamplingFieldsTest {

    final FakeEngine engine = new FakeEngine("x", 8, 0);
    final RequestParser parser = new RequestParser(engine, ChatTemplate.llada());

    SamplerConfig parse(String fields) {
        String body = "{\"prompt\":\"x\"" + (fields.isEmpty() ? "" : "," + fields) + "}";
        return parser.parse(body.getBytes(StandardCharsets.UTF_8), ParsedRequest.Endpoint.COMPLETIONS).generation().config();
    }

    @Test void everyFieldReachesTheConfig() {
        SamplerConfig dream = parse("\"max_tokens\":64,\"steps\":32,\"block_length\":16,\"remasking\":\"maskgit_plus\","
                + "\"temperature\":0.5,\"cfg_scale\":1.5,\"threshold\":0.8,\"top_p\":0.9,\"top_k\":7,\"alg_temp\":0.25,"
                + "\"eps\":0.01,\"logits_eos_inf\":true,\"seed\":42");
        assertThat(dream).isEqualTo(SamplerConfig.builder(64, 32, 16).remasking(Remasking.MASKGIT_PLUS).temperature(0.5)
                .cfgScale(1.5).threshold(0.8).topP(0.9).topK(7).algTemp(0.25).eps(0.01f).logitsEosInf(true)
                .earlyStop(true).seed(42).specialIds(CharTokenizer.MASK, CharTokenizer.EOS, CharTokenizer.EOT).build());

        SamplerConfig llada = parse("\"max_tokens\":32,\"steps\":32,\"block_length\":16,\"remasking\":\"random\","
                + "\"factor\":0,\"threshold\":0,\"confidence_eos_eot_inf\":false,\"remdm\":\"conf\",\"remdm_eta\":0.1,"
                + "\"remdm_window\":0.5,\"remdm_loop\":true,\"seed\":-3");
        assertThat(llada.remasking()).isEqualTo(Remasking.RANDOM);
        assertThat(llada.parallelDecoding()).as("0 turns threshold and factor off").isFalse();
        assertThat(llada.remdm()).isEqualTo(new RemdmConfig(RemdmConfig.Schedule.CONF, 0.1, 0.5, true));
        assertThat(llada.seed()).isEqualTo(-3);

        SamplerConfig factor = parse("\"max_tokens\":32,\"factor\":2,\"confidence_eos_eot_inf\":true");
        assertThat(factor.factor()).isEqualTo(2);
        assertThat(factor.confidenceEosEotInf()).isTrue();
    }

    @Test void defaultsFollowTheGenerationLength() {
        SamplerConfig c = parse("\"max_tokens\":64,\"remdm\":\"cap\"");
        assertThat(c.steps()).isEqualTo(64);
        assertThat(c.blockLength()).isEqualTo(32);
        assertThat(c.remasking()).isEqualTo(Remasking.LOW_CONFIDENCE);
        assertThat(c.temperature()).isZero();
        assertThat(c.remdm()).isEqualTo(new RemdmConfig(RemdmConfig.Schedule.CAP, 0.02, 1, false));
        assertThat(c.earlyStop()).isTrue();
        assertThat(parse("\"max_tokens\":48").blockLength()).isEqualTo(48);   // 32 does not divide 48
    }

    @Test void aModelsOwnBlockLengthFitsAnyMaxTokens() {
        // the shipped model asks for blocks of 4 (generation_config.json); OpenAI clients send any max_tokens
        var blocksOf4 = new org.unmask.model.GenerationDefaults("low_confidence", 0.9, 1, 0, 0, 1e-3, false, false, 4, 0, false);
        FakeEngine shipped = new FakeEngine("x", 8, 0) {
            @Override public org.unmask.model.GenerationDefaults generationDefaults() { return blocksOf4; }
        };
        RequestParser p = new RequestParser(shipped, ChatTemplate.llada());
        java.util.function.Function<String, SamplerConfig> req = f -> p.parse(("{\"prompt\":\"x\"," + f + "}")
                .getBytes(StandardCharsets.UTF_8), ParsedRequest.Endpoint.COMPLETIONS).generation().config();
        assertThat(req.apply("\"max_tokens\":64").blockLength()).isEqualTo(4);
        assertThat(req.apply("\"max_tokens\":50").blockLength()).isEqualTo(2);
        assertThat(req.apply("\"max_tokens\":7").blockLength()).isEqualTo(1);
        assertThatThrownBy(() -> req.apply("\"max_tokens\":50,\"block_length\":4")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.param()).isEqualTo("block_length"));
    }

    @Test void errorsNameTheField() {
        assertThatThrownBy(() -> parse("\"remdm_eta\":0.5")).isInstanceOfSatisfying(ApiError.class, e -> {
            assertThat(e.param()).isEqualTo("remdm_eta");
            assertThat(e.getMessage()).isEqualTo("remdm_eta applies to ReMDM re-masking; set remdm to cap, rescale or conf");
        });
        assertThatThrownBy(() -> parse("\"top_k\":5")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.param()).isEqualTo("top_k"));
        assertThatThrownBy(() -> parse("\"remdm\":\"sometimes\"")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.getMessage()).contains("remdm", "cap, rescale or conf"));
        assertThatThrownBy(() -> parse("\"steps\":2147483648")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.getMessage()).contains("steps", "2147483647"));
        assertThatThrownBy(() -> parse("\"max_tokens\":16,\"steps\":129")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.getMessage()).contains("at most 8 steps per generated token (128"));
        assertThatThrownBy(() -> parse("\"cfg_scale\":1e300")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.param()).isEqualTo("cfg_scale"));
        assertThatThrownBy(() -> parse("\"temperature\":2.5")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.getMessage()).contains("between 0 and 2"));
    }

    @Test void theCacheIsAFieldAndLladaServesWithFastDllmsThreshold() {
        assertThat(parse("\"max_tokens\":64,\"cache\":\"prefix\"").cache()).isEqualTo(CacheMode.PREFIX);
        SamplerConfig c = parse("\"max_tokens\":64");
        assertThat(c.cache()).isEqualTo(CacheMode.DUAL);
        assertThat(c.threshold()).isEqualTo(SamplerConfig.FAST_DLLM_THRESHOLD);
        assertThat(parse("\"max_tokens\":64,\"threshold\":0").parallelDecoding()).isFalse();
        assertThatThrownBy(() -> parse("\"cache\":\"lru\"")).isInstanceOfSatisfying(ApiError.class, e -> {
            assertThat(e.param()).isEqualTo("cache");
            assertThat(e.getMessage()).isEqualTo("unknown cache 'lru'; expected one of none, prefix, dual, delayed");
        });
    }

    @Test void blockCausalGenerationAndEditingAreFields() {
        SamplerConfig c = parse("\"max_tokens\":40,\"block_causal\":true,\"steps\":32,\"threshold\":0.7,"
                + "\"editing_threshold\":0.5,\"max_post_steps\":8,\"seed\":1");
        assertThat(c).isEqualTo(SamplerConfig.builder(40, 32, 32).blockCausal(true).threshold(0.7)
                .editing(new EditingConfig(0.5, 8)).earlyStop(true).seed(1)
                .specialIds(CharTokenizer.MASK, CharTokenizer.EOS, CharTokenizer.EOT).build());
        assertThat(c.blockLength()).as("32 although it does not divide 40: blocks are padded").isEqualTo(32);
        assertThat(parse("\"max_tokens\":40,\"block_causal\":true,\"editing_threshold\":0.9").editing())
                .isEqualTo(new EditingConfig(0.9, EditingConfig.DEFAULT_MAX_POST_STEPS));
        assertThatThrownBy(() -> parse("\"max_tokens\":40,\"block_causal\":true,\"max_post_steps\":4"))
                .isInstanceOfSatisfying(ApiError.class, e -> {
                    assertThat(e.param()).isEqualTo("max_post_steps");
                    assertThat(e.getMessage()).isEqualTo("max_post_steps applies to token editing; set editing_threshold");
                });
        assertThatThrownBy(() -> parse("\"max_tokens\":32,\"editing_threshold\":0.5")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.getMessage()).isEqualTo("editing_threshold applies to block_causal generation (LLaDA 2.1)"));
        assertThatThrownBy(() -> parse("\"max_tokens\":32,\"block_causal\":true,\"editing_threshold\":0.5,\"max_post_steps\":65"))
                .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.param()).isEqualTo("max_post_steps"));
        assertThatThrownBy(() -> parse("\"block_causal\":\"yes\"")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.param()).isEqualTo("block_causal"));
    }

    GenerationRequest request(String fields) {
        return new GenerationRequest(new int[]{7}, parse(fields), null);
    }

    @Test void onlyDeterministicRequestsWithEqualSettingsBatch() {
        GenerationRequest a = request("\"max_tokens\":32,\"seed\":1");
        assertThat(a.batchesWith(request("\"max_tokens\":32,\"seed\":2"))).as("seeds differ, nothing is drawn").isTrue();
        assertThat(a.batchesWith(request("\"max_tokens\":32,\"cfg_scale\":1"))).isFalse();
        assertThat(a.batchesWith(request("\"max_tokens\":32,\"steps\":16"))).isFalse();
        GenerationRequest dream = request("\"max_tokens\":32,\"remasking\":\"entropy\",\"seed\":5");
        assertThat(dream.deterministic()).isTrue();
        assertThat(dream.batchesWith(request("\"max_tokens\":32,\"remasking\":\"entropy\",\"seed\":6"))).isTrue();
        assertThat(dream.batchesWith(a)).isFalse();
        for (String sampled : new String[]{"\"temperature\":0.5", "\"remasking\":\"random\"", "\"remasking\":\"origin\"",
                "\"remasking\":\"maskgit_plus\",\"alg_temp\":0.5", "\"remdm\":\"cap\""}) {
            GenerationRequest r = request("\"max_tokens\":32,\"seed\":1," + sampled);
            assertThat(r.deterministic()).as(sampled).isFalse();
            assertThat(r.batchesWith(r)).as(sampled + " runs alone, even next to an equal request").isFalse();
        }
    }

    @Test void openAiTopPIsIgnoredByLladaRulesAndUsedByDream() {
        assertThat(parse("\"top_p\":0.9").topP()).isEqualTo(1);
        assertThat(parse("\"top_p\":0.9,\"remasking\":\"random\"").topP()).isEqualTo(1);
        assertThat(parse("\"top_p\":0.9,\"remasking\":\"entropy\"").topP()).isEqualTo(0.9);
        assertThatThrownBy(() -> parse("\"top_p\":\"high\"")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.getMessage()).contains("top_p"));
        assertThatThrownBy(() -> parse("\"top_p\":1.5,\"remasking\":\"entropy\"")).isInstanceOfSatisfying(ApiError.class,
                e -> assertThat(e.getMessage()).contains("top_p"));
    }

    @Test void anLlada2ModelGetsItsBlockCausalDefaultsAndTheFieldsOverrideThem() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var d = org.unmask.model.GenerationDefaults.LLADA2;
        SamplerConfig c = SamplingFields.read(json.readTree("{}"), 80, "max_tokens", engine.vocabulary(), d);
        assertThat(c.blockCausal()).isTrue();
        assertThat(c.blockLength()).isEqualTo(32);
        assertThat(c.steps()).isEqualTo(32);
        assertThat(c.threshold()).isEqualTo(0.95);
        SamplerConfig off = SamplingFields.read(json.readTree("{\"block_causal\":false,\"threshold\":0}"), 64, "max_tokens",
                engine.vocabulary(), d);
        assertThat(off.blockCausal()).isFalse();
        assertThat(off.blockLength()).isEqualTo(32);   // the server's preferred block, as for LLaDA
        assertThat(off.threshold()).isNaN();
    }
}
