package org.unmask.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class EvalSamplesCommandTest {
    private static String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
    }

    @Test void judgesEverySampleAndSampleKDoesNotDependOnTheBatching(@TempDir Path tmp) throws Exception {
        Path m = DemoCommandTest.shippedStyleModel(tmp.resolve("m"));
        String[] a = run("eval", "samples", "--model", m.toString(), "--judge", m.toString(), "--count", "3", "--gen-length", "8",
                "--batch", "2", "--temperature", "1.0", "--block-length", "4");
        assertThat(a[0]).as(a[2]).isEqualTo("0");
        assertThat(a[1]).contains("sample 0 (seed 0,").contains("sample 2 (seed 2,").doesNotContain("sample 3")
                .contains("samples 3 tokens 24").contains("judge_perplexity").contains("unigram_entropy_bits");
        String[] b = run("eval", "samples", "--model", m.toString(), "--judge", m.toString(), "--count", "3", "--gen-length", "8",
                "--batch", "3", "--temperature", "1.0", "--block-length", "4");
        assertThat(b[1]).isEqualTo(a[1]);

        // without a judge: the same samples, their entropy, no perplexity
        String[] c = run("eval", "samples", "--model", m.toString(), "--count", "3", "--gen-length", "8",
                "--batch", "2", "--temperature", "1.0", "--block-length", "4");
        assertThat(c[0]).as(c[2]).isEqualTo("0");
        assertThat(c[1]).doesNotContain("perplexity").contains("samples 3 tokens 24");
        assertThat(line(c[1], "unigram_entropy_bits")).isEqualTo(line(a[1], "unigram_entropy_bits"));
        assertThat(line(c[1], "sample 1 ")).isEqualTo(line(a[1], "sample 1 ").replaceAll(", judge perplexity [0-9.]+", ""));

        String[] bad = run("eval", "samples", "--model", m.toString(), "--judge", tmp.resolve("none").toString());
        assertThat(bad[0]).isNotEqualTo("0");
        assertThat(bad[2]).contains("none");
    }
}
