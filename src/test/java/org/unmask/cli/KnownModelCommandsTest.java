package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unmask.model.KnownModels;
import org.unmask.model.Transformer;
import org.unmask.model.ModelConfig;
import org.unmask.text.Tokenizer;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code eval}, {@code eval mc} and {@code score} print numbers that are known in closed form for the transformers of
 * {@link KnownModels}: an all-zero LM head predicts the uniform distribution over the model's 20 logit columns
 * ({@code embedding_size}; {@code vocab_size} is 16), so every bound is exactly log2(20) bits per token; a model that
 * puts logit ~40 on 'a' at every masked position scores ~0 on text of a's and ~40 nats per token on text of b's.
 * These hold for any estimator that weights each masked token by L / (tokens masked), as LLaDA's does.
 */
class KnownModelCommandsTest {
    static final ModelConfig C = KnownModels.config();
    static final double LOG2_E = Math.log(C.embeddingSize()) / Math.log(2);
    static final int A = 6;                       // 'a' in CharTokenizer
    static final double MARGIN = 40;
    final Optional<Tokenizer> chars = Optional.of(new CharTokenizer());
    final StringWriter out = new StringWriter(), err = new StringWriter();

    private static <T> T parse(T cmd, String... args) {
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    /** The number after {@code key} on its own output line. */
    private double value(String key) {
        return Arrays.stream(out.toString().split("\\R")).filter(l -> l.startsWith(key + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(key.length() + 1).strip()))
                .orElseThrow(() -> new AssertionError("no '" + key + "' line in:\n" + out));
    }

    private String eval(Transformer m, Path dir, String text, String... extra) throws Exception {
        out.getBuffer().setLength(0);
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, text);
        String[] args = new String[4 + extra.length];
        args[0] = "--model"; args[1] = dir.toString(); args[2] = "--corpus"; args[3] = corpus.toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        parse(new EvalCommand(), args).run(m, chars, new PrintWriter(out), new PrintWriter(err));
        return out.toString();
    }

    @Test
    void evalOfAUniformModelIsExactlyLog2OfTheEmbeddingSize(@TempDir Path dir) throws Exception {
        Transformer uniform = KnownModels.uniform(C, 1);
        // 53 characters + <|endoftext|> = 54 tokens: three whole windows of 16 (as training validates), or one of 54
        String text = "abcdefghij".repeat(5) + "abc";
        for (String[] opts : new String[][]{{"--seq-len", "16", "--grid", "4"},
                {"--seq-len", "16", "--grid", "7", "--batch", "3", "--seed", "9"}, {"--seq-len", "64", "--grid", "1"}}) {
            eval(uniform, dir, text, opts);
            assertThat(out.toString()).as(String.join(" ", opts)).contains(opts[1].equals("64") ? "chunks 1 tokens 54" : "chunks 3 tokens 48");
            assertThat(value("bits_per_token")).as(String.join(" ", opts)).isCloseTo(LOG2_E, within(1e-6));
            assertThat(value("nll_bound_nats_per_token")).isCloseTo(Math.log(C.embeddingSize()), within(1e-6));
            assertThat(value("perplexity_bound")).isCloseTo(C.embeddingSize(), within(1e-4));
        }
    }

    @Test
    void autoregressiveEvalOfAUniformModelIsExactlyLog2OfTheEmbeddingSize(@TempDir Path dir) throws Exception {
        eval(KnownModels.uniform(C, 2), dir, "abcdefghij".repeat(5) + "abc", "--seq-len", "16", "--objective", "ar");
        assertThat(out.toString()).contains("chunks 3 tokens 45");   // each window's first token has no context
        assertThat(value("nll_nats_per_token")).isCloseTo(Math.log(C.embeddingSize()), within(1e-5));
        assertThat(value("bits_per_token")).isCloseTo(LOG2_E, within(1e-5));
        assertThat(value("perplexity")).isCloseTo(C.embeddingSize(), within(1e-3));
    }

