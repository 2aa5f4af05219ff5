package org.unmask.cli;

import org.unmask.model.kernels.AttentionPattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.api.UnmaskModel;
import org.unmask.diffusion.EditingConfig;
import org.unmask.diffusion.FakeDenoiser;
import org.unmask.diffusion.InvalidSettingException;
import org.unmask.diffusion.Sampler;
import org.unmask.diffusion.SamplerConfig;
import org.unmask.diffusion.Setting;
import org.unmask.model.Denoiser;
import org.unmask.text.Tokenizer;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandsTest {
    final Denoiser model = new FakeDenoiser(16, 21);
    final Optional<Tokenizer> none = Optional.empty();
    final Optional<Tokenizer> chars = Optional.of(new CharTokenizer());
    final StringWriter out = new StringWriter(), err = new StringWriter();

    private static <T> T parse(T cmd, String... args) {
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    private String[] lines() { return out.toString().strip().split("\n"); }

    @Test
    void generatePrintsTheWholeCanvasAsTheLastLine(@TempDir Path dir) throws Exception {
        GenerateCommand g = parse(new GenerateCommand(), "--model", dir.toString(), "--prompt-ids", "1 7 9 12",
                "--gen-length", "16", "--steps", "8", "--block-length", "8", "--print-ids",
                "--trace", dir.resolve("t.json").toString(), "--gif", dir.resolve("a.gif").toString());
        g.run(UnmaskModel.of(model, none), new PrintWriter(out), new PrintWriter(err));
        String[] ids = lines()[lines().length - 1].split(" ");
        assertThat(ids).hasSize(20);
        assertThat(ids[0] + " " + ids[1] + " " + ids[2] + " " + ids[3]).isEqualTo("1 7 9 12");
        for (String id : ids) assertThat(Integer.parseInt(id)).isBetween(0, 15).isNotEqualTo(2);
        assertThat(Files.readString(dir.resolve("t.json"))).contains("\"final_ids\"");
        try (ImageInputStream in = ImageIO.createImageInputStream(dir.resolve("a.gif").toFile())) {
            ImageReader r = ImageIO.getImageReaders(in).next();
            r.setInput(in);
            assertThat(r.getNumImages(true)).isEqualTo(8);
        }
        assertThat(err.toString()).contains("8 steps, 8 forward passes");
    }

    @Test
    void generateRunsLlada2BlockCausalWithEditing(@TempDir Path dir) throws Exception {
        GenerateCommand g = parse(new GenerateCommand(), "--model", dir.toString(), "--prompt-ids", "1 7 9 12 4 8",
                "--gen-length", "10", "--steps", "4", "--block-length", "4", "--block-causal", "--threshold", "0.3",
                "--editing-threshold", "0.2", "--max-post-steps", "2", "--print-ids", "--trace", dir.resolve("t.json").toString());
        g.run(UnmaskModel.of(model, none), new PrintWriter(out), new PrintWriter(err));
        SamplerConfig same = SamplerConfig.builder(10, 4, 4).blockCausal(true).threshold(0.3)
                .editing(new EditingConfig(0.2, 2)).specialIds(2, 0, -1).build();
        int[] expected = new Sampler(model, same).generate(new int[]{1, 7, 9, 12, 4, 8}).sequences()[0];
        assertThat(lines()[lines().length - 1].split(" ")).hasSize(16)
                .containsExactly(java.util.Arrays.stream(expected).mapToObj(String::valueOf).toArray(String[]::new));
        assertThat(Files.readString(dir.resolve("t.json"))).contains("\"block_causal\"").contains("\"max_post_steps\"");
        GenerateCommand stray = parse(new GenerateCommand(), "--model", dir.toString(), "--prompt-ids", "1 7",
                "--gen-length", "8", "--block-causal", "--max-post-steps", "3");
        assertThatThrownBy(() -> stray.run(UnmaskModel.of(model, none), new PrintWriter(out), new PrintWriter(err)))
                .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertThat(e.message(Setting::flag))
                        .isEqualTo("--max-post-steps applies to token editing; set --editing-threshold"));
    }

    @Test
    void generateFromTextDecodesTheContinuationAndBatchesPrompts(@TempDir Path dir) throws Exception {
        GenerateCommand g = parse(new GenerateCommand(), "--model", dir.toString(), "--prompt", "abc", "--prompt", "hello",
                "--gen-length", "8", "--steps", "8", "--print-ids", "--animate");
        g.run(UnmaskModel.of(model, chars), new PrintWriter(out), new PrintWriter(err));
        String[] l = lines();
        // 8 plain step lines (animate, not a terminal), 2 texts, 2 id lines
        assertThat(l).hasSize(12);
        assertThat(l[0]).startsWith("step 1/8");
        assertThat(l[8]).matches("[a-j]*");
        assertThat(l[11].split(" ")).hasSize(1 + 5 + 8);
    }

    @Test
    void generateWithoutATokenizerNeedsIds(@TempDir Path dir) {
        GenerateCommand g = parse(new GenerateCommand(), "--model", dir.toString(), "--prompt", "abc", "--gen-length", "8");
        assertThatThrownBy(() -> g.run(UnmaskModel.of(model, none), new PrintWriter(out), new PrintWriter(err)))
                .hasMessageContaining("no tokenizer").hasMessageContaining("--prompt-ids");
    }

    @Test
    void infillFillsTheMaskSpans(@TempDir Path dir) throws Exception {
        InfillCommand c = parse(new InfillCommand(), "--model", dir.toString(), "--text", "abc[MASK:5]def", "--print-ids");
        c.run(UnmaskModel.of(model, chars), new PrintWriter(out), new PrintWriter(err));
        String[] l = lines();
        assertThat(l[0]).startsWith("abc").endsWith("def");   // special tokens the toy model picks are not printed
        assertThat(l[1].split(" ")).hasSize(11).doesNotContain("2");
        assertThat(err.toString()).contains("5 steps");
    }

    @Test
    void anAutoregressiveRunGeneratesOneTokenPerStepAndScoresExactly(@TempDir Path dir) throws Exception {
        var config = new org.unmask.model.ModelConfig(16, 1, 2, 2, 24, 16, 16, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        org.unmask.model.io.Checkpoint.saveSources(dir, config, org.unmask.model.io.RandomInit.tensors(config, 3),
                org.unmask.model.tensor.DType.F32, 1L << 30, null);
        Files.writeString(dir.resolve("trainer_state.json"), "{\"objective\": \"ar\"}");
        UnmaskModel m = ModelDirs.load(dir);
        GenerateCommand g = parse(new GenerateCommand(), "--model", dir.toString(), "--prompt-ids", "1 7 9", "--gen-length", "6",
                "--temperature", "0.8", "--seed", "3", "--print-ids");
        g.run(m, new PrintWriter(out), new PrintWriter(err));
        assertThat(lines()[lines().length - 1]).isEqualTo(Ids.format(
                m.generate(new int[]{1, 7, 9}, m.sampling().genLength(6).temperature(0.8).seed(3), null).canvas()));
        assertThat(err.toString()).contains("6 steps, 6 forward passes");
        GenerateCommand blocks = parse(new GenerateCommand(), "--model", dir.toString(), "--prompt-ids", "1 7 9", "--gen-length", "6",
                "--block-length", "3");
        assertThatThrownBy(() -> blocks.run(m, new PrintWriter(out), new PrintWriter(err)))
                .hasMessageContaining("writes one token per step, left to right").hasMessageContaining("block_length must be 1, got 3");
        InfillCommand fill = parse(new InfillCommand(), "--model", dir.toString(), "--ids", "1 7 2 2 9");
        assertThatThrownBy(() -> fill.run(m, new PrintWriter(out), new PrintWriter(err))).hasMessageContaining("cannot infill");
        ScoreCommand s = parse(new ScoreCommand(), "--model", dir.toString(), "--prompt-ids", "1 7 9", "--answer-ids", "11 4");
        s.run(m.denoiser(), true, none, new PrintWriter(out), new PrintWriter(err));
        String[] last = lines()[lines().length - 1].split(" ");
        assertThat(Double.parseDouble(last[1])).isCloseTo(m.score(new int[]{1, 7, 9}, new int[]{11, 4}, 1, 1, 0, 0),
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(err.toString()).contains("exact (an autoregressive model");
    }

    @Test
    void scorePrintsTheEstimateAsTheLastToken(@TempDir Path dir) {
        ScoreCommand s = parse(new ScoreCommand(), "--model", dir.toString(), "--prompt-ids", "1 7 9", "--answer-ids", "11",
                "--mc-num", "4");
        s.run(model, none, new PrintWriter(out), new PrintWriter(err));
        String[] last = lines()[lines().length - 1].split(" ");
        double v = Double.parseDouble(last[last.length - 1]);
        // a one-token answer is exact: log softmax of the logits at the masked answer position, computed here
        float[] l = model.logits(new int[]{1, 7, 9, 2}, 1, 4, null, new int[]{3});
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float x : l) max = Math.max(max, x);
        for (float x : l) sum += Math.exp(x - max);
        assertThat(l).hasSize(16);
        assertThat(v).isCloseTo(l[11] - max - Math.log(sum), org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void evalCorpusReportsBitsPerTokenAndPerplexity(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("c.txt");
        Files.writeString(corpus, "abcdefghij".repeat(10));
        EvalCommand e = parse(new EvalCommand(), "--model", dir.toString(), "--corpus", corpus.toString(), "--seq-len", "32",
                "--grid", "4", "--by-rate");
        // an all-zero LM head predicts the uniform distribution over the 20 logit columns (embedding_size; vocab 16):
        // every masked token costs exactly ln 20, so the bound is exactly log2(20) bits per token, perplexity 20
        var uniform = org.unmask.model.KnownModels.uniform(org.unmask.model.KnownModels.config(), 8);
        e.run(uniform, chars, new PrintWriter(out), new PrintWriter(err));
        String o = out.toString();
        // 100 characters + <|endoftext|> = 101 tokens: three whole windows of 32, as training validates
        assertThat(o).contains("chunks 3 tokens 96");
        double bits = Double.parseDouble(o.replaceAll("(?s).*bits_per_token (\\S+).*", "$1"));
        double ppl = Double.parseDouble(o.replaceAll("(?s).*perplexity_bound (\\S+).*", "$1"));
        assertThat(bits).isCloseTo(Math.log(20) / Math.log(2), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(ppl).isCloseTo(20, org.assertj.core.data.Offset.offset(1e-4));
        // bits per byte: 101 tokens over the 100 bytes of the text and the 2 of the blank line its <|endoftext|> stands for
        double perByte = Double.parseDouble(o.replaceAll("(?s).*bits_per_byte (\\S+).*", "$1"));
        assertThat(perByte).isCloseTo(Math.log(20) / Math.log(2) * 101 / 102, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(o).contains("tokens_per_byte 0.990196");
        // --by-rate: the integrand at t = 1/8, 3/8, 5/8, 7/8, each ln 20 per masked token
        var rates = java.util.regex.Pattern.compile("t (\\S+) bits_per_masked_token (\\S+)").matcher(o);
        List<Double> t = new java.util.ArrayList<>();
        while (rates.find()) {
            t.add(Double.parseDouble(rates.group(1)));
            assertThat(Double.parseDouble(rates.group(2))).isCloseTo(Math.log(20) / Math.log(2), org.assertj.core.data.Offset.offset(1e-6));
        }
        assertThat(t).containsExactly(0.125, 0.375, 0.625, 0.875);
    }

    @Test
    void evalMcScoresTasksAndNamesBadLines(@TempDir Path dir) throws Exception {
        Path tasks = dir.resolve("t.jsonl");
        Files.writeString(tasks, """
                {"context": "abc", "choices": ["d", "ef"], "gold": 0}
                {"context": "ab ", "choices": ["cd", "e", "fgh"], "gold": 2}
                """);
        EvalCommand.Mc m = parse(new EvalCommand.Mc(), "--model", dir.toString(), "--tasks", tasks.toString(), "--mc-num", "4");
        m.run(model, chars, new PrintWriter(out), new PrintWriter(err));
        assertThat(out.toString()).contains("tasks 2").containsPattern("acc [01]\\.\\d{4}").containsPattern("acc_norm [01]\\.\\d{4}");
        Files.writeString(tasks, "{\"context\": \"abc\", \"choices\": [\"d\"], \"gold\": 3}\n");
        assertThatThrownBy(() -> m.run(model, chars, new PrintWriter(out), new PrintWriter(err)))
                .hasMessageContaining("line 1").hasMessageContaining("gold 3");
    }

    @Test
    void aDirectoryWithoutAModelFailsWithAClearMessage(@TempDir Path dir) {
        StringWriter e = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(e));
        int code = cl.execute("generate", "--model", dir.toString(), "--prompt-ids", "1 2", "--gen-length", "4");
        assertThat(code).isEqualTo(1);
        assertThat(e.toString()).contains("config.json").doesNotContain("Exception");
        int code2 = cl.execute("score", "--model", dir.resolve("missing").toString(), "--prompt-ids", "1",
                "--answer-ids", "3", "--mc-num", "1");
        assertThat(code2).isEqualTo(1);
        assertThat(e.toString()).contains("does not exist");
    }

    @Test
    void evalOfAnAutoregressiveModelIsTheExactNextTokenNll(@TempDir Path dir) throws Exception {
        var config = new org.unmask.model.ModelConfig(16, 1, 2, 2, 24, 16, 16, 64, 10000.0, 1e-5, false, 2, 0, 0, 1);
        var lm = org.unmask.model.Transformer.randomInit(config, 9);
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "abcdefghijabcjihgfedcbaaabbbcccdddeeefff");
        EvalCommand e = parse(new EvalCommand(), "--model", dir.toString(), "--corpus", text.toString(), "--seq-len", "16",
                "--objective", "ar");
        e.run(lm, chars, new PrintWriter(out), new PrintWriter(err));
        // independent: chunks of 16 tokens, log-softmax in double of causal logits at t for token t+1
        CharTokenizer ct = new CharTokenizer();
        int[] text0 = ct.encode(Files.readString(text), false);
        int[] ids = java.util.Arrays.copyOf(text0, text0.length + 1);
        ids[text0.length] = ct.tokenId("<|endoftext|>").getAsInt();   // the document separator, as in training
        double nll = 0;
        int count = 0;
        for (int at = 0; at + 16 <= ids.length; at += 16) {   // whole windows only
            int[] chunk = java.util.Arrays.copyOfRange(ids, at, at + 16);
            float[] logits = lm.logits(chunk, 1, chunk.length, null, null, org.unmask.model.kernels.AttentionPattern.CAUSAL);
            int v = config.embeddingSize();
            for (int t = 0; t + 1 < chunk.length; t++, count++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < v; j++) max = Math.max(max, logits[t * v + j]);
                for (int j = 0; j < v; j++) sum += Math.exp(logits[t * v + j] - max);
                nll += Math.log(sum) + max - logits[t * v + chunk[t + 1]];
            }
        }
        double expected = nll / count;
        String line = java.util.Arrays.stream(lines()).filter(l -> l.startsWith("nll_nats_per_token")).findFirst().orElseThrow();
        assertThat(Double.parseDouble(line.split(" ")[1])).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-5));
        assertThat(out.toString()).contains("perplexity ").doesNotContain("perplexity_bound");
    }
}
