package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.diffusion.Remasking;
import org.unmask.diffusion.RemdmConfig;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.serve.CancellationToken;
import org.unmask.serve.ChatConversation;
import org.unmask.text.ChatTemplate;
import org.unmask.serve.GenerationEngine;
import org.unmask.serve.GenerationRequest;
import org.unmask.serve.GenerationResult;
import org.unmask.diffusion.StepListener;
import org.unmask.serve.Vocabulary;
import org.unmask.serve.TestEngines;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ChatCommandTest {

    /** Records prompts and the text printed when each step arrives, around a fake engine. */
    static final class Recording implements GenerationEngine {
        final GenerationEngine inner;
        final List<int[]> prompts = new ArrayList<>();
        final List<SamplerConfig> configs = new ArrayList<>();
        final List<Integer> outputLengthAtStep = new ArrayList<>();
        ByteArrayOutputStream out;

        Recording(GenerationEngine inner) { this.inner = inner; }
        @Override public String modelId() { return inner.modelId(); }
        @Override public Vocabulary vocabulary() { return inner.vocabulary(); }
        @Override public int maxGenLength() { return inner.maxGenLength(); }
        @Override public int maxSequenceLength() { return inner.maxSequenceLength(); }
        @Override public GenerationResult generate(GenerationRequest r, StepListener onStep, CancellationToken c) {
            prompts.add(r.promptIds().clone());
            configs.add(r.config());
            return inner.generate(r, e -> { onStep.onStep(e); outputLengthAtStep.add(out.size()); }, c);
        }
    }

    @Test void multiTurnChatFollowsLladaConventionsAndPrintsBlocks(@TempDir Path dir) {
        String answer = "Hello from the fake model, block by block.";
        Recording engine = new Recording(TestEngines.fake(answer));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        engine.out = bytes;
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ByteArrayInputStream in = new ByteArrayInputStream("Hi\nAgain\n/exit\n".getBytes(StandardCharsets.UTF_8));
        int code = new CommandLine(new ChatCommand(d -> engine, in, out)).execute("--model", dir.toString(),
                "--gen-length", "64", "--steps", "64", "--block-length", "16");
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isZero();
        assertThat(text).containsSubsequence("> " + answer + "\n", "> " + answer + "\n", "> ");
        assertThat(engine.prompts).hasSize(2);

        Vocabulary vocab = engine.vocabulary();
        ChatConversation expected = new ChatConversation(ChatTemplate.llada(), vocab, null);
        int[] p1 = expected.prompt("Hi");
        assertThat(engine.prompts.get(0)).containsExactly(p1);
        int[] generated = vocab.tokenizer().encode(answer + "<|eot_id|>", false);
        expected.accept(p1, generated);
        assertThat(engine.prompts.get(1)).containsExactly(expected.prompt("Again"));
        // output grew while the steps ran (block by block), not only at the end
        assertThat(engine.outputLengthAtStep.stream().distinct().count()).isGreaterThan(2);
    }

    @Test void badSettingsAreNamed(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ChatCommand(d -> TestEngines.fake("x"), new ByteArrayInputStream(new byte[0]),
                new PrintStream(new ByteArrayOutputStream())));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--model", dir.toString(), "--gen-length", "64", "--block-length", "24");
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("--gen-length (64) must be a multiple of --block-length (24)");
    }

    /** Runs two chat turns with {@code flags} and returns the settings each turn ran with. */
    static List<SamplerConfig> twoTurns(Path dir, String... flags) {
        Recording engine = new Recording(TestEngines.fake("Fine."));
        engine.out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ChatCommand(d -> engine,
                new ByteArrayInputStream("Hi\nAgain\n".getBytes(StandardCharsets.UTF_8)), new PrintStream(engine.out)));
        cl.setErr(new PrintWriter(err));
        List<String> args = new ArrayList<>(List.of("--model", dir.toString(), "--gen-length", "32"));
        args.addAll(List.of(flags));
        assertThat(cl.execute(args.toArray(String[]::new))).as(err.toString()).isZero();
        return engine.configs;
    }

    @Test void chatTakesEverySamplingSettingOfGenerate(@TempDir Path dir) {
        List<SamplerConfig> dream = twoTurns(dir, "--remasking", "maskgit_plus", "--temperature", "0.4", "--top-p", "0.9",
                "--top-k", "5", "--alg-temp", "0.5", "--eps", "0.01", "--factor", "2", "--logits-eos-inf", "--seed", "7");
        assertThat(dream).hasSize(2);
        SamplerConfig first = dream.getFirst();
        assertThat(first.remasking()).isEqualTo(Remasking.MASKGIT_PLUS);
        assertThat(first.temperature()).isEqualTo(0.4);
        assertThat(first.topP()).isEqualTo(0.9);
        assertThat(first.topK()).isEqualTo(5);
        assertThat(first.algTemp()).isEqualTo(0.5);
        assertThat(first.eps()).isEqualTo(0.01f);
        assertThat(first.factor()).isEqualTo(2);
        assertThat(first.logitsEosInf()).isTrue();
        assertThat(first.steps()).isEqualTo(32);
        assertThat(first.blockLength()).isEqualTo(32);
        assertThat(dream).extracting(SamplerConfig::seed).containsExactly(7L, 8L);   // one seed per turn

        SamplerConfig remdm = twoTurns(dir, "--remdm", "conf", "--remdm-eta", "0.1", "--remdm-window", "0.5",
                "--remdm-loop", "--steps", "64", "--block-length", "16", "--early-stop").getFirst();
        assertThat(remdm.remdm()).isEqualTo(new RemdmConfig(RemdmConfig.Schedule.CONF, 0.1, 0.5, true));
        assertThat(remdm.steps()).isEqualTo(64);
        assertThat(remdm.blockLength()).isEqualTo(16);
        assertThat(remdm.earlyStop()).isTrue();
    }

    @Test void thresholdZeroIsOffInChatAndInGenerate(@TempDir Path dir) {
        assertThat(twoTurns(dir, "--threshold", "0").getFirst().parallelDecoding()).isFalse();
        assertThat(twoTurns(dir, "--threshold", "0.9").getFirst().threshold()).isEqualTo(0.9);
        GenerateCommand g = new GenerateCommand();
        new CommandLine(g).parseArgs("--model", dir.toString(), "--prompt-ids", "1", "--gen-length", "8", "--threshold", "0");
        assertThat(g.sampling.config(org.unmask.model.GenerationDefaults.LLADA, 8, 8, 8, 2, 0, -1).parallelDecoding()).isFalse();
    }

    @Test void chatErrorsNameFlags(@TempDir Path dir) {
        for (String[] c : new String[][]{
                {"--remasking", "random", "--threshold", "0.9",
                        "--threshold/--factor need a probability confidence (--remasking low_confidence or maskgit_plus), got random"},
                {"--remdm-eta", "0.5", "--remdm-eta applies to ReMDM re-masking; set --remdm to cap, rescale or conf"},
                {"--remasking", "best", "unknown --remasking 'best'"},
                {"--top-k", "3", "--top-k applies to Dream algorithms"},
                {"--gif", "a.gif", "Unknown options: '--gif'"}}) {
            StringWriter err = new StringWriter();
            CommandLine cl = new CommandLine(new ChatCommand(d -> TestEngines.fake("x"), new ByteArrayInputStream(new byte[0]),
                    new PrintStream(new ByteArrayOutputStream())));
            cl.setErr(new PrintWriter(err));
            List<String> args = new ArrayList<>(List.of("--model", dir.toString()));
            args.addAll(List.of(c).subList(0, c.length - 1));
            assertThat(cl.execute(args.toArray(String[]::new))).isNotZero();
            assertThat(err.toString()).contains(c[c.length - 1]);
        }
    }

    @Test void serveReportsAMissingModelDirectory() {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("serve", "--model", "/nonexistent/model-dir", "--port", "0");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("/nonexistent/model-dir").contains("does not exist");
    }
}
