package org.unmask.diffusion;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the step loop tells a {@link StepModel}: the changes since it last saw each row, and the block bounds. */
class StepModelTest {
    static final int V = 16, MASK = SamplerTest.MASK, EOS = SamplerTest.EOS;
    static final int[] PROMPT = {1, 7, 9, 12, 4};

    static SamplerConfig.Builder cfg(int gen, int steps, int block) { return SamplerTest.cfg(gen, steps, block); }

    /** Runs {@code c} over {@code prompts}, recording the model's calls and the step events. */
    static Run run(FakeDenoiser m, SamplerConfig c, List<int[]> prompts) {
        RecordingStepModel model = new RecordingStepModel(m);
        List<StepEvent> events = new ArrayList<>();
        SampleResult result = new Sampler(model, c).generate(prompts, events::add);
        return new Run(model.calls, events, result);
    }

    record Run(List<RecordingStepModel.Call> calls, List<StepEvent> events, SampleResult result) {}

    /**
     * Replays the calls: for each run row the model must get null the first time and afterwards exactly the positions
     * where that row's canvas differs from the one it was last given. Returns how many changed positions went from a
     * token to a mask (re-masks) in total.
     */
    static int assertChangesAreExactDiffs(List<RecordingStepModel.Call> calls) {
        Map<Integer, int[]> last = new HashMap<>();
        int remasks = 0;
        for (RecordingStepModel.Call call : calls) {
            for (int j = 0; j < call.batch(); j++) {
                int[] now = Arrays.copyOfRange(call.ids(), j * call.seqLen(), (j + 1) * call.seqLen());
                int[] before = last.put(call.batchRows()[j], now);
                if (before == null) {
                    assertThat(call.changed()[j]).as("first sight of row %d", call.batchRows()[j]).isNull();
                    continue;
                }
                List<Integer> diff = new ArrayList<>();
                for (int t = 0; t < now.length; t++) {
                    if (now[t] == before[t]) continue;
                    diff.add(t);
                    if (now[t] == MASK) remasks++;
                }
                assertThat(call.changed()[j]).as("row %d", call.batchRows()[j])
                        .containsExactly(diff.stream().mapToInt(Integer::intValue).toArray());
            }
        }
        return remasks;
    }

    @Test
    void changesAreTheDiffSinceTheModelLastSawEachRow() {
        FakeDenoiser plain = new FakeDenoiser(V, 31);
        FakeDenoiser eosAfter = new FakeDenoiser(FakeDenoiser.config(V, 4096), 14, PROMPT.length + 7, 4f);
        List<int[]> batch = List.of(PROMPT, new int[]{1, 3}, new int[]{1, 6, 6, 14});
        // every family, with re-masks after and before the forward, guidance, infilling and batches
        for (SamplerConfig c : List.of(cfg(16, 8, 8).build(), cfg(16, 16, 4).temperature(0.7).seed(2).build(),
                cfg(16, 8, 8).remdm(new RemdmConfig(RemdmConfig.Schedule.CONF, 0.8, 1)).temperature(1).seed(3).build(),
                cfg(16, 16, 8).remdm(new RemdmConfig(RemdmConfig.Schedule.CAP, 0.6, 0.5, true)).temperature(1).seed(4).build(),
                cfg(16, 8, 16).remasking(Remasking.ORIGIN).temperature(1).seed(5).build(),
                cfg(16, 8, 8).remasking(Remasking.ENTROPY).build(), cfg(16, 16, 8).threshold(0.3).build(),
                cfg(16, 8, 8).factor(2).cfgScale(1.5).build(), cfg(16, 8, 8).cfgScale(0.5).earlyStop(true).build())) {
            Run r = run(plain, c, batch);
            int remasks = assertChangesAreExactDiffs(r.calls());
            if (c.remdm() != null) assertThat(remasks).as("%s re-masks", c).isPositive();
            Run infill = run(plain, c, List.of(new int[]{1, MASK, MASK, 5, MASK}, new int[]{MASK, 9}));
            assertChangesAreExactDiffs(infill.calls());
        }
        // early stop: rows fill with EOS and drop out, and the rest keep getting exact diffs
        Run r = run(eosAfter, cfg(64, 64, 8).earlyStop(true).build(), List.of(PROMPT, new int[]{1, 3}));
        assertChangesAreExactDiffs(r.calls());
        assertThat(r.events()).anySatisfy(e -> assertThat(e.rows()).anySatisfy(row -> assertThat(row.filled()).isNotEmpty()));
        assertThat(r.calls()).anySatisfy(call -> assertThat(call.batch()).isEqualTo(1));
        for (StepEvent e : r.events())
            for (StepEvent.RowStep row : e.rows())
                if (row.filled().length > 0) {
                    // a settled row costs no further forward passes
                    int callsAfter = (int) r.calls().stream().skip(e.step() + 1)
                            .filter(call -> Arrays.stream(call.batchRows()).anyMatch(b -> b == row.row())).count();
                    assertThat(callsAfter).isZero();
                }
    }

