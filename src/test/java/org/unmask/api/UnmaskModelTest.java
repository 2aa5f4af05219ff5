package org.unmask.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.diffusion.Likelihood;
import org.unmask.diffusion.SampleResult;
import org.unmask.diffusion.Sampler;
import org.unmask.diffusion.StepEvent;
import org.unmask.model.ModelConfig;
import org.unmask.model.io.Checkpoint;
import org.unmask.model.io.RandomInit;
import org.unmask.model.tensor.DType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UnmaskModelTest {
    static final ModelConfig CONFIG = new ModelConfig(32, 2, 4, 2, 48, 64, 64, 128, 10000.0, 1e-5, false, 2, 0, 0, 1);

    static UnmaskModel write(Path dir) throws Exception {
        Checkpoint.saveSources(dir, CONFIG, RandomInit.tensors(CONFIG, 7), DType.F32, 1L << 30, null);
        return UnmaskModel.load(dir);
    }

    @Test void generatesWhatTheSamplerGivesAndStreamsEveryStep(@TempDir Path dir) throws Exception {
        UnmaskModel m = write(dir);
        assertThat(m.config()).isEqualTo(CONFIG);
        assertThat(m.directory()).contains(dir);
        int[] prompt = {1, 9, 14, 30};
        List<StepEvent> events = new ArrayList<>();
        Generation g = m.generate(prompt, m.sampling().genLength(16).blockLength(8).steps(8), events::add);
        SampleResult direct = new Sampler(m.denoiser(), m.sampling().genLength(16).blockLength(8).steps(8).build()).generate(prompt);
        assertThat(g.tokens()).containsExactly(direct.generated(0));
        assertThat(g.canvas()).containsExactly(direct.sequences()[0]);
        assertThat(g.steps()).isEqualTo(8);
        assertThat(events).hasSize(8);
        assertThat(events.getLast().rows().getFirst().canvas()).containsExactly(g.canvas());
        assertThat(g.text()).isEmpty();   // no tokenizer.json in this directory
    }

    @Test void concurrentCallersGetWhatTheyWouldGetAlone(@TempDir Path dir) throws Exception {
        UnmaskModel m = write(dir);
        List<int[]> prompts = List.of(new int[] {1, 5}, new int[] {1, 6, 7}, new int[] {1, 40, 41, 42}, new int[] {3});
        List<int[]> alone = new ArrayList<>();
        for (int[] p : prompts) alone.add(m.generate(p, m.sampling().genLength(8).temperature(0.8).seed(11), null).tokens());
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<int[]>> fs = new ArrayList<>();
            for (int[] p : prompts) fs.add(pool.submit(() -> m.generate(p, m.sampling().genLength(8).temperature(0.8).seed(11), null).tokens()));
            for (int i = 0; i < prompts.size(); i++) assertThat(fs.get(i).get()).containsExactly(alone.get(i));
        }
    }

    @Test void infillKeepsTheTextAndFillsEveryMask(@TempDir Path dir) throws Exception {
        UnmaskModel m = write(dir);
        int[] canvas = {1, 7, 2, 2, 9, 2};
        Generation g = m.infill(canvas, m.sampling(), null);
        assertThat(g.tokens()).hasSize(6).doesNotContain(2);
        assertThat(g.steps()).isEqualTo(3);   // one step per mask by default
        assertThat(g.tokens()[0]).isEqualTo(1);
        assertThat(g.tokens()[1]).isEqualTo(7);
        assertThat(g.tokens()[4]).isEqualTo(9);
        assertThatThrownBy(() -> m.infill(new int[] {1, 7}, m.sampling(), null)).hasMessageContaining("nothing to fill");
    }

    @Test void scoreOfOneTokenIsTheExactLogSoftmax(@TempDir Path dir) throws Exception {
        UnmaskModel m = write(dir);
        int[] prompt = {1, 8, 9};
        float[] logits = m.denoiser().logits(new int[] {1, 8, 9, 2}, 1, 4, null, new int[] {3});
        double exact = Likelihood.logSoftmax(logits, 0, 64, 33);
        assertThat(m.score(prompt, new int[] {33}, 1, 1, 0, 5)).isEqualTo(exact);
    }

    @Test void aModelWithoutTokenizerRefusesTextAndSaysWhy(@TempDir Path dir) throws Exception {
        UnmaskModel m = write(dir);
        assertThatThrownBy(() -> m.generate("hello", m.sampling().genLength(4), null))
                .hasMessageContaining("tokenizer.json").hasMessageContaining("token ids");
        assertThatThrownBy(() -> UnmaskModel.load(dir.resolve("nope"))).hasMessageContaining("does not exist");
        assertThat(UnmaskModel.of(m.denoiser(), Optional.empty()).eotId()).isEqualTo(-1);
    }

    @Test void chatRendersTheTemplateAndCutsTheAnswerAtTheEndOfTurn() {
        var tok = new org.unmask.cli.CharTokenizer();
        // EOS is strongly preferred from relative offset 30 on, so the answer ends inside the canvas
        var fake = new org.unmask.diffusion.FakeDenoiser(org.unmask.diffusion.FakeDenoiser.config(192, 256), 3, 30, 4f);
        UnmaskModel m = UnmaskModel.of(fake, Optional.of(tok));
        var conversation = List.of(new org.unmask.text.ChatMessage("user", "Hi"));
        Generation g = m.chat(conversation, m.sampling().genLength(32), null);
        int[] prompt = tok.encode(m.chatTemplate().prompt(conversation), false);
        assertThat(java.util.Arrays.copyOf(g.canvas(), prompt.length)).containsExactly(prompt);
        assertThat(g.tokens()).doesNotContain(fake.config().eosTokenId());
        assertThat(g.tokens().length).isLessThan(32);
        assertThat(g.text()).isEqualTo(tok.decode(g.tokens(), true));
    }

    /** The README's example, line for line, on a stand-in model: the documented calls exist and do what it says. */
    @Test void theReadmeExampleRuns() {
        var fake = new org.unmask.diffusion.FakeDenoiser(org.unmask.diffusion.FakeDenoiser.config(192, 256), 5, 60, 4f);
        UnmaskModel model = UnmaskModel.of(fake, Optional.of(new org.unmask.cli.CharTokenizer()));
        List<Integer> steps = new ArrayList<>();
        Generation g = model.generate("And God said,",
                model.sampling().genLength(64).blockLength(16).threshold(0.9),
                event -> steps.add(event.step()));
        assertThat(g.tokens()).hasSize(64);
        assertThat(steps).isNotEmpty().hasSize(g.steps());
        Generation filled = model.infill("The [MASK:3] sat on the mat.", model.sampling(), null);
        var tok = model.tokenizer().orElseThrow();   // the toy tokenizer folds characters, so compare through it
        assertThat(filled.tokens()).hasSize(3 + 3 + 16).doesNotContain(fake.config().maskTokenId());
        assertThat(filled.text()).startsWith(tok.decode(tok.encode("The", false), true))
                .endsWith(tok.decode(tok.encode(" sat on the mat.", false), true));
        Generation answer = model.chat(List.of(new org.unmask.text.ChatMessage("user", "Who made the light?")),
                model.sampling().genLength(48), null);
        assertThat(answer.tokens().length).isLessThanOrEqualTo(48);
        double logp = model.score("In the beginning", " God created", 64, 16, 0, 0);
        assertThat(logp).isNegative().isFinite();
        assertThatThrownBy(() -> model.generate("x", model.sampling().genLength(64).blockLength(10), null))
                .isInstanceOfSatisfying(org.unmask.diffusion.InvalidSettingException.class, e -> {
                    assertThat(e.setting()).isEqualTo(org.unmask.diffusion.Setting.BLOCK_LENGTH);
                    assertThat(e.message(org.unmask.diffusion.Setting::flag)).contains("--block-length");
                    assertThat(e.message(org.unmask.diffusion.Setting::key)).contains("block_length");
                });
    }
}
