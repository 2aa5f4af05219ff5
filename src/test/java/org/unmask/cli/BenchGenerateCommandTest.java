package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bench generate} over a random model directory: the figures it prints and its last line. */
class BenchGenerateCommandTest {

    static String run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute(args)).as(err.toString()).isZero();
        return out.toString();
    }

    static double figure(String out, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + ": ([0-9.]+)").matcher(out);
        assertThat(m.find()).as("%s in%n%s", label, out).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test void printsTheRunsFiguresAndEndsWithTokensPerSecond(@TempDir Path tmp) {
        Path dir = tmp.resolve("m");
        run("init", "--preset", "tiny", "--out", dir.toString());
        String out = run("bench", "generate", "--model", dir.toString(), "--prompt-len", "8", "--gen-length", "16",
                "--block-length", "4", "--steps", "4", "--agreement");
        // 4 blocks, one step each: every step is a block's refreshing forward, so the dual cache changes nothing
        assertThat(out).contains("cache dual");
        assertThat(figure(out, "forward passes")).isEqualTo(4);
        assertThat(figure(out, "tokens per forward")).isEqualTo(4.0);
        assertThat(figure(out, "cache memory")).isPositive();
        assertThat(out).contains("agreement with the uncached run: 1.0000 (16 of 16 tokens)");
        String[] lines = out.strip().split("\n");
        assertThat(lines[lines.length - 1]).matches("generate tokens/s: [0-9]+\\.[0-9]{3}");

        String plain = run("bench", "generate", "--model", dir.toString(), "--prompt-len", "8", "--gen-length", "16",
                "--block-length", "4", "--steps", "16", "--cache", "none", "--threshold", "0.5");
        assertThat(plain).contains("cache none, threshold 0.5");
        assertThat(figure(plain, "cache memory")).isZero();
        assertThat(figure(plain, "forward passes")).isBetween(4.0, 16.0);
    }

    @Test void benchBlockTimesTheBlockWithAndWithoutTheCachedPrefix(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("llada2");
        org.unmask.model.Llada2Checkpoints.write(dir, org.unmask.model.Llada2Checkpoints.TINY, true, 3);
        String out = run("bench", "block", "--model", dir.toString(), "--prefix", "8", "--block", "4", "--block-causal", "--iters", "1");
        assertThat(out).containsPattern("load: [0-9.]+ s, resident [0-9.]+ GiB");
        assertThat(figure(out, "block step uncached")).isPositive();
        assertThat(figure(out, "block step cached")).isPositive();
        // 3 layers × 12 positions × 2 × (2 kv heads × 16) floats
        assertThat(figure(out, "cache memory")).isEqualTo(Math.round(3 * 12 * 2 * 32 * 4 / 1048576.0 * 10) / 10.0);
    }
}