    @Test
    void evalOfAModelCertainOfTheTextIsZeroBitsAndOfAWrongOneTheMargin(@TempDir Path dir) throws Exception {
        Transformer certainOfA = KnownModels.constant(C, A, MARGIN, 3);
        eval(certainOfA, dir, "a".repeat(40), "--seq-len", "16", "--grid", "5");
        assertThat(value("bits_per_token")).isCloseTo(0, within(1e-6));
        assertThat(value("perplexity_bound")).isCloseTo(1, within(1e-4));
        eval(certainOfA, dir, "b".repeat(40), "--seq-len", "16", "--grid", "5");
        double nats = KnownModels.constantNll(C, MARGIN, false);
        assertThat(value("nll_bound_nats_per_token")).isCloseTo(nats, within(1e-4));
        assertThat(value("bits_per_token")).isCloseTo(nats / Math.log(2), within(1e-4));
    }

    private double score(Transformer m, Path dir, String... args) {
        out.getBuffer().setLength(0);
        String[] all = new String[args.length + 2];
        all[0] = "--model"; all[1] = dir.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        parse(new ScoreCommand(), all).run(m, Optional.empty(), new PrintWriter(out), new PrintWriter(err));
        return value("log_likelihood");
    }

    @Test
    void scoreOfAUniformModelIsExactlyMinusLTimesLnE(@TempDir Path dir) {
        Transformer uniform = KnownModels.uniform(C, 4);
        double lnE = Math.log(C.embeddingSize());
        assertThat(score(uniform, dir, "--prompt-ids", "1 7 9", "--answer-ids", "6 12 3 15 7", "--mc-num", "8"))
                .isCloseTo(-5 * lnE, within(1e-9));
        assertThat(score(uniform, dir, "--prompt-ids", "1 7 9", "--answer-ids", "6 12 3 15 7", "--mc-num", "6",
                "--batch", "2", "--cfg-scale", "0.5", "--seed", "3")).isCloseTo(-5 * lnE, within(1e-9));
    }

    @Test
    void scoreOfACertainModelIsZeroForItsTokenAndTheMarginOtherwise(@TempDir Path dir) {
        Transformer certainOfA = KnownModels.constant(C, A, MARGIN, 5);
        assertThat(score(certainOfA, dir, "--prompt-ids", "1 9 8", "--answer-ids", "6 6 6", "--mc-num", "4"))
                .isCloseTo(0, within(1e-9));
        assertThat(score(certainOfA, dir, "--prompt-ids", "1 9 8", "--answer-ids", "7 7", "--mc-num", "4"))
                .isCloseTo(-2 * KnownModels.constantNll(C, MARGIN, false), within(2e-4));
    }

    @Test
    void scoreOfAOneTokenAnswerIsTheExactLogSoftmax(@TempDir Path dir) {
        Transformer m = KnownModels.random(C, 6);
        int E = C.embeddingSize();
        float[] l = m.logits(new int[]{1, 7, 9, 2}, 1, 4, null, new int[]{3});
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int v = 0; v < E; v++) max = Math.max(max, l[v]);
        for (int v = 0; v < E; v++) sum += Math.exp(l[v] - max);
        for (int answer : new int[]{11, 18}) {
            double exact = l[answer] - max - Math.log(sum);
            assertThat(exact).isLessThan(-0.01);
            // the score's batched forward may round the float32 logits differently from this one-row forward
            // (the matrix products tile 16 rows differently from 1), so agreement is to float precision
            assertThat(score(m, dir, "--prompt-ids", "1 7 9", "--answer-ids", String.valueOf(answer), "--mc-num", "4"))
                    .isCloseTo(exact, within(1e-6));
        }
    }

    @Test
    void evalMcPicksTheChoiceTheModelIsCertainOf(@TempDir Path dir) throws Exception {
        Path tasks = dir.resolve("t.jsonl");
        // the model is certain of 'a': it picks "a" in every task, so only the first and third are right
        Files.writeString(tasks, """
                {"context": "abc", "choices": ["a", "b"], "gold": 0}
                {"context": "cd", "choices": ["b", "a"], "gold": 0}
                {"context": "ef", "choices": ["bb", "a", "bbb"], "gold": 1}
                """);
        EvalCommand.Mc mc = parse(new EvalCommand.Mc(), "--model", dir.toString(), "--tasks", tasks.toString(), "--mc-num", "4");
        mc.run(KnownModels.constant(C, A, MARGIN, 7), chars, new PrintWriter(out), new PrintWriter(err));
        assertThat(value("tasks")).isEqualTo(3);
        assertThat(value("acc")).isCloseTo(2 / 3.0, within(1e-4));
        assertThat(value("acc_norm")).isCloseTo(2 / 3.0, within(1e-4));
    }
}
