package org.unmask.diffusion;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CommitRuleTest {
    @Test
    void eachFamilyHasItsOwnRule() {
        RunState state = new RunState(List.of(new int[]{1, 7}), SamplerTest.cfg(8, 8, 8).build(), FakeDenoiser.config(16, 64));
        Block block = new Block(0, 2, 10);
        RemdmConfig.Schedule cap = RemdmConfig.Schedule.CAP;
        assertThat(rule(SamplerTest.cfg(8, 8, 8), block, state)).isInstanceOf(LladaQuota.class);
        assertThat(rule(SamplerTest.cfg(8, 8, 8).remasking(Remasking.RANDOM), block, state)).isInstanceOf(LladaQuota.class);
        assertThat(rule(SamplerTest.cfg(8, 8, 8).remdm(new RemdmConfig(cap, 0.1, 1)), block, state)).isInstanceOf(RemdmSwitch.class);
        assertThat(rule(SamplerTest.cfg(8, 8, 8).remdm(new RemdmConfig(cap, 0.1, 0.5, true)), block, state)).isInstanceOf(RemdmLoop.class);
        assertThat(rule(SamplerTest.cfg(8, 8, 8).remasking(Remasking.ENTROPY), block, state)).isInstanceOf(DreamSchedule.class);
        assertThat(rule(SamplerTest.cfg(8, 8, 8).remasking(Remasking.ORIGIN), block, state)).isInstanceOf(DreamSchedule.class);
        assertThat(rule(SamplerTest.cfg(8, 8, 8).threshold(0.9), block, state)).isInstanceOf(FastDllm.class);
        assertThat(rule(SamplerTest.cfg(8, 8, 8).remasking(Remasking.MASKGIT_PLUS).factor(1), block, state))
                .isInstanceOf(FastDllm.class);
    }

    @Test
    void theQuotaIsFixedAtTheBlockStartAndRunsForTheBlocksSteps() {
        RunState state = new RunState(List.of(new int[]{1, 7}), SamplerTest.cfg(5, 8, 5).build(), FakeDenoiser.config(16, 64));
        LladaQuota quota = new LladaQuota(8, new Block(0, 2, 7), state, true);
        int steps = 0;
        while (quota.nextStep()) {
            // 5 masks over 8 steps: [1,1,1,1,1,0,0,0]; under early stop the zero-quota steps need no forward
            assertThat(quota.joins(0)).isEqualTo(steps < 5);
            assertThat(quota.quota(0)).isEqualTo(steps < 5 ? 1 : 0);
            steps++;
        }
        assertThat(steps).isEqualTo(8);
        assertThat(quota.initialMasks(0)).isEqualTo(5);
    }

    private static CommitRule rule(SamplerConfig.Builder b, Block block, RunState state) {
        return CommitRule.forBlock(b.build(), block, state);
    }
}