    @Test
    void aRowThatSitsStepsOutGetsEverythingThatChangedSinceItsLastForward() {
        // row 1 has 4 masks for 8 steps: under early stop it sits out the zero-quota steps 4..7 of block 0, so its
        // commit of step 3 reaches the model only with its first forward of block 1
        List<int[]> prompts = List.of(new int[]{1, 7, MASK, MASK, MASK, 9}, new int[]{1, 4, 6});
        Run r = run(new FakeDenoiser(V, 32), cfg(8, 16, 4).earlyStop(true).build(), prompts);
        assertChangesAreExactDiffs(r.calls());
        RecordingStepModel.Call rejoin = r.calls().get(7);
        assertThat(rejoin.block().index()).isEqualTo(1);
        assertThat(rejoin.batchRows()).containsExactly(0, 1);
        int[] committedAtStep3 = r.events().get(3).rows().get(1).positions();
        int pad = 3;   // row 1 is left-padded by 3 to the longer prompt
        assertThat(rejoin.changed()[1]).hasSize(committedAtStep3.length).containsExactly(
                Arrays.stream(committedAtStep3).map(p -> p + pad).toArray());
        for (int i = 4; i < 7; i++) assertThat(r.calls().get(i).batchRows()).containsExactly(0);
    }

    @Test
    void guidanceShowsUnconditionalCopiesAsFurtherRunRows() {
        List<int[]> prompts = List.of(PROMPT, new int[]{1, 3});
        Run r = run(new FakeDenoiser(V, 33), cfg(16, 8, 8).cfgScale(1.5).build(), prompts);
        assertChangesAreExactDiffs(r.calls());
        for (RecordingStepModel.Call call : r.calls()) {
            int half = call.batch() / 2;
            assertThat(call.rows()).hasSize(2 * (call.rows().length / 2));
            for (int j = 0; j < half; j++) {
                assertThat(call.batchRows()[half + j]).isEqualTo(prompts.size() + call.batchRows()[j]);
                for (int t = 0; t < PROMPT.length; t++) assertThat(call.ids()[(half + j) * call.seqLen() + t]).isEqualTo(MASK);
            }
        }
    }

    @Test
    void blockBoundsFollowThePromptEndAndTheBlockLength() {
        List<int[]> prompts = List.of(new int[]{1, 4}, PROMPT);   // the prompt region ends at 5 after left padding
        for (SamplerConfig c : List.of(cfg(16, 8, 4).build(), cfg(16, 16, 8).threshold(0.5).build(),
                cfg(16, 8, 4).remasking(Remasking.MASKGIT_PLUS).build(),
                cfg(16, 8, 8).remdm(new RemdmConfig(RemdmConfig.Schedule.RESCALE, 0.5, 0.5, true)).build())) {
            Run r = run(new FakeDenoiser(V, 34), c, prompts);
            assertThat(r.calls()).hasSize(r.events().size());
            for (int i = 0; i < r.calls().size(); i++) {
                RecordingStepModel.Call call = r.calls().get(i);
                int k = r.events().get(i).block();
                assertThat(call.block()).as("%s call %d", c, i)
                        .isEqualTo(new Block(k, 5 + k * c.blockLength(), 5 + (k + 1) * c.blockLength()));
                for (int flat : call.rows()) {
                    assertThat(flat % call.seqLen()).isLessThan(call.block().end());
                    assertThat(call.ids()[flat]).isEqualTo(MASK);
                }
            }
            assertThat(r.calls().getLast().block().index()).isEqualTo(c.blocks() - 1);
        }
        Run infill = run(new FakeDenoiser(V, 35), cfg(0, 3, 1).build(), List.of(new int[]{1, MASK, 7, MASK, MASK}));
        for (RecordingStepModel.Call call : infill.calls()) assertThat(call.block()).isEqualTo(new Block(0, 0, 5));
    }

    @Test
    void aFactoryGivesEachRunItsOwnModelAndMatchesThePlainDenoiser() {
        FakeDenoiser m = new FakeDenoiser(V, 36);
        RecordingStepModel factory = new RecordingStepModel(m);
        Sampler s = new Sampler(factory, cfg(16, 8, 8).temperature(0.8).seed(7).build());
        SampleResult a = s.generate(PROMPT), b = s.generate(PROMPT);
        assertThat(factory.runs).isEqualTo(2);
        assertThat(a.sequences()).isDeepEqualTo(b.sequences())
                .isDeepEqualTo(new Sampler(m, cfg(16, 8, 8).temperature(0.8).seed(7).build()).generate(PROMPT).sequences());
        // the second run starts from scratch: its first call sees every row for the first time
        assertThat(Arrays.asList(factory.calls.get(a.forwardPasses()).changed())).containsOnlyNulls();
    }
}
