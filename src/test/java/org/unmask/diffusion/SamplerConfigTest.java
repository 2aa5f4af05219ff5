package org.unmask.diffusion;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerConfigTest {
    static SamplerConfig.Builder cfg(int gen, int steps, int block) {
        return SamplerConfig.builder(gen, steps, block).specialIds(2, 0, -1);
    }

    static InvalidSettingException rejected(SamplerConfig.Builder b) {
        try {
            b.build();
        } catch (InvalidSettingException e) {
            return e;
        }
        throw new AssertionError("accepted " + b.build());
    }

    @Test void errorsNameTheSettingInEachEdgesSpelling() {
        InvalidSettingException e = rejected(cfg(30, 8, 8));
        assertThat(e.setting()).isEqualTo(Setting.BLOCK_LENGTH);
        assertThat(e.message(Setting::flag)).isEqualTo("--gen-length (30) must be a multiple of --block-length (8)");
        assertThat(e.message(Setting::key)).isEqualTo("gen_length (30) must be a multiple of block_length (8)");
        assertThat(e.getMessage()).isEqualTo(e.message(Setting::key));
        InvalidSettingException t = rejected(cfg(32, 32, 8).threshold(0.9).remasking(Remasking.RANDOM));
        assertThat(t.setting()).isEqualTo(Setting.THRESHOLD);
        assertThat(t.message(Setting::flag)).startsWith("--threshold/--factor need").contains("--remasking");
        assertThat(rejected(cfg(32, 8, 8).topK(3)).setting()).isEqualTo(Setting.TOP_K);
        assertThat(rejected(cfg(32, 8, 8).temperature(-1)).setting()).isEqualTo(Setting.TEMPERATURE);
        assertThatThrownBy(() -> Remasking.parse("greedy")).isInstanceOfSatisfying(InvalidSettingException.class,
                x -> assertThat(x.message(Setting::flag)).contains("--remasking").contains("maskgit_plus"));
        assertThatThrownBy(() -> new RemdmConfig(RemdmConfig.Schedule.CAP, 2, 1)).isInstanceOfSatisfying(InvalidSettingException.class,
                x -> assertThat(x.setting()).isEqualTo(Setting.REMDM_ETA));
    }

    @Test void zeroTurnsThresholdAndFactorOffEverywhere() {
        SamplerConfig off = cfg(32, 32, 8).threshold(0).factor(0).build();
        assertThat(off.parallelDecoding()).isFalse();
        assertThat(off).isEqualTo(cfg(32, 32, 8).build());
        // with parallel decoding off, random remasking is fine even if a client sent threshold 0
        assertThat(cfg(32, 32, 8).threshold(0).remasking(Remasking.RANDOM).build().remasking()).isEqualTo(Remasking.RANDOM);
        assertThat(cfg(32, 32, 8).threshold(0.9).build().parallelDecoding()).isTrue();
        assertThat(rejected(cfg(32, 32, 8).threshold(-0.5)).setting()).isEqualTo(Setting.THRESHOLD);
        assertThat(rejected(cfg(32, 32, 8).threshold(1.5)).setting()).isEqualTo(Setting.THRESHOLD);
    }

    @Test void flagsAndJsonFieldsFollowTheNeutralNames() {
        assertThat(Setting.BLOCK_LENGTH.flag()).isEqualTo("--block-length");
        assertThat(Setting.CFG_SCALE.key()).isEqualTo("cfg_scale");
        assertThat(Setting.CONFIDENCE_EOS_EOT_INF.flag()).isEqualTo("--confidence-eos-eot-inf");
    }

    @Test void guidanceWeightsThatOverflowFloatLogitsAreRejected() {
        assertThat(rejected(cfg(8, 8, 8).cfgScale(1e300)).setting()).isEqualTo(Setting.CFG_SCALE);
        assertThat(cfg(8, 8, 8).cfgScale(SamplerConfig.MAX_CFG_SCALE).build().cfgScale()).isEqualTo(SamplerConfig.MAX_CFG_SCALE);
    }

    @Test void deterministicSettingsAreThoseWhereTheSeedDecidesNothing() {
        assertThat(cfg(8, 8, 8).build().deterministic()).isTrue();
        assertThat(cfg(8, 8, 8).threshold(0.9).cfgScale(2).build().deterministic()).isTrue();
        assertThat(cfg(8, 8, 8).temperature(0.5).build().deterministic()).isFalse();
        assertThat(cfg(8, 8, 8).remasking(Remasking.RANDOM).build().deterministic()).isFalse();
        assertThat(cfg(8, 8, 8).remasking(Remasking.ORIGIN).build().deterministic()).isFalse();
        assertThat(cfg(8, 8, 8).remasking(Remasking.ENTROPY).algTemp(0.3).build().deterministic()).isFalse();
        assertThat(cfg(8, 8, 8).remdm(new RemdmConfig(RemdmConfig.Schedule.CAP, 0.1, 1)).build().deterministic()).isFalse();
        assertThat(cfg(8, 8, 8).seed(5).build().toBuilder().seed(0).build()).isEqualTo(cfg(8, 8, 8).build());
    }

    @Test void blockCausalSettingsAreValidatedOnce() {
        SamplerConfig c = cfg(10, 32, 4).blockCausal(true).threshold(0.95).build();
        assertThat(c.stepsPerBlock()).as("capped at the gen length").isEqualTo(10);
        assertThat(c.parallelDecoding()).as("its threshold is LLaDA 2.x's, not Fast-dLLM's").isFalse();
        assertThat(cfg(64, 16, 32).blockCausal(true).build().stepsPerBlock()).as("steps are per block").isEqualTo(16);
        assertThat(SamplerConfig.builder().genLength(64).blockLength(32).blockCausal(true).specialIds(2, 0, -1).build()
                .stepsPerBlock()).as("default: one step per block position").isEqualTo(32);
        assertThat(rejected(cfg(0, 4, 4).blockCausal(true)).setting()).isEqualTo(Setting.BLOCK_CAUSAL);
        assertThat(rejected(cfg(8, 4, 4).blockCausal(true).factor(1)).setting()).isEqualTo(Setting.FACTOR);
        InvalidSettingException random = rejected(cfg(8, 4, 4).blockCausal(true).remasking(Remasking.RANDOM));
        assertThat(random.setting()).isEqualTo(Setting.REMASKING);
        assertThat(random.message(Setting::flag)).contains("--block-causal").contains("--remasking");
        assertThat(rejected(cfg(8, 4, 4).blockCausal(true).remdm(new RemdmConfig(RemdmConfig.Schedule.CAP, 0.1, 1))).setting())
                .isEqualTo(Setting.REMDM);
        InvalidSettingException editing = rejected(cfg(8, 8, 4).editing(new EditingConfig(0.9, 16)));
        assertThat(editing.setting()).isEqualTo(Setting.EDITING_THRESHOLD);
        assertThat(editing.message(Setting::flag)).isEqualTo("--editing-threshold applies to --block-causal generation (LLaDA 2.1)");
        assertThat(cfg(8, 4, 4).blockCausal(true).remasking(Remasking.MASKGIT_PLUS).topP(0.9).editing(new EditingConfig(0.9, 0))
                .build().toBuilder().build().editing()).isEqualTo(new EditingConfig(0.9, 0));
    }

    @Test void editingSettingsFollowTheEdgeConventions() {
        assertThat(EditingConfig.of(null, null)).isNull();
        assertThat(EditingConfig.of(0.0, null)).as("0 = off, as for every threshold").isNull();
        assertThat(EditingConfig.of(0.9, null)).isEqualTo(new EditingConfig(0.9, EditingConfig.DEFAULT_MAX_POST_STEPS));
        assertThatThrownBy(() -> EditingConfig.of(null, 4)).isInstanceOfSatisfying(InvalidSettingException.class,
                x -> assertThat(x.message(Setting::key)).isEqualTo("max_post_steps applies to token editing; set editing_threshold"));
        assertThatThrownBy(() -> new EditingConfig(1.5, 4)).isInstanceOfSatisfying(InvalidSettingException.class,
                x -> assertThat(x.setting()).isEqualTo(Setting.EDITING_THRESHOLD));
        assertThatThrownBy(() -> new EditingConfig(0.5, -1)).isInstanceOfSatisfying(InvalidSettingException.class,
                x -> assertThat(x.setting()).isEqualTo(Setting.MAX_POST_STEPS));
        assertThat(Setting.BLOCK_CAUSAL.flag()).isEqualTo("--block-causal");
        assertThat(Setting.MAX_POST_STEPS.key()).isEqualTo("max_post_steps");
    }

    @Test void llada2FamilyDefaultsAreItsBlockCausalThresholdRuleUnlessTheUserSaysOtherwise() {
        var d = org.unmask.model.GenerationDefaults.LLADA2;
        SamplerConfig c = SamplerConfig.builder().genLength(80).defaults(d).specialIds(2, 0, -1).build();
        assertThat(c.blockCausal()).isTrue();
        assertThat(c.blockLength()).isEqualTo(32);
        assertThat(c.steps()).isEqualTo(32);   // per block
        assertThat(c.threshold()).isEqualTo(0.95);
        assertThat(c.remasking()).isEqualTo(Remasking.LOW_CONFIDENCE);
        // the user's settings win over the family's
        SamplerConfig plain = SamplerConfig.builder().genLength(64).defaults(d).blockCausal(false).specialIds(2, 0, -1)
                .fallbackShape(64, 16).build();
        assertThat(plain.blockCausal()).isFalse();
        assertThat(plain.blockLength()).isEqualTo(16);
        assertThat(plain.steps()).isEqualTo(64);
        assertThat(plain.parallelDecoding()).as("the family threshold belongs to its block-causal rule").isFalse();
        assertThat(SamplerConfig.builder().genLength(64).defaults(d).threshold(0).specialIds(2, 0, -1).build().threshold()).isNaN();
        assertThat(SamplerConfig.builder().genLength(64).defaults(d).threshold(0.7).blockLength(8).steps(4)
                .specialIds(2, 0, -1).build()).satisfies(x -> {
            assertThat(x.threshold()).isEqualTo(0.7);
            assertThat(x.blockLength()).isEqualTo(8);
            assertThat(x.steps()).isEqualTo(4);
        });
        // LLaDA's and Dream's defaults are untouched: the edge's shape applies
        SamplerConfig llada = SamplerConfig.builder().genLength(64).fallbackShape(64, 32).specialIds(2, 0, -1).build();
        assertThat(llada.blockCausal()).isFalse();
        assertThat(llada.blockLength()).isEqualTo(32);
        assertThat(llada.steps()).isEqualTo(64);
        assertThat(llada.threshold()).isNaN();
    }

    @Test void aModelsOwnBlockLengthShrinksToADivisorOfTheGenerationTheUserAsksFor() {
        // the shipped model's generation_config.json: semi-autoregressive blocks of 4
        var d = new org.unmask.model.GenerationDefaults("low_confidence", 0.9, 1, 0, 0, 1e-3, false, false, 4, 0, false);
        java.util.function.IntFunction<SamplerConfig.Builder> gen = n -> SamplerConfig.builder().genLength(n).defaults(d)
                .specialIds(2, 0, -1);
        assertThat(gen.apply(64).build().blockLength()).isEqualTo(4);
        for (int n : new int[] {1, 2, 3, 5, 6, 7, 10, 50, 53, 99}) {
            SamplerConfig c = gen.apply(n).build();
            int expected = 1;
            for (int b = 2; b <= Math.min(4, n); b++) if (n % b == 0) expected = b;
            assertThat(c.blockLength()).as("gen %d", n).isEqualTo(expected);
            assertThat(c.steps()).as("one step per token").isEqualTo(n);
            assertThat(c.blocks() * c.blockLength()).isEqualTo(n);
        }
        // the user's steps choose among the lengths
        assertThat(gen.apply(48).steps(16).build().blockLength()).as("12 blocks of 4 cannot share 16 steps; 16 of 3 can")
                .isEqualTo(3);
        assertThat(gen.apply(50).steps(25).build().blockLength()).isEqualTo(2);
        InvalidSettingException e = rejected(gen.apply(50).steps(10));
        assertThat(e.setting()).isEqualTo(Setting.STEPS);
        assertThat(e.message(Setting::flag)).isEqualTo("--steps (10) do not split evenly over the blocks of any block length"
                + " up to the model's default (4) that divides --gen-length (50); choose other --steps or set --block-length");
        // a block length the user gives is taken as given
        InvalidSettingException given = rejected(gen.apply(50).blockLength(4));
        assertThat(given.setting()).isEqualTo(Setting.BLOCK_LENGTH);
        // and block-causal defaults pad the canvas to whole blocks instead
        var aligned = new org.unmask.model.GenerationDefaults("low_confidence", 0, 1, 0, 0, 1e-3, false, true, 4, 0, false);
        assertThat(SamplerConfig.builder().genLength(50).defaults(aligned).specialIds(2, 0, -1).build().blockLength()).isEqualTo(4);
    }

    @Test void theCacheDefaultsToDualWhenMoreThanOneBlockIsDecoded() {
        assertThat(cfg(32, 32, 8).build().cache()).isEqualTo(CacheMode.DUAL);
        assertThat(cfg(32, 32, 32).build().cache()).isEqualTo(CacheMode.NONE);
        assertThat(cfg(32, 8, 32).blockCausal(true).build().cache()).isEqualTo(CacheMode.DUAL);
        assertThat(cfg(32, 32, 8).cache(CacheMode.PREFIX).build().cache()).isEqualTo(CacheMode.PREFIX);
        assertThat(cfg(32, 32, 8).cache(CacheMode.PREFIX).build().toBuilder().build().cache()).isEqualTo(CacheMode.PREFIX);
        InvalidSettingException e = assertThatThrownByParse("lru");
        assertThat(e.message(Setting::flag)).isEqualTo("unknown --cache 'lru'; expected one of none, prefix, dual, delayed");
    }

    private static InvalidSettingException assertThatThrownByParse(String s) {
        try {
            CacheMode.parse(s);
        } catch (InvalidSettingException e) {
            return e;
        }
        throw new AssertionError("parsed " + s);
    }

    @Test void anEdgesFallbackThresholdAppliesToLladasRuleOnly() {
        SamplerConfig.Builder chat = cfg(32, 32, 8).fallbackThreshold(SamplerConfig.FAST_DLLM_THRESHOLD);
        assertThat(chat.build().threshold()).isEqualTo(0.9);
        assertThat(chat.build().parallelDecoding()).isTrue();
        // the user's choice wins, including "off"
        assertThat(cfg(32, 32, 8).fallbackThreshold(0.9).threshold(0.7).build().threshold()).isEqualTo(0.7);
        assertThat(cfg(32, 32, 8).fallbackThreshold(0.9).threshold(0).build().parallelDecoding()).isFalse();
        assertThat(cfg(32, 32, 8).fallbackThreshold(0.9).factor(1.0).build().threshold()).isNaN();
        // Dream's algorithms, random remasking, ReMDM and LLaDA 2.x keep their own rules
        assertThat(cfg(32, 32, 8).fallbackThreshold(0.9).defaults(org.unmask.model.GenerationDefaults.DREAM).build().threshold()).isNaN();
        assertThat(cfg(32, 32, 8).fallbackThreshold(0.9).remasking(Remasking.RANDOM).build().threshold()).isNaN();
        assertThat(cfg(32, 32, 8).fallbackThreshold(0.9).defaults(org.unmask.model.GenerationDefaults.LLADA2).build().threshold()).isEqualTo(0.95);
    }
}
